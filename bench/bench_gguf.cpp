// Benchmark: parsing a GGUF header the size of Qwen2.5's (152,064 tokens, 151,387 merges, 339
// tensors), against a baseline that only copies the same bytes once (memcpy), in the same
// process. Prints medians over repeated runs and the ratio to the baseline. Not a test: it
// asserts nothing about time. Run: build/bench/vramplan_bench_gguf [iterations]

#include "bench_util.hpp"

#include <vramplan/base/units.hpp>
#include <vramplan/model/catalog.hpp>
#include <vramplan/model/gguf.hpp>
#include <vramplan/model/gguf_writer.hpp>
#include <vramplan/model/model.hpp>
#include <vramplan/model/synth.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>
#include <vector>

using namespace vramplan;
using Clock = std::chrono::steady_clock;

namespace {

CatalogModel qwen7b() {
    CatalogModel m;
    m.name = "qwen2.5-7b-instruct";
    m.display_name = "Qwen2.5 7B Instruct";
    m.tokenizer = "qwen2";
    m.arch = ArchitectureParams{"qwen2", 28, 3584, 28, 4, 18944, 152064};
    m.arch.n_ctx_train = 32768;
    m.arch.attention_bias = true;
    return m;
}

// A writer with Qwen2.5-like tokenizer arrays: token strings of 1 to 12 bytes and one merge
// per token pair, which is what makes real headers about 6 MB.
GgufWriter qwen_like_header(const CatalogModel& cm, const ModelSpec& spec) {
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> len(1, 12);
    std::uniform_int_distribution<int> ch('a', 'z');
    auto word = [&] {
        std::string s(static_cast<std::size_t>(len(rng)), 'x');
        for (char& c : s) {
            c = static_cast<char>(ch(rng));
        }
        return s;
    };
    std::vector<std::string> tokens(152064);
    for (auto& t : tokens) {
        t = word();
    }
    std::vector<std::string> merges(151387);
    for (auto& m : merges) {
        m = word() + " " + word();
    }
    std::vector<std::int32_t> types(tokens.size(), 1);
    GgufWriter w;
    w.add_string("general.architecture", "qwen2");
    w.add_string("general.name", cm.display_name);
    w.add_u32("general.file_type", 15);
    w.add_u32("qwen2.block_count", cm.arch.n_layer);
    w.add_u32("qwen2.context_length", cm.arch.n_ctx_train);
    w.add_u32("qwen2.embedding_length", cm.arch.n_embd);
    w.add_u32("qwen2.feed_forward_length", cm.arch.n_ff);
    w.add_u32("qwen2.attention.head_count", cm.arch.n_head);
    w.add_u32("qwen2.attention.head_count_kv", cm.arch.n_head_kv);
    w.add_string("tokenizer.ggml.model", "gpt2");
    w.add_string_array("tokenizer.ggml.tokens", tokens);
    w.add_i32_array("tokenizer.ggml.token_type", types);
    w.add_string_array("tokenizer.ggml.merges", merges);
    w.add_string("tokenizer.chat_template", std::string(6000, 't'));
    for (const auto& t : spec.tensors) {
        w.add_tensor(t.name, t.type, std::span(t.ne.data(), t.n_dims));
    }
    return w;
}

} // namespace

int main(int argc, char** argv) {
    const int iterations = argc > 1 ? std::max(1, std::atoi(argv[1])) : 30;
    const CatalogModel cm = qwen7b();
    const ModelSpec spec = synthesize_model(cm, FileType::q4_k_m);
    const GgufWriter w = qwen_like_header(cm, spec);
    const std::vector<std::byte> header = w.header();
    const std::uint64_t file_size = header.size() + w.data_bytes();
    const double mb = static_cast<double>(header.size()) / 1e6;

    std::uint64_t sink = 0;
    std::vector<std::byte> copy(header.size());
    const double scan = bench::median<std::milli>(iterations, [&] {
        std::memcpy(copy.data(), header.data(), header.size());
        sink += static_cast<std::uint8_t>(copy[copy.size() / 2]);
    });
    const double parse = bench::median<std::milli>(iterations, [&] {
        const GgufFile f = parse_gguf(header, file_size);
        sink += f.kvs.size();
    });
    const GgufFile parsed = parse_gguf(header, file_size);
    const std::vector<GgufFile> parts{parsed};
    const std::vector<std::string> paths{"bench.gguf"};
    const double model = bench::median<std::milli>(
        iterations, [&] { sink += model_from_gguf(parts, paths).tensors.size(); });

    const auto path = std::filesystem::temp_directory_path() / "vramplan-bench-qwen7b.gguf";
    write_sparse_gguf(w, path, true);
    const double from_file =
        bench::median<std::milli>(iterations, [&] { sink += read_model(path).n_layer; });
    std::filesystem::remove(path);

    fmt::print("vramplan bench: GGUF header of a Qwen2.5-7B-shaped file (152,064 tokens, "
               "151,387 merges, {} tensors)\n",
               spec.tensors.size());
    fmt::print("header bytes                 {}\n", format_bytes(header.size()));
    fmt::print("iterations                   {} (medians below)\n", iterations);
    fmt::print("baseline: memcpy of header   {:8.3f} ms  {:9.0f} MB/s\n", scan, mb / scan * 1e3);
    fmt::print("parse_gguf                   {:8.3f} ms  {:9.0f} MB/s  {:5.1f}x baseline\n", parse,
               mb / parse * 1e3, parse / scan);
    fmt::print("model_from_gguf              {:8.3f} ms\n", model);
    fmt::print("{:<29}{:8.3f} ms  {:>14}  {:5.1f}x baseline\n",
               fmt::format("read_model, {:.2f} GB file", static_cast<double>(file_size) / 1e9),
               from_file, "", from_file / scan);
    return sink == 0 ? 1 : 0;
}
