#include "support/shipped_data.hpp"

#include <vramplan/estimate/estimate.hpp>
#include <vramplan/estimate/throughput.hpp>
#include <vramplan/model/synth.hpp>

#include <catch2/catch.hpp>

using namespace vramplan;

namespace {

// Qwen2.5-0.5B: 24 blocks, n_embd 896, n_ff 4864, 14 query heads of 64, 2 KV heads.
const ModelSpec& small_model() {
    static const ModelSpec m =
        synthesize_model(*test::shipped_catalog().find("qwen2.5-0.5b-instruct"), FileType::q4_k_m);
    return m;
}

MemoryEstimate estimate(int n_gpu_layers, std::uint32_t ubatch = 512) {
    static GpuProfile gpu; // buffers only; the rates below are given separately
    ServerSettings s;
    s.n_ctx = 4096;
    s.n_parallel = 1;
    s.n_batch = ubatch;
    s.n_ubatch = ubatch;
    s.n_gpu_layers = n_gpu_layers;
    return estimate_memory(small_model(), s, &gpu);
}

ComputeRates rates() {
    ComputeRates r;
    r.gpu_bandwidth_gb_s = 200;
    r.gpu_tflops = 100;
    r.pcie_gb_s = 10;
    r.host_bandwidth_gb_s = 50;
    r.host_gflops = 400;
    return r;
}

std::uint64_t block_matrix_bytes(const ModelSpec& m, int first_layer, int last_layer) {
    std::uint64_t n = 0;
    for (const auto& t : m.tensors) {
        if (t.layer >= first_layer && t.layer <= last_layer && t.n_dims >= 2) {
            n += t.bytes;
        }
    }
    return n;
}

} // namespace

TEST_CASE("prompt FLOPs by hand: Qwen2.5-0.5B, 512 tokens, all layers on the GPU") {
    // Per block: q, o 896x896; k, v 896x128; gate, up, down 896x4864 -> 14,909,440 weights;
    // 24 blocks x 2 FLOPs = 715,653,120 per token. Attention: 2 x 14 heads x (64 + 64) x 256
    // keys seen on average x 24 blocks = 22,020,096 per token. 512 tokens at 100 TFLOPS.
    const double flops = (715653120.0 + 22020096.0) * 512;
    const SpeedEstimate s = estimate_speed(small_model(), estimate(99), rates(), {512, 128});
    CHECK(s.prompt_tokens_per_s == Approx(512 / (flops / 100e12)).epsilon(1e-9));
    CHECK(s.prompt_tokens_per_s == Approx(s.full_offload_prompt_tokens_per_s));
    CHECK(s.pcie_bytes_per_ubatch == 0);
    CHECK(s.fraction_of_full() == Approx(1.0));
}

TEST_CASE("host layers cost a PCIe copy of their weights per micro-batch (op offload)") {
    const ModelSpec& m = small_model();
    // -ngl 13: the output layer and blocks 12..23 on the GPU, blocks 0..11 in host RAM.
    const std::uint64_t host_matrices = block_matrix_bytes(m, 0, 11);
    for (const std::uint32_t ubatch : {512U, 128U}) {
        const SpeedEstimate s = estimate_speed(m, estimate(13, ubatch), rates(), {512, 128});
        CHECK(s.pcie_bytes_per_ubatch == host_matrices);
        const double ubatches = 512.0 / ubatch;
        const double copy_s = static_cast<double>(host_matrices) * ubatches / 10e9;
        const double t_now = 512 / s.prompt_tokens_per_s;
        const double t_full = 512 / s.full_offload_prompt_tokens_per_s;
        CHECK(t_now - t_full == Approx(copy_s).epsilon(1e-9));
    }
}

TEST_CASE("below 32 tokens a micro-batch computes host layers on the CPU") {
    const ModelSpec& m = small_model();
    ComputeRates slow_host = rates();
    slow_host.host_gflops = 100;
    const SpeedEstimate a = estimate_speed(m, estimate(13, 16), rates(), {512, 128});
    const SpeedEstimate b = estimate_speed(m, estimate(13, 16), slow_host, {512, 128});
    CHECK(a.pcie_bytes_per_ubatch == 0);
    CHECK(b.prompt_tokens_per_s < a.prompt_tokens_per_s);
    // With 32 tokens and more the host's compute no longer matters.
    const SpeedEstimate c = estimate_speed(m, estimate(13, 32), rates(), {512, 128});
    const SpeedEstimate d = estimate_speed(m, estimate(13, 32), slow_host, {512, 128});
    CHECK(c.prompt_tokens_per_s == Approx(d.prompt_tokens_per_s));
}

TEST_CASE("generation reads GPU bytes at GPU bandwidth and host bytes at host bandwidth") {
    const SpeedEstimate s = estimate_speed(small_model(), estimate(13), rates(), {0, 1});
    const double t = static_cast<double>(s.gpu_bytes_per_token) / 200e9 +
                     static_cast<double>(s.host_bytes_per_token) / 50e9;
    CHECK(s.tokens_per_s == Approx(1 / t).epsilon(1e-6));
    CHECK(s.host_bytes_per_token > block_matrix_bytes(small_model(), 0, 11));
    // No prompt: the request is one generated token.
    CHECK(s.request_seconds == Approx(t).epsilon(1e-6));
    CHECK(s.fraction_of_full() == Approx(s.generation_fraction_of_full()));
}

TEST_CASE("more layers on the GPU is never slower; the request blends prompt and generation") {
    double last = 0;
    for (int ngl = 0; ngl <= 25; ++ngl) {
        const SpeedEstimate s = estimate_speed(small_model(), estimate(ngl), rates(), {768, 64});
        CHECK(s.fraction_of_full() >= last);
        CHECK(s.fraction_of_full() <= 1.0 + 1e-12);
        const double blended =
            768 / s.prompt_tokens_per_s + 64 / s.tokens_per_s; // prompt, then generation
        CHECK(s.request_seconds == Approx(blended).epsilon(1e-9));
        last = s.fraction_of_full();
    }
    CHECK(last == Approx(1.0));
}

TEST_CASE("a GPU profile without compute figures: generation only") {
    ComputeRates r = rates();
    r.gpu_tflops = 0;
    const SpeedEstimate s = estimate_speed(small_model(), estimate(13), r, {512, 128});
    CHECK(s.prompt_tokens_per_s == 0);
    CHECK(s.fraction_of_full() == Approx(s.generation_fraction_of_full()));
}

TEST_CASE("CPU only: prompts at the host's compute, everything at full speed by definition") {
    ComputeRates r = rates();
    r.gpu_bandwidth_gb_s = 0;
    const SpeedEstimate s = estimate_speed(small_model(), estimate(0), r, {512, 128});
    const double flops = (715653120.0 + 22020096.0) * 512;
    CHECK(s.prompt_tokens_per_s == Approx(512 / (flops / 400e9)).epsilon(1e-9));
    CHECK(s.fraction_of_full() == Approx(1.0));
}

TEST_CASE("a host profile's compute scales with the threads, up to its cores") {
    const HostProfile& h = test::shipped_host();
    CHECK(h.gflops(0) == Approx(h.core_gflops * h.cores));
    CHECK(h.gflops(4) == Approx(h.core_gflops * 4));
    CHECK(h.gflops(10000) == Approx(h.gflops(0)));
}

TEST_CASE("a mixture of experts reads and multiplies only the experts in use") {
    ModelSpec m;
    m.n_layer = 1;
    m.n_head = {1};
    m.n_head_kv = {1};
    m.n_embd_head_k = m.n_embd_head_v = 1;
    m.n_expert = 8;
    m.n_expert_used = 2;
    TensorSpec experts{"blk.0.ffn_up_exps.weight", 0, GgmlType::f32, {100, 10, 8, 1}, 3, 32000};
    TensorSpec output{"output.weight", 1, GgmlType::f32, {100, 10, 1, 1}, 2, 4000};
    m.tensors = {experts, output};
    MemoryEstimate e;
    e.layers_total = 2;
    e.n_gpu_layers = 0;
    e.context.n_ubatch = 1;
    ComputeRates r;
    r.host_bandwidth_gb_s = 1;
    r.host_gflops = 1;
    const SpeedEstimate s = estimate_speed(m, e, r, {1, 1});
    CHECK(s.host_bytes_per_token == 32000 / 4 + 4000);
    // 2 FLOPs x 100 x 10 x 2 experts, plus attention 2 x 1 head x (1 + 1) x 0.5 keys.
    CHECK(1 / s.prompt_tokens_per_s == Approx((4000.0 + 2.0) / 1e9));
}
