#pragma once
// `vramplan calibrate`: a llama.cpp log against vramplan's estimate for the same model and
// settings, buffer by buffer, and, with a measured total, the runtime overhead outside the
// buffers (CUDA context, pool) that the GPU profile should carry. docs/verify.md.

#include <vramplan/model/catalog.hpp>
#include <vramplan/model/gpu_profile.hpp>
#include <vramplan/model/model_source.hpp>
#include <vramplan/runtime/llama_log.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vramplan {

// The model a log loaded, from its own lines: a catalog entry with the same architecture numbers
// (the one whose name is the log's general.name first), else one synthesized from those numbers
// (tied embeddings when that gives the logged tensor count). `how` says which. Throws
// ErrorKind::data when the log lacks the numbers (pass -m MODEL then).
struct LogModel {
    ResolvedModel model;
    std::string how;
};
LogModel model_from_log(const LlamaLog& log, const Catalog& catalog);

struct CalibrationRow {
    BufferKind kind{};
    std::string buffer;
    bool on_gpu = false;
    std::optional<std::string> logged_mib;  // as logged
    std::optional<std::uint64_t> predicted; // bytes
    std::string predicted_mib() const;      // two decimals, as llama.cpp prints, or "none"
    bool exact() const { return logged_mib && predicted_mib() == *logged_mib; }
};

struct Calibration {
    ServerSettings settings; // reconstructed from the log
    std::vector<CalibrationRow> rows;
    std::uint64_t logged_gpu_bytes = 0;    // device buffers as logged
    std::uint64_t predicted_gpu_bytes = 0; // the same buffers as estimated (no CUDA context)
    std::optional<std::uint64_t> logged_graph_nodes;
    // With a measured total for the process: what it holds beyond its buffers.
    std::optional<std::uint64_t> measured_bytes;
    std::optional<std::int64_t> runtime_overhead_bytes;
    std::size_t exact_rows() const;
};

// `gpu` is needed when the log has device buffers (a default profile is used otherwise).
Calibration calibrate(const LlamaLog& log, const ModelSpec& model, const GpuProfile* gpu,
                      std::optional<std::uint64_t> measured_bytes);

// The llama-server flags `settings` stand for, for the report: "-ngl 29 -c 4096 -b 512 ...".
std::string settings_flags(const ServerSettings& s);

} // namespace vramplan
