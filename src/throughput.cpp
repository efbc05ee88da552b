#include <vramplan/throughput.hpp>

namespace vramplan {

namespace {

struct Bytes {
    std::uint64_t gpu = 0;
    std::uint64_t host = 0;
};

// Weights read per token with `n_gpu` layers on the GPU: every tensor of the blocks and the
// output layer; of the input layer (the embedding table) one row, which we neglect.
Bytes weights_read(const ModelSpec& m, std::uint32_t n_gpu, bool has_gpu) {
    Bytes b;
    for (const auto& t : m.tensors) {
        if (t.layer == k_layer_input) {
            continue;
        }
        const int layer = t.layer == k_layer_shared ? 0 : t.layer;
        (has_gpu && layer_on_gpu(m, n_gpu, layer) ? b.gpu : b.host) += t.bytes;
    }
    return b;
}

double seconds(const Bytes& b, double gpu_bw, double host_bw) {
    return static_cast<double>(b.gpu) / (gpu_bw * 1e9) +
           static_cast<double>(b.host) / (host_bw * 1e9);
}

} // namespace

SpeedEstimate generation_speed(const ModelSpec& m, const MemoryEstimate& e, double gpu_bw_gb_s,
                               double host_bw_gb_s, double kv_fill) {
    const bool has_gpu = e.n_gpu_layers > 0 || gpu_bw_gb_s > 0;
    Bytes now = weights_read(m, e.n_gpu_layers, e.n_gpu_layers > 0);
    Bytes full = weights_read(m, e.layers_total, true);
    for (const auto& b : e.buffers) {
        if (b.kind == BufferKind::kv) {
            const auto used = static_cast<std::uint64_t>(static_cast<double>(b.bytes) * kv_fill);
            (b.on_gpu ? now.gpu : now.host) += used;
            full.gpu += used;
        }
    }
    SpeedEstimate s;
    s.gpu_bytes_per_token = now.gpu;
    s.host_bytes_per_token = now.host;
    const double t_now = seconds(now, has_gpu ? gpu_bw_gb_s : host_bw_gb_s, host_bw_gb_s);
    const double t_full = seconds(full, has_gpu ? gpu_bw_gb_s : host_bw_gb_s, host_bw_gb_s);
    s.tokens_per_s = t_now > 0 ? 1.0 / t_now : 0;
    s.full_offload_tokens_per_s = t_full > 0 ? 1.0 / t_full : 0;
    s.fraction_of_full =
        s.full_offload_tokens_per_s > 0 ? s.tokens_per_s / s.full_offload_tokens_per_s : 0;
    return s;
}

} // namespace vramplan
