#include "support/gguf_builder.hpp"

#include <vramplan/base/error.hpp>
#include <vramplan/model/model.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <filesystem>
#include <fstream>

using namespace vramplan;

namespace {

GgufWriter base_writer() {
    GgufWriter w;
    w.add_string("general.architecture", "llama");
    w.add_string("general.name", "unit");
    w.add_u32("general.file_type", 15);
    w.add_u32("llama.block_count", 2);
    w.add_u32("llama.embedding_length", 64);
    w.add_u32("llama.context_length", 2048);
    w.add_u32("llama.feed_forward_length", 128);
    w.add_u32("llama.attention.head_count", 4);
    w.add_u32("llama.vocab_size", 100);
    return w;
}

ModelSpec parse(const GgufWriter& w) {
    const std::vector<GgufFile> parts{parse_gguf(test::file_bytes(w))};
    const std::vector<std::string> paths{"m.gguf"};
    return model_from_gguf(parts, paths);
}

} // namespace

TEST_CASE("tensor_layer places tensors as llama.cpp does") {
    CHECK(tensor_layer("blk.5.attn_q.weight", 28) == 5);
    CHECK(tensor_layer("output.weight", 28) == 28);
    CHECK(tensor_layer("output_norm.weight", 28) == 28);
    CHECK(tensor_layer("token_embd.weight", 28) == k_layer_input);
    CHECK(tensor_layer("rope_freqs.weight", 28) == k_layer_shared);
}

TEST_CASE("architecture numbers and defaults from metadata") {
    GgufWriter w = base_writer();
    const std::array<std::uint64_t, 2> emb{64, 100};
    w.add_tensor("token_embd.weight", GgmlType::f16, emb);
    const ModelSpec m = parse(w);
    CHECK(m.architecture == "llama");
    CHECK(m.name == "unit");
    CHECK(m.file_type == FileType::q4_k_m);
    CHECK(m.n_layer == 2);
    CHECK(m.n_head_kv == std::vector<std::uint32_t>{4, 4}); // defaults to head_count
    CHECK(m.n_embd_head_k == 16);
    CHECK(m.n_vocab == 100);
    CHECK(m.tied_output);
    CHECK(m.n_swa == 0);
}

TEST_CASE("per-layer arrays: head_count_kv may differ by layer") {
    GgufWriter w = base_writer();
    const std::vector<std::int32_t> kv{1, 2};
    w.add_i32_array("llama.attention.head_count_kv", kv);
    const ModelSpec m = parse(w);
    CHECK(m.n_head_kv == std::vector<std::uint32_t>{1, 2});
    CHECK(m.n_embd_k_gqa(1) == 32);

    GgufWriter bad = base_writer();
    const std::vector<std::int32_t> three{1, 2, 3};
    bad.add_i32_array("llama.attention.head_count_kv", three);
    CHECK_THROWS_WITH(parse(bad), Catch::Contains("has 3 entries for 2 layers"));
}

TEST_CASE("missing required keys are named") {
    GgufWriter w;
    w.add_string("general.architecture", "llama");
    CHECK_THROWS_WITH(parse(w), Catch::Contains("llama.block_count: required metadata key"));
    GgufWriter none;
    CHECK_THROWS_WITH(parse(none), Catch::Contains("general.architecture"));
}

TEST_CASE("sliding window: gemma2's built-in pattern, or the file's own pattern") {
    GgufWriter g;
    g.add_string("general.architecture", "gemma2");
    g.add_u32("gemma2.block_count", 4);
    g.add_u32("gemma2.embedding_length", 64);
    g.add_u32("gemma2.attention.head_count", 4);
    g.add_u32("gemma2.attention.sliding_window", 4096);
    const ModelSpec m = parse(g);
    CHECK(m.n_swa == 4096);
    CHECK(m.swa_layers == std::vector<bool>{true, false, true, false});

    GgufWriter phi;
    phi.add_string("general.architecture", "phi3");
    phi.add_u32("phi3.block_count", 2);
    phi.add_u32("phi3.embedding_length", 64);
    phi.add_u32("phi3.attention.head_count", 4);
    phi.add_u32("phi3.attention.sliding_window", 262144);
    CHECK(parse(phi).n_swa == 0); // llama.cpp ignores it for phi3
}

TEST_CASE("split models: every part is read as one model") {
    const auto dir = std::filesystem::temp_directory_path() / "vramplan-split-test";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const std::array<std::uint64_t, 1> ne{64};
    for (int part = 0; part < 2; ++part) {
        GgufWriter w = part == 0 ? base_writer() : GgufWriter{};
        w.add_u16("split.no", static_cast<std::uint16_t>(part));
        w.add_u16("split.count", 2);
        w.add_tensor(part == 0 ? "blk.0.attn_norm.weight" : "blk.1.attn_norm.weight", GgmlType::f32,
                     ne);
        write_sparse_gguf(w, dir / ("m-0000" + std::to_string(part + 1) + "-of-00002.gguf"), true);
    }
    const ModelSpec m = read_model(dir / "m-00002-of-00002.gguf");
    REQUIRE(m.files.size() == 2);
    REQUIRE(m.tensors.size() == 2);
    CHECK(m.tensors[1].file_index == 1);
    CHECK(m.tensors[1].layer == 1);
    CHECK(m.files[0].path == (dir / "m-00001-of-00002.gguf").string());

    std::filesystem::remove(dir / "m-00002-of-00002.gguf");
    CHECK_THROWS_WITH(read_model(dir / "m-00001-of-00002.gguf"), Catch::Contains("cannot open"));
    std::filesystem::remove_all(dir);
}

TEST_CASE("split models: the parts must agree, as llama_model_loader requires") {
    const auto dir = std::filesystem::temp_directory_path() / "vramplan-split-bad";
    const std::array<std::uint64_t, 1> ne{64};
    // `second_no`: the split.no the second part claims; `second_tensor`: the tensor it holds.
    const auto write = [&](std::uint16_t second_no, const char* second_tensor) {
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        for (std::uint16_t part = 0; part < 2; ++part) {
            GgufWriter w = part == 0 ? base_writer() : GgufWriter{};
            w.add_u16("split.no", part == 0 ? 0 : second_no);
            w.add_u16("split.count", 2);
            w.add_tensor(part == 0 ? "blk.0.attn_norm.weight" : second_tensor, GgmlType::f32, ne);
            write_sparse_gguf(w, dir / ("m-0000" + std::to_string(part + 1) + "-of-00002.gguf"),
                              true);
        }
    };
    write(1, "blk.0.attn_norm.weight");
    CHECK_THROWS_WITH(read_model(dir / "m-00001-of-00002.gguf"),
                      Catch::Contains("tensor 'blk.0.attn_norm.weight' is duplicated"));
    write(0, "blk.1.attn_norm.weight");
    CHECK_THROWS_WITH(read_model(dir / "m-00001-of-00002.gguf"),
                      Catch::Contains("does not say it is part 2 of 2"));
    // A name that only looks split, and one long enough to have crashed a std::regex.
    CHECK_THROWS_WITH(read_model(dir / "m-0001-of-00002.gguf"), Catch::Contains("cannot open"));
    std::string long_name(40000, 'a');
    long_name += "-00001-of-00002.gguf";
    CHECK_THROWS_AS(read_model(dir / long_name), Error);
    std::filesystem::remove_all(dir);
}

TEST_CASE("bytes_by_layer and type_mix") {
    GgufWriter w = base_writer();
    const std::array<std::uint64_t, 2> emb{64, 100};
    const std::array<std::uint64_t, 1> v{64};
    w.add_tensor("token_embd.weight", GgmlType::f16, emb);
    w.add_tensor("blk.0.attn_norm.weight", GgmlType::f32, v);
    w.add_tensor("blk.1.attn_norm.weight", GgmlType::f32, v);
    w.add_tensor("output_norm.weight", GgmlType::f32, v);
    const ModelSpec m = parse(w);
    const auto layers = bytes_by_layer(m);
    REQUIRE(layers.size() == 4);
    CHECK(layers[0].layer == k_layer_input);
    CHECK(layers[0].bytes == 64 * 100 * 2);
    CHECK(layers[3].layer == 2); // output layer = n_layer
    const auto mix = type_mix(m);
    REQUIRE(mix.size() == 2);
    CHECK(mix[0].type == GgmlType::f32);
    CHECK(mix[0].tensors == 3);
    CHECK(m.tensor_bytes() == 12800 + 3 * 256);
}
