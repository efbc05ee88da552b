#include <vramplan/base/text_file.hpp>
#include <vramplan/runtime/llama_log.hpp>

#include <catch2/catch.hpp>

using namespace vramplan;

namespace {

LlamaLog real_log(const char* name) {
    return parse_llama_log(
        read_text_file(std::string(VRAMPLAN_TEST_DATA_DIR) + "/real-logs/" + name));
}

std::string buffers(const LlamaLog& log) {
    std::string out;
    for (const auto& b : log.buffers) {
        out += std::string(buffer_kind_name(b.kind)) + " " + b.buffer + " " + b.mib_text + "; ";
    }
    return out;
}

} // namespace

TEST_CASE("a current CUDA log (ollama's llama.cpp): model, settings, buffers, device") {
    const LlamaLog log = real_log("001-qwen25-coder7b-q4km-rtx3060-ollama-ctx4096.txt");
    CHECK(log.metadata.at("qwen2.block_count") == "28");
    CHECK(log.metadata.at("tokenizer.ggml.tokens") == "152064"); // arr[str,152064]
    CHECK(log.metadata.at("general.name") == "Qwen2.5 Coder 7B Instruct");
    CHECK(log.type_counts.at("q4_K") == 169);
    CHECK(log.info.at("file type") == "Q4_K - Medium");
    CHECK(log.layers_offloaded == 29U);
    CHECK(log.layers_total == 29U);
    CHECK(log.mmap == true);
    CHECK(log.n_ctx == 4096U);
    CHECK(log.n_ctx_seq == 4096U);
    CHECK(log.n_batch == 512U);
    CHECK(log.n_ubatch == 512U);
    CHECK(log.n_seq_max == 1U);
    CHECK(log.flash_attn == true); // "auto, set to enabled"
    CHECK(log.kv_unified == false);
    CHECK(log.type_k == GgmlType::f16);
    CHECK(log.graph_nodes == 959U);
    CHECK(log.graph_splits == 2U);
    CHECK(log.gpu_name == "NVIDIA GeForce RTX 3060");
    CHECK(buffers(log) == "model CPU_Mapped 292.36; model CUDA0 4168.09; output CUDA_Host 0.59; "
                          "kv CUDA0 224.00; compute CUDA0 304.00; compute CUDA_Host 15.01; ");
    CHECK(log.gpu_buffer_bytes() ==
          static_cast<std::uint64_t>((4168.09 + 224.00 + 304.00) * 1048576.0 + 0.5));
    const ServerSettings s = log_settings(log);
    CHECK(s.n_gpu_layers == 29);
    CHECK(s.flash_attn == FlashAttn::on);
    CHECK(s.n_parallel == 1);
}

TEST_CASE("a 2024 log (b3617): llm_load_tensors and llama_new_context_with_model") {
    const LlamaLog log = real_log("019-qwen2-7b-instruct-q80-cpu-ctx32768-b3617.txt");
    CHECK(buffers(log) ==
          "model CPU 7717.68; kv CPU 1792.00; output CPU 0.58; compute CPU 1884.01; ");
    CHECK(log.n_ctx == 32768U);
    CHECK(log.n_batch == 2048U);
    CHECK(log.n_ubatch == 512U);
    CHECK(log.flash_attn == false);
    CHECK(log.layers_offloaded == 0U);
    CHECK(log.graph_nodes == 986U);
    CHECK(log.info.at("model ftype") == "Q8_0");
    CHECK_FALSE(log.buffers.front().on_gpu());
}

TEST_CASE("prefixes and surrounding text are skipped; a second context replaces the first") {
    const LlamaLog log = parse_llama_log(
        "some chat text\n"
        "[info] llama_context: n_ctx = 1024\n"
        "[info] llama_context:        CPU compute buffer size =    10.00 MiB\n"
        "time=2026 level=INFO msg=\"llama_context: n_ctx = 2048\"\n"
        "[info] llama_context:        CPU compute buffer size =    20.00 MiB\n"
        "[debug] ~llama_context:        CPU compute buffer size is  20.0000 MiB, matches\n"
        "llama_kv_cache: size =   36.00 MiB (   256 cells,  36 layers,  4/4 seqs), "
        "K (q8_0):   18.00 MiB, V (q4_0):   18.00 MiB\n");
    CHECK(log.n_ctx == 2048U);
    CHECK(buffers(log) == "compute CPU 20.00; ");
    CHECK(log.type_k == GgmlType::q8_0);
    CHECK(log.type_v == GgmlType::q4_0);
    CHECK(log.lines == 7);
}

TEST_CASE("device buffers are the GPU backends' own, not pinned host memory") {
    for (const auto& [name, gpu] :
         std::vector<std::pair<std::string, bool>>{{"CUDA0", true},
                                                   {"CUDA1", true},
                                                   {"ROCm0", true},
                                                   {"Vulkan0", true},
                                                   {"CUDA_Host", false},
                                                   {"CPU_Mapped", false},
                                                   {"CPU", false},
                                                   {"CPU_REPACK", false}}) {
        LoggedBuffer b;
        b.buffer = name;
        CHECK(b.on_gpu() == gpu);
    }
}

TEST_CASE("nothing recognisable: an empty log, never an exception") {
    const LlamaLog log = parse_llama_log("hello\nbuffer size = lots\n x buffer size = 12 GB\n");
    CHECK(log.buffers.empty());
    CHECK(log.lines_used == 0);
}
