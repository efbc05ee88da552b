#include "support/gguf_builder.hpp"

#include <vramplan/model/synth.hpp>
#include <vramplan/report/report.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace vramplan;

TEST_CASE("model report: text and JSON agree on the figures") {
    const ModelSpec m = synthesize_model(test::tiny_llama(), FileType::q4_k_m);
    const std::string text = render_model_text(m);
    CHECK(text.find("layers        4 blocks + output layer = 5 for -ngl") != std::string::npos);
    const auto j = nlohmann::json::parse(render_model_json(m));
    CHECK(j["tensor_bytes"] == m.tensor_bytes());
    CHECK(j["layers_total"] == 5);
    CHECK(j["tensors"].size() == m.tensors.size());
    std::uint64_t sum = 0;
    for (const auto& l : j["layers"]) {
        sum += l["bytes"].get<std::uint64_t>();
    }
    CHECK(sum == m.tensor_bytes());
    CHECK(j["file_type"] == "Q4_K_M");
}

TEST_CASE("parameter count sums tensor elements") {
    const ModelSpec m = synthesize_model(test::tiny_llama(), FileType::f16);
    // 2 * 256 * 512 embeddings + 4 blocks + output_norm
    const std::uint64_t block = 256 + 256 * 256 + 2 * 256 * 128 + 256 * 256 + 256 + 3 * 256 * 768;
    CHECK(parameter_count(m) == 2 * 256 * 512 + 4 * block + 256);
}
