// Assembles llama.cpp's buffers: weights (llama-model.cpp load_tensors and the mmap rules of
// llama-model-loader), KV cache (llama-kv-cache.cpp), output (llama_context::output_reserve),
// compute (llama_context::sched_reserve over the rebuilt graph, see llm_graph.cpp) and the
// per-process CUDA context from the GPU profile.

#include <vramplan/base/error.hpp>
#include <vramplan/estimate/estimate.hpp>
#include <vramplan/estimate/llm_graph.hpp>

#include <algorithm>
#include <map>

namespace vramplan {

namespace {

constexpr std::uint64_t k_cpu_alignment = 32;   // TENSOR_ALIGNMENT
constexpr std::uint64_t k_cuda_alignment = 128; // ggml-cuda buffer alignment
constexpr std::uint64_t k_cuda_row_padding = 512;

std::uint64_t pad(std::uint64_t x, std::uint64_t a) {
    return (x + a - 1) / a * a;
}

// ggml-cpu's repack buffer type (CPU_REPACK) takes these types for matrix multiplications on an
// x86 host with AVX2, when no GPU host buffer comes first. Observed in the v0.5.0 truth: q4_K
// repacked, q8_0 and q6_K not.
bool repackable(const TensorSpec& t) {
    const bool type_ok =
        t.type == GgmlType::q4_0 || t.type == GgmlType::q4_k || t.type == GgmlType::iq4_nl;
    return type_ok && t.n_dims == 2 && t.ne[1] % 8 == 0 && t.name != "token_embd.weight";
}

struct Totals {
    std::map<std::string, std::uint64_t> gpu;
    std::map<std::string, std::uint64_t> host;
};

} // namespace

std::string_view buffer_kind_name(BufferKind k) {
    switch (k) {
    case BufferKind::model: return "model";
    case BufferKind::kv: return "kv";
    case BufferKind::compute: return "compute";
    case BufferKind::output: return "output";
    case BufferKind::runtime: return "runtime";
    }
    return "?";
}

std::uint64_t MemoryEstimate::gpu_bytes() const {
    std::uint64_t n = 0;
    for (const auto& b : buffers) {
        n += b.on_gpu ? b.bytes : 0;
    }
    return n;
}

std::uint64_t MemoryEstimate::host_bytes() const {
    std::uint64_t n = 0;
    for (const auto& b : buffers) {
        n += b.on_gpu ? 0 : b.bytes;
    }
    return n;
}

std::uint64_t MemoryEstimate::bytes_of(BufferKind kind, bool on_gpu) const {
    std::uint64_t n = 0;
    for (const auto& b : buffers) {
        n += b.kind == kind && b.on_gpu == on_gpu ? b.bytes : 0;
    }
    return n;
}

std::uint64_t cuda_alloc_size(GgmlType type, const std::array<std::uint64_t, 4>& ne,
                              std::uint32_t n_dims) {
    std::uint64_t size = tensor_bytes(type, std::span(ne.data(), n_dims));
    if (traits(type).quantized && ne[0] % k_cuda_row_padding != 0) {
        size += row_bytes(type, k_cuda_row_padding - ne[0] % k_cuda_row_padding);
    }
    return size;
}

std::uint32_t gpu_layer_count(const ModelSpec& m, int n_gpu_layers, bool has_gpu) {
    if (!has_gpu) {
        return 0;
    }
    const std::uint32_t total = m.n_layer + 1; // "plus 1 for the output layer"
    if (n_gpu_layers < 0) {
        return total; // auto and all: everything (--fit may lower auto; see the notes)
    }
    return std::min(static_cast<std::uint32_t>(n_gpu_layers), total);
}

bool layer_on_gpu(const ModelSpec& m, std::uint32_t n_gpu, int layer) {
    if (layer < 0) {
        return false; // the input layer stays on the CPU
    }
    // i_gpu_start = max(n_layer + 1 - n_gpu, 0); layer il (n_layer = output) is on the GPU
    // when il >= i_gpu_start.
    const std::int64_t start = static_cast<std::int64_t>(m.n_layer) + 1 - n_gpu;
    return layer >= start;
}

namespace {

GraphShape reservation(const ContextParams& c, std::uint32_t tokens, std::uint32_t outputs) {
    const std::uint32_t n_seqs = c.kv_unified ? 1 : c.n_seq_max;
    GraphShape g;
    g.n_tokens = (tokens + n_seqs - 1) / n_seqs * n_seqs;
    g.n_outputs = outputs;
    g.n_stream = c.n_stream;
    g.n_kv = c.kv_size;
    g.n_kv_swa = c.kv_size_swa;
    g.flash_attn = c.flash_attn;
    g.type_k = c.type_k;
    g.type_v = c.type_v;
    return g;
}

} // namespace

GraphShape prompt_graph_shape(const ContextParams& c) {
    const std::uint32_t tokens = std::min(c.n_ctx, c.n_ubatch);
    return reservation(c, tokens, std::min(tokens, c.n_outputs_max));
}

GraphShape generation_graph_shape(const ContextParams& c) {
    const std::uint32_t n_seqs = c.kv_unified ? 1 : c.n_seq_max;
    return reservation(c, n_seqs, n_seqs);
}

std::optional<ReservedGraphs> build_reserved_graphs(const ModelSpec& m, const ServerSettings& s) {
    if (!has_graph_builder(m.architecture)) {
        return std::nullopt;
    }
    const ContextParams c = resolve_context(m, s);
    return ReservedGraphs{build_llm_graph(m, prompt_graph_shape(c)),
                          build_llm_graph(m, generation_graph_shape(c))};
}

MemoryEstimate estimate_memory(const ModelSpec& m, const ServerSettings& s, const GpuProfile* gpu,
                               const ReservedGraphs* graphs) {
    MemoryEstimate e;
    e.context = resolve_context(m, s);
    const ContextParams& c = e.context;
    const bool has_gpu = gpu != nullptr;
    e.layers_total = m.n_layer + 1;
    e.n_gpu_layers = gpu_layer_count(m, s.n_gpu_layers, has_gpu);
    const std::string gpu_name = "CUDA0";
    const std::string host_name = has_gpu ? "CUDA_Host" : "CPU";
    auto on_gpu = [&](int layer) { return has_gpu && layer_on_gpu(m, e.n_gpu_layers, layer); };
    const bool output_on_gpu = on_gpu(static_cast<int>(m.n_layer));

    // --- weights ---
    std::uint64_t gpu_weights = 0;
    std::uint64_t host_pinned = 0; // CUDA_Host weights without mmap
    std::uint64_t cpu_plain = 0;   // CPU weights without mmap and without a GPU
    std::uint64_t repack = 0;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> span(m.files.size(), {UINT64_MAX, 0});
    bool rope_factors_placed = false;
    for (const auto& t : m.tensors) {
        int layer = t.layer;
        if (layer == k_layer_shared) {
            // rope factors are created in layer 0 and duplicated into the others by reference.
            if (rope_factors_placed && t.name == "rope_freqs.weight") {
                continue;
            }
            rope_factors_placed = true;
            layer = 0;
        }
        if (on_gpu(layer)) {
            gpu_weights += pad(cuda_alloc_size(t.type, t.ne, t.n_dims), k_cuda_alignment);
            continue;
        }
        if (!has_gpu && s.cpu_repack && repackable(t)) {
            // Repacked tensors move to CPU_REPACK; the mapped span covers the others only, so a
            // repacked tensor at either end of the file shrinks it.
            repack += pad(t.bytes, k_cpu_alignment);
            continue;
        }
        if (s.mmap) {
            auto& [lo, hi] = span[t.file_index];
            lo = std::min(lo, t.offset);
            hi = std::max(hi, t.offset + t.bytes);
        } else if (has_gpu) {
            host_pinned += pad(t.bytes, k_cpu_alignment);
        } else {
            cpu_plain += pad(t.bytes, k_cpu_alignment);
        }
    }
    if (m.tied_output && output_on_gpu) {
        // The output reuses token_embd: a GPU copy is made for the output layer.
        for (const auto& t : m.tensors) {
            if (t.name == "token_embd.weight") {
                gpu_weights += pad(cuda_alloc_size(t.type, t.ne, t.n_dims), k_cuda_alignment);
            }
        }
    }
    if (gpu_weights > 0) {
        e.buffers.push_back({BufferKind::model, gpu_name, true, gpu_weights});
    }
    for (const auto& [lo, hi] : span) {
        if (hi > lo) {
            e.buffers.push_back({BufferKind::model, "CPU_Mapped", false, hi - lo});
        }
    }
    if (host_pinned > 0) {
        e.buffers.push_back({BufferKind::model, "CUDA_Host", false, host_pinned});
    }
    if (cpu_plain > 0) {
        e.buffers.push_back({BufferKind::model, "CPU", false, cpu_plain});
    }
    if (repack > 0) {
        e.buffers.push_back({BufferKind::model, "CPU_REPACK", false, repack});
    }

    // --- KV cache: K [n_embd_k_gqa, kv_size, n_stream] and V likewise, per layer ---
    std::uint64_t kv_gpu = 0;
    std::uint64_t kv_cpu = 0;
    std::uint64_t kv_gpu_swa = 0;
    std::uint64_t kv_cpu_swa = 0;
    for (std::uint32_t il = 0; il < m.n_layer; ++il) {
        const bool swa = c.kv_size_swa > 0 && m.swa_layers[il];
        const std::uint64_t cells = swa ? c.kv_size_swa : c.kv_size;
        const bool dev_gpu = on_gpu(static_cast<int>(il)) && s.kv_offload;
        for (const auto& [type, width] :
             {std::pair{c.type_k, m.n_embd_k_gqa(il)}, std::pair{c.type_v, m.n_embd_v_gqa(il)}}) {
            const std::array<std::uint64_t, 4> ne{width, cells, c.n_stream, 1};
            const std::uint64_t bytes =
                dev_gpu ? pad(cuda_alloc_size(type, ne, 3), k_cuda_alignment)
                        : pad(tensor_bytes(type, std::span(ne.data(), 3)), k_cpu_alignment);
            (dev_gpu ? (swa ? kv_gpu_swa : kv_gpu) : (swa ? kv_cpu_swa : kv_cpu)) += bytes;
        }
    }
    if (kv_gpu > 0) {
        e.buffers.push_back({BufferKind::kv, gpu_name, true, kv_gpu});
    }
    if (kv_cpu > 0) {
        e.buffers.push_back({BufferKind::kv, "CPU", false, kv_cpu});
    }
    if (kv_gpu_swa > 0) {
        e.buffers.push_back({BufferKind::kv, gpu_name + " (SWA)", true, kv_gpu_swa});
    }
    if (kv_cpu_swa > 0) {
        e.buffers.push_back({BufferKind::kv, "CPU (SWA)", false, kv_cpu_swa});
    }

    // --- compute: the larger of the prompt (pp) and generation (tg) reservations ---
    const GraphShape pp = prompt_graph_shape(c);
    const GraphShape tg = generation_graph_shape(c);
    std::optional<ReservedGraphs> built;
    if (graphs == nullptr && has_graph_builder(m.architecture)) {
        built = build_reserved_graphs(m, s);
        graphs = &*built;
    }
    if (graphs == nullptr) {
        // No graph model: the fallback formula, larger of the two reservations.
        const ComputeFormula a = compute_formula(m, pp);
        const ComputeFormula b = compute_formula(m, tg);
        const ComputeFormula& f = a.total >= b.total ? a : b;
        if (has_gpu) {
            e.buffers.push_back({BufferKind::compute, gpu_name, true, f.total});
            e.buffers.push_back({BufferKind::compute, host_name, false,
                                 f.inputs + std::uint64_t{m.n_embd} * pp.n_tokens * 4});
        } else {
            e.buffers.push_back({BufferKind::compute, "CPU", false, f.total});
        }
        e.compute_basis = Basis::approximate;
        e.notes.push_back("no compute-graph model for architecture '" + m.architecture +
                          "': compute buffers come from an upper-leaning formula "
                          "(docs/memory-model.md, Fallback)");
    } else if (!has_gpu) {
        const std::uint64_t bytes = std::max(graph::allocate(graphs->prompt, k_cpu_alignment),
                                             graph::allocate(graphs->generation, k_cpu_alignment));
        e.buffers.push_back({BufferKind::compute, "CPU", false, bytes});
        e.compute_basis = Basis::replayed;
    } else {
        graph::SplitPeaks peak;
        for (const graph::Graph* reserved : {&graphs->prompt, &graphs->generation}) {
            const graph::Graph& g = *reserved;
            std::vector<bool> node_gpu(
                g.nodes().empty() ? 0
                                  : static_cast<std::size_t>(
                                        *std::max_element(g.nodes().begin(), g.nodes().end()) + 1));
            for (int n : g.nodes()) {
                const graph::Tensor& t = g.at(n);
                // The embedding lookup stays on the CPU (GET_ROWS of a CPU weight).
                const bool embedding = t.op == graph::Op::get_rows && t.layer < 0;
                node_gpu[static_cast<std::size_t>(n)] =
                    !embedding && on_gpu(t.layer) &&
                    (s.kv_offload || t.op != graph::Op::flash_attn_ext);
            }
            const graph::SplitPeaks p =
                graph::allocate_split(g, node_gpu, k_cpu_alignment, k_cuda_alignment);
            peak.host = std::max(peak.host, p.host);
            peak.gpu = std::max(peak.gpu, p.gpu);
        }
        const bool full = e.n_gpu_layers == e.layers_total;
        if (peak.gpu > 0) {
            e.buffers.push_back({BufferKind::compute, gpu_name, true, peak.gpu});
        }
        if (peak.host > 0) {
            e.buffers.push_back({BufferKind::compute, host_name, false, peak.host});
        }
        e.compute_basis = full ? Basis::replayed : Basis::approximate;
        if (!full) {
            e.notes.push_back(
                "partial offload: compute buffers are approximate (llama.cpp also runs "
                "large-batch matrix multiplications of CPU-resident weights on the GPU, which "
                "is not modelled yet)");
        }
    }

    // --- output: logits of n_seq_max rows in the output device's host buffer ---
    const std::uint64_t out = std::uint64_t{c.n_seq_max} * m.n_vocab * 4;
    e.buffers.push_back(
        {BufferKind::output, output_on_gpu ? host_name : std::string("CPU"), false, out});

    // --- the CUDA context of this process ---
    if (has_gpu) {
        e.buffers.push_back(
            {BufferKind::runtime, "CUDA runtime (context)", true, gpu->runtime_overhead_bytes()});
    }
    if (s.n_gpu_layers == ServerSettings::k_layers_auto && has_gpu) {
        e.notes.push_back("-ngl auto: llama-server's --fit (on by default) may place fewer "
                          "layers at start-up, depending on the free memory then; this "
                          "estimate assumes all layers");
    }
    if (s.n_ctx == 0) {
        e.notes.push_back("no -c: llama.cpp uses the model's training context (" +
                          std::to_string(m.n_ctx_train) + ")");
    }
    return e;
}

} // namespace vramplan
