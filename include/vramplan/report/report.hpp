#pragma once
// Rendering the data layer for people (aligned text) and for scripts (JSON). Pure functions:
// the CLI prints what they return. JSON field names are documented in docs/cli.md.

#include <vramplan/model/catalog.hpp>
#include <vramplan/model/gpu_profile.hpp>
#include <vramplan/model/model.hpp>

#include <string>

namespace vramplan {

std::string render_model_text(const ModelSpec& m);
std::string render_model_json(const ModelSpec& m);

std::string render_catalog_text(const Catalog& c);
std::string render_catalog_json(const Catalog& c);
std::string render_catalog_model_text(const Catalog& c, const CatalogModel& m);
std::string render_catalog_model_json(const Catalog& c, const CatalogModel& m);

std::string render_gpus_text(const GpuProfiles& g);
std::string render_gpus_json(const GpuProfiles& g);
std::string render_gpu_text(const GpuProfile& p);
std::string render_gpu_json(const GpuProfile& p);

// Elements (parameters) of all tensors.
std::uint64_t parameter_count(const ModelSpec& m);

} // namespace vramplan
