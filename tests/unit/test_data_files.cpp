// Every shipped data file loads, and the names the deployment notes use resolve.

#include <vramplan/model/catalog.hpp>
#include <vramplan/model/gpu_profile.hpp>
#include <vramplan/model/synth.hpp>

#include <catch2/catch.hpp>

using namespace vramplan;

TEST_CASE("every model in models/ loads and synthesizes for each published quantization") {
    const Catalog c = Catalog::load(std::string(VRAMPLAN_SOURCE_DIR) + "/models");
    CHECK(c.models().size() >= 14);
    for (const auto& m : c.models()) {
        INFO(m.source_path);
        CHECK(m.source_path.find(m.name + ".yaml") != std::string::npos);
        for (const auto& f : m.files) {
            CHECK(synthesize_model(m, f.quant).tensor_bytes() > 0);
        }
    }
    for (const char* required :
         {"qwen2.5-0.5b-instruct", "qwen2.5-1.5b-instruct", "qwen2.5-3b-instruct",
          "qwen2.5-7b-instruct", "qwen2.5-14b-instruct", "qwen2.5-32b-instruct",
          "qwen2.5-coder-1.5b-instruct", "qwen2.5-coder-7b-instruct", "qwen2.5-coder-14b-instruct",
          "llama-3.1-8b-instruct", "llama-3.2-3b-instruct", "mistral-7b-instruct-v0.3",
          "gemma-2-2b-it", "gemma-2-9b-it"}) {
        CHECK(c.find(required) != nullptr);
    }
}

TEST_CASE("the deployment's names resolve: seed file names and role aliases") {
    const Catalog c = Catalog::load(std::string(VRAMPLAN_SOURCE_DIR) + "/models");
    CHECK(c.resolve("Qwen2.5-3B-Instruct-Q4_K_M.gguf").model->name == "qwen2.5-3b-instruct");
    const ModelMatch code = c.resolve("qwen2.5-coder-7b-instruct-q4_k_m.gguf");
    CHECK(code.model->name == "qwen2.5-coder-7b-instruct");
    CHECK(code.quant == FileType::q4_k_m);
    CHECK(c.resolve("3b", "chat").model->name == "qwen2.5-3b-instruct");
    CHECK(c.resolve("7b", "code").model->name == "qwen2.5-coder-7b-instruct");
    CHECK(c.resolve("7b", "chat").model->name == "qwen2.5-7b-instruct");
}

TEST_CASE("every GPU profile loads with sourced figures") {
    const GpuProfiles g = GpuProfiles::load(std::string(VRAMPLAN_SOURCE_DIR) + "/profiles/gpus");
    CHECK(g.all().size() >= 19);
    for (const auto& p : g.all()) {
        INFO(p.source_path);
        CHECK_FALSE(p.memory_total_source.empty());
        CHECK_FALSE(p.bandwidth_source.empty());
        CHECK(p.runtime_overhead_mib > 0);
        // Prompt processing needs the tensor-core peak and the host link of every shipped GPU.
        CHECK(p.fp16_tensor_tflops > 0);
        CHECK(p.pcie_bandwidth_gb_s() > 0);
        CHECK_FALSE(p.compute_source.empty());
    }
    // Derived peaks agree with the figures NVIDIA publishes.
    CHECK(g.resolve("rtx4090").fp16_tensor_tflops == Approx(330.3).epsilon(1e-3));
    CHECK(g.resolve("a100-80gb").fp16_tensor_tflops == Approx(311.9).epsilon(1e-3));
    CHECK(g.resolve("rtx3090").fp16_tensor_tflops == Approx(142.3).epsilon(1e-3));
    CHECK(g.resolve("t4").fp16_tensor_tflops == Approx(65.1).epsilon(1e-3));
    for (const char* name : {"rtx4050", "rtx3060", "rtx4090", "a100-80gb", "h100", "l4", "t4",
                             "a10", "rtx5090", "rtx4060ti-16gb", "a100-40gb"}) {
        CHECK(g.find(name) != nullptr);
    }
    CHECK(g.resolve("rtx4050").memory_total_mib == 6141);
}
