#include <vramplan/base/error.hpp>
#include <vramplan/estimate/server_args.hpp>

#include <catch2/catch.hpp>

using namespace vramplan;

namespace {

ServerArgs parse(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    return parse_server_args(args, env);
}

} // namespace

TEST_CASE("llama-server flags, short and long, with their defaults") {
    const ServerArgs d = parse({});
    CHECK(d.settings.n_gpu_layers == ServerSettings::k_layers_auto);
    CHECK(d.settings.n_ctx == 0);
    CHECK(d.settings.n_batch == 2048);
    CHECK(d.settings.n_ubatch == 512);
    CHECK(d.settings.n_parallel == -1);
    CHECK(d.settings.flash_attn == FlashAttn::automatic);

    const ServerArgs a =
        parse({"llama-server", "-m",  "x.gguf", "-ngl", "20",    "-c",       "1024",
               "-b",           "128", "-ub",    "64",   "-np",   "2",        "-kvu",
               "-fa",          "off", "-ctk",   "q8_0", "-nkvo", "--no-mmap"});
    CHECK(a.model == "x.gguf");
    CHECK(a.settings.n_gpu_layers == 20);
    CHECK(a.settings.n_ctx == 1024);
    CHECK(a.settings.n_batch == 128);
    CHECK(a.settings.n_ubatch == 64);
    CHECK(a.settings.n_parallel == 2);
    CHECK(a.settings.kv_unified == true);
    CHECK(a.settings.flash_attn == FlashAttn::off);
    CHECK(a.settings.type_k == GgmlType::q8_0);
    CHECK_FALSE(a.settings.kv_offload);
    CHECK_FALSE(a.settings.mmap);

    const ServerArgs l = parse({"--model=/m/y.gguf", "--n-gpu-layers", "all", "--ctx-size=2048",
                                "--flash-attn", "--parallel", "1"});
    CHECK(l.model == "/m/y.gguf");
    CHECK(l.settings.n_gpu_layers == ServerSettings::k_layers_all);
    CHECK(l.settings.n_ctx == 2048);
    CHECK(l.settings.flash_attn == FlashAttn::on); // older builds: -fa alone
    CHECK(parse({"--gpu-layers", "auto"}).settings.n_gpu_layers == ServerSettings::k_layers_auto);
    CHECK(parse({"-ngl", "999"}).settings.n_gpu_layers == 999);
}

TEST_CASE("flags without memory effect are kept as ignored, with their values") {
    const ServerArgs a = parse({"--host", "0.0.0.0", "--port", "8001", "-t", "4", "--cont-batching",
                                "-c", "512", "--jinja"});
    CHECK(a.ignored == std::vector<std::string>{"--host 0.0.0.0", "--port 8001", "-t 4",
                                                "--cont-batching", "--jinja"});
    CHECK(a.settings.n_ctx == 512);
}

TEST_CASE("LLAMA_ARG_* variables apply, and the command line wins") {
    const ServerArgs a = parse({"-c", "2048"}, {{"LLAMA_ARG_CTX_SIZE", "4096"},
                                                {"LLAMA_ARG_N_GPU_LAYERS", "12"},
                                                {"LLAMA_ARG_NO_KV_OFFLOAD", "1"},
                                                {"LLAMA_ARG_MODEL", "/models/a.gguf"}});
    CHECK(a.settings.n_ctx == 2048);
    CHECK(a.settings.n_gpu_layers == 12);
    CHECK_FALSE(a.settings.kv_offload);
    CHECK(a.model == "/models/a.gguf");
    CHECK(parse({}, {{"LLAMA_ARG_NO_KV_OFFLOAD", "0"}}).settings.kv_offload);
}

TEST_CASE("bad values name the flag") {
    CHECK_THROWS_WITH(parse({"-c", "-5"}), Catch::Contains("-c: expected a whole number"));
    // llama-server reads integers with std::stoi: past int's range it refuses the flag, and so
    // does vramplan, rather than wrapping the context to 0.
    CHECK_THROWS_WITH(parse({"-c", "4294967295"}),
                      Catch::Contains("-c: expected a whole number from 0 to 2147483647"));
    CHECK_THROWS_WITH(parse({"-np", "0"}), Catch::Contains("invalid value for n_parallel"));
    CHECK(parse({"-np", "-1"}).settings.n_parallel == -1);
    CHECK_THROWS_WITH(parse({"-c", "12k"}), Catch::Contains("found '12k'"));
    CHECK_THROWS_WITH(parse({"-ngl", "most"}),
                      Catch::Contains("-ngl: expected a layer count, all or auto, found 'most'"));
    CHECK(parse_n_gpu_layers("-1", "-ngl") == ServerSettings::k_layers_auto);
    CHECK(parse_n_gpu_layers("2147483647", "-ngl") == INT32_MAX);
    CHECK_THROWS_WITH(parse_n_gpu_layers("99999999999", "-ngl"),
                      Catch::Contains("from -1 to 2147483647"));
    CHECK_THROWS_WITH(parse({"-ctv", "q9_0"}), Catch::Contains("unknown cache type 'q9_0'"));
    CHECK_THROWS_WITH(parse({"-fa", "maybe"}), Catch::Contains("expected on or off"));
    CHECK_THROWS_WITH(parse({"-m"}), Catch::Contains("-m: expects a value"));
    CHECK(parse_cache_type("q4_K") == std::nullopt); // not a cache type
    CHECK(parse_cache_type("iq4_nl") == GgmlType::iq4_nl);
}
