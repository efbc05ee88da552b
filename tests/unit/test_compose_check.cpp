// The check's rules, each on a small compose file, against the shipped catalog and GPUs.

#include "../support/shipped_data.hpp"

#include <vramplan/compose/compose_check.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

using namespace vramplan;

namespace {

std::optional<std::string> no_vars(std::string_view) {
    return std::nullopt;
}

CheckOptions options_for(const char* gpu = "rtx4050") {
    CheckOptions o;
    o.gpu = test::shipped_gpu(gpu);
    o.host = test::shipped_host();
    return o;
}

CheckResult check(const std::string& yaml, const CheckOptions& o = options_for()) {
    const ComposeProject p = read_compose(parse_compose_yaml(yaml, "c.yml", no_vars), ".", no_vars);
    return check_compose(p, test::shipped_catalog(), o);
}

// One llama-server service on the GPU with the p2 flags.
std::string service(const std::string& name, const std::string& model, const std::string& ngl,
                    const std::string& extra = "") {
    return "  " + name + ":\n    image: ghcr.io/ggml-org/llama.cpp:server-cuda\n" +
           "    command: -m /models/" + model + " -ngl " + ngl + " -c 1024 -b 128 --parallel 1" +
           extra + "\n" +
           "    deploy:\n      resources:\n        reservations:\n          devices:\n" +
           "            - capabilities: [gpu]\n";
}

const std::string k_chat = "Qwen2.5-3B-Instruct-Q4_K_M.gguf";
const std::string k_code = "qwen2.5-coder-7b-instruct-q4_k_m.gguf";

std::vector<std::string> rules(const CheckResult& r) {
    std::vector<std::string> out;
    for (const auto& f : r.findings) {
        out.push_back(std::string(severity_name(f.severity)) + " " + f.rule);
    }
    return out;
}

const Finding& finding(const CheckResult& r, const std::string& rule) {
    const auto it = std::find_if(r.findings.begin(), r.findings.end(),
                                 [&](const Finding& f) { return f.rule == rule; });
    REQUIRE(it != r.findings.end());
    return *it;
}

} // namespace

TEST_CASE("llama-server is recognized by image, entrypoint, command or shell", "[check]") {
    ComposeService s;
    s.image = "ghcr.io/ggml-org/llama.cpp:server-cuda";
    s.command = std::vector<std::string>{"-m", "a.gguf"};
    CHECK(llama_server_arguments(s) == std::vector<std::string>{"-m", "a.gguf"});
    s.image = "ghcr.io/ggml-org/llama.cpp:full-cuda";
    CHECK_FALSE(llama_server_arguments(s));
    s.command = std::vector<std::string>{"/app/llama-server", "-c", "512"};
    CHECK(llama_server_arguments(s) == std::vector<std::string>{"-c", "512"});
    s.image = "redis:7";
    s.command.reset();
    s.entrypoint = std::vector<std::string>{"sh", "-c", "exec llama-server -m 'x y.gguf'"};
    CHECK(llama_server_arguments(s) == std::vector<std::string>{"-m", "x y.gguf"});
    s.entrypoint = std::vector<std::string>{"redis-server"};
    CHECK_FALSE(llama_server_arguments(s));

    ComposeService full;
    full.image = "ghcr.io/ggml-org/llama.cpp:full-cuda";
    full.command = std::vector<std::string>{"--server", "-m", "a.gguf"};
    CHECK(llama_server_arguments(full) == std::vector<std::string>{"-m", "a.gguf"});
    full.command = std::vector<std::string>{"--run", "-m", "a.gguf"};
    CHECK_FALSE(llama_server_arguments(full));

    ComposeService built; // an image of the team's own, configured by LLAMA_ARG_*
    built.environment["LLAMA_ARG_MODEL"] = "/models/a.gguf";
    CHECK(llama_server_arguments(built) == std::vector<std::string>{});
    built.environment.clear();
    CHECK_FALSE(llama_server_arguments(built));
}

TEST_CASE("the team's plan passes and all layers fail with the solver's fix", "[check]") {
    const CheckResult ok = check("services:\n" + service("chat", k_chat, "99") +
                                 service("code", k_code, "20") + "    depends_on: [chat]\n");
    CHECK(rules(ok).empty());
    REQUIRE(ok.gpus.size() == 1);
    CHECK(ok.gpus[0].vram_bytes == ok.services[0].vram_bytes + ok.services[1].vram_bytes);
    CHECK(ok.gpus[0].headroom_bytes == 512ULL << 20);

    const CheckResult bad =
        check("services:\n" + service("chat", k_chat, "99") +
              service("code", k_code, "99", " --fit off") + "    depends_on: [chat]\n");
    CHECK(rules(bad) == std::vector<std::string>{"error gpu-memory"});
    const Finding& f = finding(bad, "gpu-memory");
    CHECK(f.service == "code"); // the service whose layers the fix lowers
    CHECK(f.pos.line == 10);
    CHECK(f.message.find("need 6380.10 MiB on GPU 0") != std::string::npos);
    CHECK(f.fix.find("chat -ngl 37, code -ngl 23") != std::string::npos);
}

TEST_CASE("when nothing fits at zero layers the fixes say what frees memory", "[check]") {
    CheckOptions o = options_for();
    o.reserve_bytes = 5800ULL << 20;
    const CheckResult r = check("services:\n" + service("chat", k_chat, "99"), o);
    const Finding& f = finding(r, "gpu-memory");
    CHECK(f.fix.find("even with no layers on the GPU") != std::string::npos);
}

TEST_CASE("fit on with an explicit count that cannot be held at start-up", "[check]") {
    const CheckResult r = check("services:\n" + service("chat", k_chat, "99") +
                                service("code", k_code, "99") + "    depends_on: [chat]\n");
    const Finding& f = finding(r, "fit-abort");
    CHECK(f.service == "code");
    CHECK(f.fix == "pass -ngl 23 --fit off (the planned value)");
    // The chat service starts first on an empty GPU: no fit finding for it.
    CHECK(std::count_if(r.findings.begin(), r.findings.end(),
                        [](const Finding& x) { return x.rule == "fit-abort"; }) == 1);
}

TEST_CASE("ngl auto, no -c and no start order are warnings", "[check]") {
    const std::string chat = "  chat:\n    image: llama.cpp:server\n    command: -m /models/" +
                             k_chat + "\n    gpus: all\n";
    const CheckResult r = check("services:\n" + chat + service("code", k_code, "10"));
    CHECK(r.count(Severity::error) == 0);
    CHECK(finding(r, "ngl-auto").fix.starts_with("pass -ngl "));
    CHECK(finding(r, "no-context").message.find("32768 tokens") != std::string::npos);
    CHECK(finding(r, "start-order").fix ==
          "add to code: depends_on: {chat: {condition: service_healthy}}");
}

TEST_CASE("a memory limit below what stays in host RAM", "[check]") {
    const CheckResult r = check("services:\n" + service("code", k_code, "0") +
                                "        limits:\n          memory: 1g\n");
    const Finding& f = finding(r, "memory-limit");
    CHECK(f.severity == Severity::error);
    CHECK(f.pos.line == 11);
    CHECK(f.fix.starts_with("raise the memory limit to "));
}

TEST_CASE("a quantized V cache without flash attention is refused", "[check]") {
    const CheckResult r =
        check("services:\n" + service("chat", k_chat, "99", " -fa off -ctv q8_0"));
    CHECK(finding(r, "quantized-v-cache").severity == Severity::error);
    CHECK_FALSE(r.services[0].estimate);
}

TEST_CASE("two services on one host port", "[check]") {
    const CheckResult r = check("services:\n  a:\n    image: x\n    ports: ['8001:80']\n"
                                "  b:\n    image: y\n    ports: ['127.0.0.1:8001:80']\n"
                                "  c:\n    image: z\n    ports: ['8001:80/udp']\n");
    CHECK(rules(r) == std::vector<std::string>{"error port-conflict"});
    CHECK(finding(r, "port-conflict").service == "b");
}

TEST_CASE("unknown models name the closest catalog entries", "[check]") {
    const CheckResult r =
        check("services:\n" + service("chat", "Qwen2.5-3B-Instruct-Q4_K_M-custom.gguf", "99"));
    const Finding& f = finding(r, "unknown-model");
    CHECK(f.fix.find("qwen2.5-3b-instruct") != std::string::npos);
}

TEST_CASE("with --models-dir the real file is read through the volume", "[check]") {
    const auto dir = std::filesystem::temp_directory_path() / "vramplan-test-check-models";
    std::filesystem::create_directories(dir / "sub");
    CheckOptions o = options_for();
    o.models_dir = dir;
    const std::string yaml = "services:\n" + service("chat", "sub/missing.gguf", "99") +
                             "    volumes: ['./models:/models:ro']\n";
    const CheckResult missing = check(yaml, o);
    const Finding& f = finding(missing, "model-missing");
    CHECK(f.message.find((dir / "sub" / "missing.gguf").string()) != std::string::npos);
    std::ofstream(dir / "sub" / "missing.gguf") << "not a gguf";
    CHECK(finding(check(yaml, o), "model-unreadable").severity == Severity::error);
    std::filesystem::remove_all(dir);
}

TEST_CASE("services without a GPU run on the CPU and -ngl then warns", "[check]") {
    const CheckResult r = check("services:\n  cpu:\n    image: llama.cpp:server\n"
                                "    command: -m " +
                                k_chat + " -ngl 10 -c 512\n");
    CHECK(r.services[0].gpu_device.empty());
    CHECK(r.services[0].vram_bytes == 0);
    CHECK(r.gpus.empty());
    CHECK(rules(r) == std::vector<std::string>{"warning no-gpu"});
}

TEST_CASE("profiles, replicas and other containers", "[check]") {
    CheckOptions o = options_for();
    const std::string yaml = "services:\n" + service("chat", k_chat, "99") +
                             "    profiles: [big]\n  db:\n    image: postgres\n";
    const CheckResult off = check(yaml, o);
    CHECK(off.services.empty());
    CHECK(off.other_services ==
          std::vector<std::string>{"chat (profile big not active)", "db (not llama-server)"});
    o.profiles = {"big"};
    CHECK(check(yaml, o).services.size() == 1);

    const CheckResult twice =
        check("services:\n" + service("chat", k_chat, "99") + "      replicas: 2\n");
    REQUIRE(twice.gpus.size() == 1);
    CHECK(twice.gpus[0].vram_bytes == 2 * twice.services[0].vram_bytes);
}

TEST_CASE("LLAMA_ARG_ variables apply and the command line wins", "[check]") {
    const CheckResult r =
        check("services:\n" + service("chat", k_chat, "99") +
              "    environment:\n      LLAMA_ARG_CTX_SIZE: 4096\n      LLAMA_ARG_N_PARALLEL: 2\n");
    REQUIRE(r.services[0].estimate);
    CHECK(r.services[0].args.settings.n_ctx == 1024);   // -c on the command line
    CHECK(r.services[0].args.settings.n_parallel == 1); // --parallel on the command line
    const CheckResult env =
        check("services:\n  chat:\n    image: llama.cpp:server\n    environment:\n"
              "      LLAMA_ARG_MODEL: /models/" +
              k_chat + "\n      LLAMA_ARG_CTX_SIZE: 2048\n");
    CHECK(env.services[0].args.settings.n_ctx == 2048);
    CHECK(env.services[0].model);
}

TEST_CASE("bad llama-server arguments and a missing -m are findings", "[check]") {
    const CheckResult r = check("services:\n  a:\n    image: llama.cpp:server\n"
                                "    command: -m x.gguf -c lots\n"
                                "  b:\n    image: llama.cpp:server\n    command: -hf org/repo\n");
    CHECK(rules(r) == std::vector<std::string>{"error server-arguments", "error no-model"});
    CHECK(finding(r, "no-model").message.find("-hf org/repo") != std::string::npos);
}
