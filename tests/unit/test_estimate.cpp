// The estimator against llama.cpp v0.5.0 itself: every buffer of the 136 runs in
// tests/data/cpu-truth.json (CPU_Mapped and CPU_REPACK weights, KV cache, compute, output), the
// graph node counts of their logs, the runs llama.cpp refused, and the real CUDA log of the
// memory model's section 9 for weights, KV and the GPU compute buffer.

#include "support/gguf_builder.hpp"

#include <vramplan/base/error.hpp>
#include <vramplan/base/units.hpp>
#include <vramplan/estimate/estimate.hpp>
#include <vramplan/estimate/llm_graph.hpp>
#include <vramplan/model/catalog.hpp>
#include <vramplan/model/synth.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>

using namespace vramplan;
using json = nlohmann::json;

namespace {

const Catalog& catalog() {
    static const Catalog c = Catalog::load(std::string(VRAMPLAN_SOURCE_DIR) + "/models");
    return c;
}

json load(const char* name) {
    std::ifstream in(std::string(VRAMPLAN_TEST_DATA_DIR) + "/" + name);
    REQUIRE(in);
    return json::parse(in);
}

// The truth harness's settings: node-llama-cpp passes n_batch = n_ubatch and one stream per
// sequence.
ServerSettings settings_of(const json& run) {
    const json& st = run["settings"];
    ServerSettings s;
    s.n_ctx = st["ctx"];
    s.n_batch = st["ubatch"];
    s.n_ubatch = st["ubatch"];
    s.n_parallel = st["seqs"];
    s.kv_unified = false;
    s.flash_attn = st["fa"].get<bool>() ? FlashAttn::on : FlashAttn::off;
    s.type_k = s.type_v = parse_ggml_type(st["kv"].get<std::string>()).value();
    return s;
}

ModelSpec model_of(const json& run) {
    static const CatalogModel tiny = test::tiny_llama();
    const std::string name = run["model"];
    const CatalogModel* cm = name == "tiny-llama" ? &tiny : catalog().find(name);
    REQUIRE(cm != nullptr);
    // The validation files were written in the converter's order (tests/data/README.md).
    return synthesize_model(*cm, parse_file_type(run["quant"].get<std::string>()).value(), {},
                            TensorOrder::converter);
}

} // namespace

TEST_CASE("every buffer of every llama.cpp CPU run, to the logged two decimals") {
    const json truth = load("cpu-truth.json");
    int compared = 0;
    int refused = 0;
    for (const json& run : truth["runs"]) {
        INFO(run["log"].get<std::string>());
        const ModelSpec m = model_of(run);
        const ServerSettings s = settings_of(run);
        if (!run["error"].is_null()) {
            CHECK_THROWS_AS(estimate_memory(m, s, nullptr), Error);
            ++refused;
            continue;
        }
        const MemoryEstimate e = estimate_memory(m, s, nullptr);
        std::map<std::string, std::string> got;
        std::map<std::string, std::string> want;
        for (const auto& b : e.buffers) {
            got[std::string(buffer_kind_name(b.kind)) + " " + b.buffer] = format_mib(b.bytes);
        }
        for (const auto& [field, kind] :
             {std::pair{"model_buffers_mib", "model"}, std::pair{"kv_buffers_mib", "kv"},
              std::pair{"compute_buffers_mib", "compute"},
              std::pair{"output_buffers_mib", "output"}}) {
            for (const json& b : run[field]) {
                want[std::string(kind) + " " + b["buft"].get<std::string>()] =
                    fmt::format("{:.2f}", b["mib"].get<double>());
            }
        }
        CHECK(got == want);
        CHECK(e.context.n_ctx == std::stoul(run["n_ctx"].get<std::string>()));
        CHECK(e.context.n_ctx_seq == std::stoul(run["n_ctx_seq"].get<std::string>()));
        ++compared;
    }
    CHECK(compared == 129);
    CHECK(refused == 7);
}

TEST_CASE("compute buffers to the byte where the log has four decimals; node counts") {
    const json truth = load("cpu-truth.json");
    const json nodes = load("cpu-truth-nodes.json")["nodes"];
    int exact = 0;
    for (const json& run : truth["runs"]) {
        if (!run["error"].is_null()) {
            continue;
        }
        INFO(run["log"].get<std::string>());
        const MemoryEstimate e = estimate_memory(model_of(run), settings_of(run), nullptr);
        for (const auto& b : e.buffers) {
            if (b.kind == BufferKind::compute && !run["compute_buffers_exact_mib"].empty()) {
                CHECK(fmt::format("{:.4f}", static_cast<double>(b.bytes) / 1048576.0) ==
                      fmt::format("{:.4f}",
                                  run["compute_buffers_exact_mib"][0]["mib"].get<double>()));
                ++exact;
            }
        }
        // The reserved prompt graph has as many nodes as llama.cpp's.
        CHECK(build_llm_graph(model_of(run), prompt_graph_shape(e.context)).nodes().size() ==
              nodes[run["log"].get<std::string>()].get<std::size_t>());
    }
    CHECK(exact >= 110);
}

TEST_CASE("a real CUDA log: Qwen2.5-Coder-7B Q4_K_M, n_ctx 4096, all layers on the GPU") {
    // validation/real-logs/001 (RTX 3060): CUDA0 model 4168.09, CPU_Mapped 292.36, KV 224.00,
    // CUDA0 compute 304.00 MiB.
    GpuProfile gpu;
    gpu.runtime_overhead_mib = 250;
    const ModelSpec m =
        synthesize_model(*catalog().find("qwen2.5-coder-7b-instruct"), FileType::q4_k_m);
    ServerSettings s;
    s.n_ctx = 4096;
    s.n_parallel = 1;
    s.n_gpu_layers = 99;
    const MemoryEstimate e = estimate_memory(m, s, &gpu);
    std::map<std::string, std::string> got;
    for (const auto& b : e.buffers) {
        got[std::string(buffer_kind_name(b.kind)) + " " + b.buffer] = format_mib(b.bytes);
    }
    CHECK(got["model CUDA0"] == "4168.09");
    CHECK(got["model CPU_Mapped"] == "292.36");
    CHECK(got["kv CUDA0"] == "224.00");
    CHECK(got["compute CUDA0"] == "304.00");
    CHECK(got["runtime CUDA runtime (context)"] == "250.00");
    CHECK(e.n_gpu_layers == 29);
}

TEST_CASE("layer placement: -ngl counts the output layer first") {
    const ModelSpec m = synthesize_model(*catalog().find("qwen2.5-7b-instruct"), FileType::q4_k_m);
    CHECK(gpu_layer_count(m, 0, true) == 0);
    CHECK(gpu_layer_count(m, 1, true) == 1);
    CHECK(layer_on_gpu(m, 1, 28)); // -ngl 1: only the output layer
    CHECK_FALSE(layer_on_gpu(m, 1, 27));
    CHECK(layer_on_gpu(m, 10, 19)); // -ngl 10: output + blocks 19..27
    CHECK_FALSE(layer_on_gpu(m, 10, 18));
    CHECK(gpu_layer_count(m, 999, true) == 29);
    CHECK(gpu_layer_count(m, ServerSettings::k_layers_auto, true) == 29);
    CHECK(gpu_layer_count(m, 20, false) == 0);
    CHECK_FALSE(layer_on_gpu(m, 29, k_layer_input)); // token_embd stays on the CPU
}

TEST_CASE("partial offload: weights split across CUDA0 and the mmap span, KV follows layers") {
    const ModelSpec m = synthesize_model(*catalog().find("qwen2.5-7b-instruct"), FileType::q4_k_m);
    GpuProfile gpu;
    ServerSettings s;
    s.n_ctx = 4096;
    s.n_parallel = 1;
    s.n_gpu_layers = 10; // output + 9 blocks
    const MemoryEstimate e = estimate_memory(m, s, &gpu);
    std::uint64_t gpu_w = 0;
    std::uint64_t mapped = 0;
    std::uint64_t kv_gpu = 0;
    std::uint64_t kv_cpu = 0;
    for (const auto& b : e.buffers) {
        gpu_w += b.kind == BufferKind::model && b.buffer == "CUDA0" ? b.bytes : 0;
        mapped += b.buffer == "CPU_Mapped" ? b.bytes : 0;
        kv_gpu += b.kind == BufferKind::kv && b.buffer == "CUDA0" ? b.bytes : 0;
        kv_cpu += b.kind == BufferKind::kv && b.buffer == "CPU" ? b.bytes : 0;
    }
    // In llama-quantize order the CPU tensors (token_embd, blocks 0..18) are contiguous, so the
    // mapped span is their sum; nothing is counted twice.
    CHECK(gpu_w + mapped == m.tensor_bytes());
    CHECK(kv_gpu == 9ULL * 4096 * 512 * 2 * 2);
    CHECK(kv_cpu == 19ULL * 4096 * 512 * 2 * 2);
    CHECK(e.compute_basis == Basis::approximate);
}

TEST_CASE("tied output on the GPU gets its own copy of token_embd") {
    const ModelSpec m = synthesize_model(*catalog().find("qwen2.5-3b-instruct"), FileType::q4_k_m);
    GpuProfile gpu;
    ServerSettings s;
    s.n_ctx = 1024;
    s.n_parallel = 1;
    s.n_gpu_layers = 1; // the output layer only
    const MemoryEstimate e = estimate_memory(m, s, &gpu);
    std::uint64_t embd = 0;
    std::uint64_t norm = 0;
    for (const auto& t : m.tensors) {
        embd += t.name == "token_embd.weight" ? t.bytes : 0;
        norm += t.name == "output_norm.weight" ? t.bytes : 0;
    }
    for (const auto& b : e.buffers) {
        if (b.kind == BufferKind::model && b.buffer == "CUDA0") {
            CHECK(b.bytes == (embd + 127) / 128 * 128 + (norm + 127) / 128 * 128);
        }
    }
}

TEST_CASE("CUDA row padding for quantized tensors whose rows are not a multiple of 512") {
    CHECK(cuda_alloc_size(GgmlType::q4_k, {3584, 512, 1, 1}, 2) == 3584 / 256 * 144 * 512);
    // 896 columns of q8_0: + row_bytes(q8_0, 128) once per tensor.
    CHECK(cuda_alloc_size(GgmlType::q8_0, {896, 128, 1, 1}, 2) == 896 / 32 * 34 * 128 + 4 * 34);
    CHECK(cuda_alloc_size(GgmlType::f16, {896, 128, 1, 1}, 2) == 896 * 2 * 128);
}

TEST_CASE("llama.cpp's refusals and defaults") {
    const ModelSpec m = synthesize_model(test::tiny_llama(), FileType::q8_0);
    ServerSettings s;
    s.n_ctx = 1000; // not a multiple of 256
    s.n_parallel = 3;
    const ContextParams c = resolve_context(m, s);
    CHECK(c.n_ctx_seq == 512); // pad(pad(1000, 256) / 3, 256)
    CHECK(c.n_ctx == 1536);
    ServerSettings automatic; // -np auto: 4 slots, unified, training context
    const ContextParams a = resolve_context(m, automatic);
    CHECK(a.n_seq_max == 4);
    CHECK(a.kv_unified);
    CHECK(a.n_ctx == 4096);
    CHECK(a.n_ctx_seq == 4096);
    ServerSettings bad;
    bad.type_v = GgmlType::q8_0;
    bad.flash_attn = FlashAttn::off;
    CHECK_THROWS_WITH(resolve_context(m, bad), Catch::Contains("requires flash attention"));
}

TEST_CASE("the worked example of docs/memory-model.md") {
    const GpuProfiles gpus = GpuProfiles::load(std::string(VRAMPLAN_SOURCE_DIR) + "/profiles/gpus");
    const ModelSpec m = synthesize_model(*catalog().find("qwen2.5-7b-instruct"), FileType::q4_k_m);
    ServerSettings s;
    s.n_ctx = 4096;
    s.n_parallel = 1;
    s.n_gpu_layers = 99;
    const MemoryEstimate e = estimate_memory(m, s, &gpus.resolve("rtx3060"));
    std::map<std::string, std::uint64_t> got;
    for (const auto& b : e.buffers) {
        got[std::string(buffer_kind_name(b.kind)) + " " + b.buffer] = b.bytes;
    }
    CHECK(got["model CPU_Mapped"] == 3584ULL / 256 * 144 * 152064);
    CHECK(got["model CPU_Mapped"] == 306561024ULL);
    CHECK(got["model CUDA0"] == 4677120000ULL - 306561024ULL);
    CHECK(got["kv CUDA0"] == 28ULL * 4096 * 512 * 2 * 2);
    CHECK(got["compute CUDA0"] == 152064ULL * 512 * 4 + 3584ULL * 512 * 4);
    CHECK(got["compute CUDA_Host"] == 18888704ULL);
    CHECK(got["output CUDA_Host"] == 152064ULL * 4);
    CHECK(got["runtime CUDA runtime (context)"] == 90ULL << 20);
    ServerSettings cpu = s;
    const MemoryEstimate c = estimate_memory(m, cpu, nullptr);
    for (const auto& b : c.buffers) {
        if (b.kind == BufferKind::compute) {
            CHECK(format_mib(b.bytes) == "311.00");
        }
    }
}

TEST_CASE("the fallback compute formula never undershoots the replay on the truth runs") {
    const json truth = load("cpu-truth.json");
    double worst_over = 0;
    for (const json& run : truth["runs"]) {
        if (!run["error"].is_null()) {
            continue;
        }
        INFO(run["log"].get<std::string>());
        const ModelSpec m = model_of(run);
        const MemoryEstimate e = estimate_memory(m, settings_of(run), nullptr);
        const std::uint64_t formula =
            std::max(compute_formula(m, prompt_graph_shape(e.context)).total,
                     compute_formula(m, generation_graph_shape(e.context)).total);
        for (const auto& b : e.buffers) {
            if (b.kind == BufferKind::compute) {
                CHECK(formula >= b.bytes);
                worst_over = std::max(worst_over,
                                      static_cast<double>(formula) / static_cast<double>(b.bytes));
            }
        }
    }
    // Conservative, but not absurdly: measured 1.04x to 1.28x (median 1.10x) on this set.
    CHECK(worst_over < 1.35);
}

TEST_CASE("an architecture without a graph model gets the formula, marked approximate") {
    ModelSpec m = synthesize_model(test::tiny_llama(), FileType::q8_0);
    m.architecture = "mamba-like";
    ServerSettings s;
    s.n_ctx = 1024;
    s.n_parallel = 1;
    const MemoryEstimate e = estimate_memory(m, s, nullptr);
    CHECK(e.compute_basis == Basis::approximate);
    REQUIRE_FALSE(e.notes.empty());
    CHECK(e.notes.back().find("no compute-graph model") != std::string::npos);
}
