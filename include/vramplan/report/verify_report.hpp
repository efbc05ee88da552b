#pragma once
// The verify checklist for a terminal (a mark per step, predicted against measured) and as JSON.

#include <vramplan/runtime/verify.hpp>

#include <string>

namespace vramplan {

std::string render_verify_text(const VerifyResult& r);
std::string render_verify_json(const VerifyResult& r);

// One CSV row per GPU for `verify --watch`: seconds,gpu,name,used_mib,total_mib.
std::string watch_csv_header();
std::string watch_csv_rows(double seconds, const GpuSnapshot& snap);

} // namespace vramplan
