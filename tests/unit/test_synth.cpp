// Synthesized models against three references: the same model read back from the GGUF we write
// (both routes must agree), llama.cpp's own load logs (tests/data/recipe-truth.json), and the
// sizes of published files (tensor bytes + a header that depends on metadata only).

#include "support/gguf_builder.hpp"

#include <vramplan/base/units.hpp>
#include <vramplan/model/catalog.hpp>
#include <vramplan/model/synth.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>

using namespace vramplan;

namespace {

const Catalog& catalog() {
    static const Catalog c = Catalog::load(std::string(VRAMPLAN_SOURCE_DIR) + "/models");
    return c;
}

void check_same_tensors(const ModelSpec& a, const ModelSpec& b) {
    REQUIRE(a.tensors.size() == b.tensors.size());
    for (std::size_t i = 0; i < a.tensors.size(); ++i) {
        const TensorSpec& x = a.tensors[i];
        const TensorSpec& y = b.tensors[i];
        INFO(x.name);
        CHECK(x.name == y.name);
        CHECK(x.layer == y.layer);
        CHECK(x.type == y.type);
        CHECK(x.ne == y.ne);
        CHECK(x.n_dims == y.n_dims);
        CHECK(x.bytes == y.bytes);
        CHECK(x.offset == y.offset);
        CHECK(x.file_index == y.file_index);
    }
}

ModelSpec read_back(const CatalogModel& cm, const ModelSpec& spec) {
    const GgufWriter w = synthesized_gguf(cm, spec);
    const std::vector<std::byte> head = w.header();
    const std::vector<GgufFile> parts{parse_gguf(head, head.size() + w.data_bytes())};
    const std::vector<std::string> paths{"synth.gguf"};
    return model_from_gguf(parts, paths);
}

} // namespace

TEST_CASE("synthesized and GGUF-read models have identical tensors, for every catalog model") {
    for (const auto& cm : catalog().models()) {
        for (FileType ft : {FileType::q4_k_m, FileType::q8_0, FileType::f16}) {
            INFO(cm.name << " " << file_type_name(ft));
            const ModelSpec spec = synthesize_model(cm, ft);
            const ModelSpec back = read_back(cm, spec);
            check_same_tensors(spec, back);
            CHECK(back.architecture == spec.architecture);
            CHECK(back.n_layer == spec.n_layer);
            CHECK(back.n_embd == spec.n_embd);
            CHECK(back.n_head == spec.n_head);
            CHECK(back.n_head_kv == spec.n_head_kv);
            CHECK(back.n_ff == spec.n_ff);
            CHECK(back.n_vocab == spec.n_vocab);
            CHECK(back.n_ctx_train == spec.n_ctx_train);
            CHECK(back.n_embd_head_k == spec.n_embd_head_k);
            CHECK(back.n_swa == spec.n_swa);
            CHECK(back.swa_layers == spec.swa_layers);
            CHECK(back.tied_output == spec.tied_output);
            CHECK(back.file_type == spec.file_type);
            CHECK(back.files[0].file_size - back.files[0].data_offset == spec.files[0].file_size);
        }
    }
}

TEST_CASE("recipes match llama.cpp's load logs: type counts and CPU_Mapped size") {
    std::ifstream in(std::string(VRAMPLAN_TEST_DATA_DIR) + "/recipe-truth.json");
    REQUIRE(in);
    const auto truth = nlohmann::json::parse(in);
    int checked = 0;
    for (const auto& c : truth["cases"]) {
        const std::string model = c["model"];
        const CatalogModel* cm = catalog().find(model);
        const CatalogModel tiny = test::tiny_llama();
        if (model == "tiny-llama") {
            cm = &tiny;
        }
        REQUIRE(cm != nullptr);
        const auto ft = parse_file_type(c["quant"].get<std::string>());
        REQUIRE(ft.has_value());
        INFO(model << " " << file_type_name(*ft));
        const ModelSpec spec = synthesize_model(*cm, *ft);
        std::map<std::string, int> counts;
        for (const auto& t : spec.tensors) {
            ++counts[std::string(type_name(t.type))];
        }
        std::map<std::string, int> logged;
        for (const auto& [type, n] : c["types"].items()) {
            logged[type] = n.get<int>();
        }
        CHECK(counts == logged);
        // CPU_Mapped spans the whole tensor data: the sum of 32-byte padded tensor sizes.
        CHECK(format_mib(spec.files[0].file_size) == c["cpu_mapped_mib"].get<std::string>());
        ++checked;
    }
    CHECK(checked == 13); // every load log of the validation set
}

TEST_CASE("published file sizes: tensor bytes plus a header that is the same for every quant") {
    // A publisher's uploads of one model share their metadata (tokenizer, chat template), so
    // size - synthesized tensor bytes must be equal across quantizations: any tensor whose type
    // the recipe got wrong would show up as a difference. That equality is the exact check. For
    // a lone file only a sanity bound is possible: the header is positive and no larger than a
    // tokenizer makes it. Per vocabulary entry: a token (8-byte length + text) and its 4-byte
    // type, and BPE merges, of which Llama 3 has 2.2 per token (280k for 128k tokens), each an
    // 8-byte length + two tokens' text. 96 bytes per entry covers that with margin; 1 MiB more
    // covers the chat template and the tensor table.
    int files_checked = 0;
    int groups_compared = 0;
    for (const auto& cm : catalog().models()) {
        std::map<std::string, std::vector<std::pair<std::string, std::uint64_t>>> by_upload;
        for (const auto& f : cm.files) {
            if (!f.size_bytes) {
                continue;
            }
            const ModelSpec spec = synthesize_model(cm, f.quant, RecipeOptions{f.imatrix, false});
            const std::uint64_t data = spec.files[0].file_size;
            INFO(f.file << " from " << f.publisher);
            REQUIRE(*f.size_bytes > data);
            const std::uint64_t header = *f.size_bytes - data;
            CHECK(header <= std::uint64_t{cm.arch.n_vocab} * 96 + k_mib);
            by_upload[f.publisher + "/" + f.repo].emplace_back(f.file, header);
            ++files_checked;
        }
        for (const auto& [upload, headers] : by_upload) {
            for (const auto& [file, header] : headers) {
                INFO(upload << ": " << file << " vs " << headers.front().first);
                CHECK(header == headers.front().second);
            }
            groups_compared += headers.size() > 1 ? 1 : 0;
        }
    }
    CHECK(files_checked >= 20);
    CHECK(groups_compared >= 4);
}

TEST_CASE("synthesized GGUF carries what llama.cpp needs to load it") {
    const CatalogModel tiny = test::tiny_llama();
    const ModelSpec spec = synthesize_model(tiny, FileType::q8_0);
    const GgufWriter w = synthesized_gguf(tiny, spec);
    const GgufFile f = parse_gguf(test::file_bytes(w)); // owns the bytes it views
    CHECK(f.find("tokenizer.ggml.tokens")->as_array("k").count == 512);
    CHECK(f.find("tokenizer.ggml.model")->as_string("k") == "gpt2");
    CHECK(f.find("llama.rope.dimension_count")->as_uint("k") == 64);
    CHECK(f.find("general.file_type")->as_uint("k") == 7);
    CHECK(f.find("tokenizer.ggml.eos_token_id")->as_uint("k") == 511);
}
