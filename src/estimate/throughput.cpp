#include <vramplan/estimate/throughput.hpp>

#include <algorithm>

namespace vramplan {

namespace {

// A mixture of experts keeps all experts of a layer in one 3-D tensor; a token uses
// n_expert_used of them.
double share_in_use(const ModelSpec& m, const TensorSpec& t) {
    if (m.n_expert > 0 && m.n_expert_used > 0 && t.n_dims == 3 && t.ne[2] == m.n_expert) {
        return static_cast<double>(m.n_expert_used) / m.n_expert;
    }
    return 1.0;
}

bool is_block(const ModelSpec& m, const TensorSpec& t) {
    return t.layer >= 0 && t.layer < static_cast<int>(m.n_layer);
}

struct Split {
    double gpu = 0;
    double host = 0;
};

// Bytes read per generated token with `n_gpu` layers on the GPU: every tensor of the blocks and
// the output layer; of the input layer (the embedding table) one row, which we neglect.
Split generation_bytes(const ModelSpec& m, std::uint32_t n_gpu, bool has_gpu) {
    Split b;
    for (const auto& t : m.tensors) {
        if (t.layer == k_layer_input) {
            continue;
        }
        const int layer = t.layer == k_layer_shared ? 0 : t.layer;
        const double bytes = static_cast<double>(t.bytes) * share_in_use(m, t);
        (has_gpu && layer_on_gpu(m, n_gpu, layer) ? b.gpu : b.host) += bytes;
    }
    return b;
}

// Prompt processing of one prompt, split by where each block's layer lives: the FLOPs of its
// weight matrices (2 per weight in use per token) and of attention (QK^T and V products over the
// keys a causal prompt token sees, on average half the prompt, at most the sliding window).
// `host_weight_bytes`: the matrices of host layers, what op offload copies per micro-batch. The
// output layer computes logits for the last token only and is left out.
struct PromptWork {
    Split flops;
    std::uint64_t host_weight_bytes = 0;
};

PromptWork prompt_work(const ModelSpec& m, std::uint32_t n_gpu, bool has_gpu,
                       std::uint32_t prompt_tokens) {
    PromptWork w;
    const double tokens = prompt_tokens;
    for (const auto& t : m.tensors) {
        if (!is_block(m, t) || t.n_dims < 2) {
            continue;
        }
        const double elements = static_cast<double>(t.ne[0]) * static_cast<double>(t.ne[1]) *
                                static_cast<double>(t.ne[2]) * static_cast<double>(t.ne[3]);
        const bool gpu = has_gpu && layer_on_gpu(m, n_gpu, t.layer);
        (gpu ? w.flops.gpu : w.flops.host) += 2.0 * elements * share_in_use(m, t) * tokens;
        if (!gpu) {
            w.host_weight_bytes += t.bytes;
        }
    }
    const double keys_seen = tokens / 2.0;
    for (std::uint32_t il = 0; il < m.n_layer; ++il) {
        const bool swa = m.n_swa > 0 && il < m.swa_layers.size() && m.swa_layers[il];
        const double keys = swa ? std::min(keys_seen, static_cast<double>(m.n_swa)) : keys_seen;
        const double flops =
            2.0 * m.n_head.at(il) * (m.n_embd_head_k + m.n_embd_head_v) * keys * tokens;
        (has_gpu && layer_on_gpu(m, n_gpu, static_cast<int>(il)) ? w.flops.gpu : w.flops.host) +=
            flops;
    }
    return w;
}

double per_second(double amount, double rate) {
    return rate > 0 ? amount / rate : 0;
}

// Seconds to process the prompt; 0 when the rates do not allow an estimate.
double prompt_seconds(const ModelSpec& m, std::uint32_t n_gpu, const ComputeRates& r,
                      std::uint32_t n_ubatch, std::uint32_t prompt_tokens,
                      std::uint64_t* pcie_bytes_per_ubatch) {
    const bool has_gpu = r.gpu_bandwidth_gb_s > 0;
    if (prompt_tokens == 0 || (has_gpu ? r.gpu_tflops <= 0 : r.host_gflops <= 0)) {
        return 0;
    }
    const PromptWork w = prompt_work(m, n_gpu, has_gpu, prompt_tokens);
    const double gpu_flops_s = r.gpu_tflops * 1e12;
    const double host_flops_s = r.host_gflops * 1e9;
    if (!has_gpu) {
        return per_second(w.flops.host, host_flops_s);
    }
    const std::uint32_t ubatch = std::min(prompt_tokens, std::max<std::uint32_t>(n_ubatch, 1));
    if (ubatch < k_op_offload_min_batch) {
        return per_second(w.flops.gpu, gpu_flops_s) + per_second(w.flops.host, host_flops_s);
    }
    const std::uint32_t ubatches = (prompt_tokens + ubatch - 1) / ubatch;
    if (pcie_bytes_per_ubatch != nullptr) {
        *pcie_bytes_per_ubatch = w.host_weight_bytes;
    }
    return per_second(w.flops.gpu + w.flops.host, gpu_flops_s) +
           per_second(static_cast<double>(w.host_weight_bytes) * ubatches, r.pcie_gb_s * 1e9);
}

double ratio(double a, double b) {
    return b > 0 ? a / b : 0;
}

} // namespace

double SpeedEstimate::generation_fraction_of_full() const {
    return ratio(tokens_per_s, full_offload_tokens_per_s);
}

double SpeedEstimate::prompt_fraction_of_full() const {
    return ratio(prompt_tokens_per_s, full_offload_prompt_tokens_per_s);
}

double SpeedEstimate::fraction_of_full() const {
    return ratio(full_offload_request_seconds, request_seconds);
}

SpeedEstimate estimate_speed(const ModelSpec& m, const MemoryEstimate& e, const ComputeRates& r,
                             const Workload& w, double kv_fill) {
    const bool has_gpu = r.gpu_bandwidth_gb_s > 0;
    Split now = generation_bytes(m, e.n_gpu_layers, has_gpu && e.n_gpu_layers > 0);
    Split full = generation_bytes(m, e.layers_total, has_gpu);
    for (const auto& b : e.buffers) {
        if (b.kind == BufferKind::kv) {
            const double used = static_cast<double>(b.bytes) * kv_fill;
            (b.on_gpu ? now.gpu : now.host) += used;
            (has_gpu ? full.gpu : full.host) += used;
        }
    }
    const auto generation_seconds = [&r](const Split& b) {
        return per_second(b.gpu, r.gpu_bandwidth_gb_s * 1e9) +
               per_second(b.host, r.host_bandwidth_gb_s * 1e9);
    };
    SpeedEstimate s;
    s.workload = w;
    s.gpu_bytes_per_token = static_cast<std::uint64_t>(now.gpu);
    s.host_bytes_per_token = static_cast<std::uint64_t>(now.host);
    const double t_now = generation_seconds(now);
    const double t_full = generation_seconds(full);
    s.tokens_per_s = t_now > 0 ? 1.0 / t_now : 0;
    s.full_offload_tokens_per_s = t_full > 0 ? 1.0 / t_full : 0;

    const std::uint32_t ubatch = e.context.n_ubatch;
    const double p_now =
        prompt_seconds(m, e.n_gpu_layers, r, ubatch, w.prompt_tokens, &s.pcie_bytes_per_ubatch);
    const double p_full = prompt_seconds(m, e.layers_total, r, ubatch, w.prompt_tokens, nullptr);
    s.prompt_tokens_per_s = p_now > 0 ? w.prompt_tokens / p_now : 0;
    s.full_offload_prompt_tokens_per_s = p_full > 0 ? w.prompt_tokens / p_full : 0;
    // Without a prompt estimate the request is its generation alone.
    const bool with_prompt = p_now > 0 && p_full > 0;
    s.request_seconds = (with_prompt ? p_now : 0) + w.generated_tokens * t_now;
    s.full_offload_request_seconds = (with_prompt ? p_full : 0) + w.generated_tokens * t_full;
    return s;
}

} // namespace vramplan
