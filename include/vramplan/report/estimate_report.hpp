#pragma once
// Rendering an estimate: the buffer table as llama.cpp would log it, and JSON for scripts.

#include <vramplan/estimate/estimate.hpp>
#include <vramplan/estimate/server_args.hpp>

#include <string>

namespace vramplan {

struct EstimateSubject {
    std::string model;  // catalog name or file path
    std::string quant;  // file type name, or "unknown"
    std::string source; // "catalog" (synthesized) or "file"
    const GpuProfile* gpu = nullptr;
    int n_gpu_layers_flag = ServerSettings::k_layers_auto;
};

std::string render_estimate_text(const ModelSpec& m, const EstimateSubject& s,
                                 const MemoryEstimate& e, const ServerArgs& args);
std::string render_estimate_json(const ModelSpec& m, const EstimateSubject& s,
                                 const MemoryEstimate& e, const ServerArgs& args);

} // namespace vramplan
