#include <vramplan/base/json_output.hpp>
#include <vramplan/base/strings.hpp>
#include <vramplan/base/text_table.hpp>
#include <vramplan/base/units.hpp>
#include <vramplan/report/estimate_report.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace vramplan {

namespace {

std::string row_name(const BufferEstimate& b) {
    if (b.kind == BufferKind::runtime) {
        return b.buffer;
    }
    std::string kind = std::string(buffer_kind_name(b.kind));
    if (b.kind == BufferKind::kv) {
        kind = "KV";
    }
    const auto swa = b.buffer.find(" (SWA)");
    if (swa != std::string::npos) {
        return b.buffer.substr(0, swa) + " " + kind + " buffer (SWA)";
    }
    return b.buffer + " " + kind + " buffer";
}

std::string_view basis_name(Basis b) {
    switch (b) {
    case Basis::exact: return "exact";
    case Basis::replayed: return "replayed";
    case Basis::approximate: return "approximate";
    }
    return "?";
}

std::string ngl_flag(int n) {
    if (n == ServerSettings::k_layers_auto) {
        return "auto";
    }
    if (n == ServerSettings::k_layers_all) {
        return "all";
    }
    return std::to_string(n);
}

} // namespace

std::string render_estimate_text(const ModelSpec& m, const EstimateSubject& s,
                                 const MemoryEstimate& e, const ServerArgs& args) {
    const ContextParams& c = e.context;
    std::string out;
    out += fmt::format("model     {} {} ({})\n", s.model, s.quant,
                       s.source == "catalog" ? "catalog entry; tensors from the llama-quantize "
                                               "recipe"
                                             : "read from the file");
    out += s.gpu == nullptr ? std::string("gpu       none (CPU-only build)\n")
                            : fmt::format("gpu       {} ({}, {} MiB)\n", s.gpu->name,
                                          s.gpu->display_name, s.gpu->memory_total_mib);
    out +=
        fmt::format("context   n_ctx {}, n_ctx_seq {}, {} sequence(s) in {} stream(s){}\n", c.n_ctx,
                    c.n_ctx_seq, c.n_seq_max, c.n_stream, c.kv_unified ? ", unified" : "");
    out += fmt::format("batch     n_batch {}, n_ubatch {}; flash attention {}; K {}, V {}\n",
                       c.n_batch, c.n_ubatch, c.flash_attn ? "on" : "off", type_name(c.type_k),
                       type_name(c.type_v));
    out += fmt::format("layers    {}/{} on the GPU (-ngl {}){}{}\n", e.n_gpu_layers, e.layers_total,
                       ngl_flag(s.n_gpu_layers_flag),
                       args.settings.kv_offload ? "" : "; KV cache on the CPU (-nkvo)",
                       args.settings.mmap ? "" : "; no mmap");
    out += "\n";
    TextTable t({{"buffer"}, {"device"}, {"MiB", TextTable::Align::right}});
    for (const auto& b : e.buffers) {
        t.add_row({row_name(b), b.on_gpu ? "gpu" : "host", format_mib(b.bytes)});
    }
    out += t.render();
    out += "\n";
    out += fmt::format("  total gpu   {:>10} MiB", format_mib(e.gpu_bytes()));
    if (s.gpu != nullptr) {
        const std::uint64_t total = s.gpu->total_bytes();
        const std::uint64_t used = e.gpu_bytes();
        out += used <= total ? fmt::format("   {} MiB left of {} MiB", format_mib(total - used),
                                           s.gpu->memory_total_mib)
                             : fmt::format("   {} MiB MORE than the {} MiB card",
                                           format_mib(used - total), s.gpu->memory_total_mib);
    }
    out += "\n";
    out += fmt::format("  total host  {:>10} MiB (weights mapped from the file count here)\n",
                       format_mib(e.host_bytes()));
    out += fmt::format("\ncompute buffers: {} (docs/accuracy.md)\n",
                       e.compute_basis == Basis::approximate
                           ? "approximate"
                           : "the graph rebuilt and ggml-alloc replayed, exact on every CPU "
                             "validation run");
    for (const auto& n : e.notes) {
        out += "note: " + n + "\n";
    }
    if (!args.ignored.empty()) {
        out += "ignored (no effect on memory): " + join(args.ignored, " ") + "\n";
    }
    if (args.draft_model || args.mmproj) {
        out += "note: the draft model (-md) and projector (-mm) are not estimated yet\n";
    }
    (void)m;
    return out;
}

std::string render_estimate_json(const ModelSpec& m, const EstimateSubject& s,
                                 const MemoryEstimate& e, const ServerArgs& args) {
    using json = nlohmann::ordered_json;
    const ContextParams& c = e.context;
    json buffers = json::array();
    for (const auto& b : e.buffers) {
        buffers.push_back({{"kind", std::string(buffer_kind_name(b.kind))},
                           {"buffer", b.buffer},
                           {"device", b.on_gpu ? "gpu" : "host"},
                           {"bytes", b.bytes}});
    }
    json j{
        {"model",
         {{"name", s.model},
          {"quant", s.quant},
          {"source", s.source},
          {"n_layer", m.n_layer},
          {"tensor_bytes", m.tensor_bytes()}}},
        {"gpu", s.gpu == nullptr ? json() : json(s.gpu->name)},
        {"settings",
         {{"n_gpu_layers", e.n_gpu_layers},
          {"n_ctx", c.n_ctx},
          {"n_ctx_seq", c.n_ctx_seq},
          {"n_seq_max", c.n_seq_max},
          {"n_stream", c.n_stream},
          {"kv_unified", c.kv_unified},
          {"n_batch", c.n_batch},
          {"n_ubatch", c.n_ubatch},
          {"flash_attn", c.flash_attn},
          {"cache_type_k", std::string(type_name(c.type_k))},
          {"cache_type_v", std::string(type_name(c.type_v))},
          {"kv_offload", args.settings.kv_offload},
          {"mmap", args.settings.mmap}}},
        {"layers", {{"gpu", e.n_gpu_layers}, {"total", e.layers_total}}},
        {"buffers", buffers},
        {"totals", {{"gpu", e.gpu_bytes()}, {"host", e.host_bytes()}}},
        {"compute_basis", std::string(basis_name(e.compute_basis))},
        {"notes", e.notes},
        {"ignored_flags", args.ignored},
    };
    return json_output(j);
}

} // namespace vramplan
