#include "support/fake_server.hpp"
#include "support/gguf_builder.hpp"
#include "support/shipped_data.hpp"

#include <vramplan/base/error.hpp>
#include <vramplan/model/gguf_writer.hpp>
#include <vramplan/model/synth.hpp>
#include <vramplan/runtime/subprocess.hpp>
#include <vramplan/runtime/verify.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace vramplan;
using namespace std::chrono_literals;
using vramplan::test::FakeServer;

namespace {

constexpr std::uint64_t k_mib = 1ULL << 20;

// A GPU whose memory in use is set by the test (and by the start hook, as a service would).
class ScriptedGpu final : public GpuReader {
public:
    GpuSnapshot read() override {
        ++reads;
        GpuSnapshot s;
        s.source = "scripted";
        s.gpus.push_back({0, "Scripted GPU", used_mib * k_mib, total_mib * k_mib});
        s.processes = processes;
        return s;
    }
    std::string source() const override { return "scripted"; }

    std::uint64_t used_mib = 100;
    std::uint64_t total_mib = 6141;
    std::vector<GpuProcess> processes;
    int reads = 0;
};

VerifyService service(const std::string& name, std::uint64_t vram_mib, std::uint16_t port) {
    VerifyService s;
    s.name = name;
    s.file = name + ".gguf";
    s.vram_bytes = vram_mib * k_mib;
    s.port = port;
    return s;
}

VerifyOptions fast_options() {
    VerifyOptions o;
    o.settle = 0ms;
    o.poll = 20ms;
    o.start_timeout = 3000ms;
    return o;
}

const VerifyStep& step_of(const VerifyResult& r, const std::string& id,
                          const std::string& service = "") {
    const auto it = std::find_if(r.steps.begin(), r.steps.end(), [&](const VerifyStep& s) {
        return s.id == id && s.service == service;
    });
    REQUIRE(it != r.steps.end());
    return *it;
}

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        path = std::filesystem::temp_directory_path() /
               ("vramplan-verify-" + std::to_string(getpid()) + "-" + std::to_string(next++));
        std::filesystem::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    static inline int next = 0;
};

} // namespace

TEST_CASE("verify: tolerance is the larger of the MiB and the fraction") {
    VerifyOptions o; // 64 MiB or 5 %
    CHECK(within_tolerance(1000 * k_mib, 1064 * k_mib, o));
    CHECK_FALSE(within_tolerance(1000 * k_mib, 1064 * k_mib + 1, o));
    CHECK(within_tolerance(1000 * k_mib, 936 * k_mib, o));
    CHECK(within_tolerance(4000 * k_mib, 4200 * k_mib, o)); // 5 % of 4000 = 200
    CHECK_FALSE(within_tolerance(4000 * k_mib, 4201 * k_mib, o));
    CHECK(within_tolerance(0, 64 * k_mib, o));
    CHECK(tolerance_for(4000 * k_mib, o) == 200 * k_mib);
    CHECK(tolerance_for(10 * k_mib, o) == 64 * k_mib);
}

TEST_CASE("verify: where a service answers, IPv6 hosts in brackets") {
    CHECK(service_endpoint("127.0.0.1", 8001).origin() == "http://127.0.0.1:8001");
    CHECK(service_endpoint("::1", 8004).origin() == "http://[::1]:8004");
    CHECK(service_endpoint("[::1]", 8004).origin() == "http://[::1]:8004");
    CHECK_THROWS_AS(service_endpoint("", 1), Error);
}

TEST_CASE("verify: the plan solve --emit json writes") {
    const std::string json = R"({"gpu": {"name": "rtx4050-laptop", "total_bytes": 6439305216,
        "headroom_bytes": 536870912}, "fits": true, "services": [
        {"name": "inference-chat", "file": "a.gguf", "file_bytes": 123, "port": 8001,
         "layers_total": 37, "vram_bytes": 2110798848, "env": {"CHAT_MODEL": "a.gguf",
         "CHAT_N_GPU_LAYERS": "37"}},
        {"name": "inference-code", "file": "b.gguf", "file_bytes": null, "port": 8004,
         "layers_total": 29, "vram_bytes": 1}]})";
    const VerifyPlan p = verify_plan_from_json(json, "plan.json");
    CHECK(p.source == "plan.json");
    CHECK(p.gpu == "rtx4050-laptop");
    CHECK(p.total_bytes == 6439305216);
    CHECK(p.headroom_bytes == 512 * k_mib);
    REQUIRE(p.services.size() == 2);
    CHECK(p.services[0].file_bytes == 123u);
    CHECK(p.services[0].n_layer == 36u);
    CHECK(p.services[0].port == 8001);
    REQUIRE(p.services[0].env.size() == 2);
    CHECK(p.services[0].env[1] == std::pair<std::string, std::string>("CHAT_N_GPU_LAYERS", "37"));
    CHECK_FALSE(p.services[1].file_bytes);
    CHECK(p.services[1].env.empty());
}

TEST_CASE(
    "verify: a plan that is not one says which field, and a plan that does not fit is refused") {
    const auto error_of = [](const std::string& json) {
        try {
            (void)verify_plan_from_json(json, "plan.json");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::data);
            return std::string(e.what());
        }
        FAIL("no error");
        return std::string();
    };
    CHECK_THAT(error_of("{"), Catch::Contains("not a JSON plan"));
    CHECK_THAT(error_of(R"({"services": []})"), Catch::Contains("no 'gpu'"));
    const std::string gpu = R"("gpu": {"total_bytes": 1, "headroom_bytes": 0})";
    CHECK_THAT(error_of("{" + gpu + R"(, "services": []})"), Catch::Contains("list of planned"));
    CHECK_THAT(error_of("{" + gpu + R"(, "services": [{"name": "a", "file": "a.gguf",
        "vram_bytes": 1}]})"),
               Catch::Contains("services[0]: no 'port'"));
    CHECK_THAT(error_of("{" + gpu + R"(, "services": [{"name": "a", "file": "a.gguf",
        "vram_bytes": 1, "port": 70000}]})"),
               Catch::Contains("'port' must be a whole number"));
    CHECK_THAT(error_of("{" + gpu + R"(, "fits": false, "services": [{"name": "a"}]})"),
               Catch::Contains("does not fit"));
}

TEST_CASE("verify: the plan of a compose file, with its published ports") {
    const ComposeProject project =
        load_compose(test::k_root + "/examples/p2/compose.p2.yml", std::nullopt,
                     [](std::string_view) { return std::optional<std::string>(); })
            .project;
    CheckOptions co;
    co.gpu = test::shipped_gpu("rtx4050");
    co.host = test::shipped_host();
    const CheckResult r = check_compose(project, test::shipped_catalog(), co);
    const VerifyPlan p = verify_plan_from_check(r, project);
    REQUIRE(p.services.size() == 2);
    CHECK(p.services[0].name == "inference-chat");
    CHECK(p.services[0].port == 8001);
    CHECK(p.services[1].port == 8004);
    CHECK(p.services[0].vram_bytes == r.services[0].vram_bytes);
    CHECK(p.total_bytes == co.gpu.total_bytes());
    CHECK(p.headroom_bytes == r.gpus.front().headroom_bytes);
}

TEST_CASE("verify: model files: missing, another size, another model, the planned one") {
    TempDir dir;
    const CatalogModel m = test::tiny_llama();
    const ModelSpec spec = synthesize_model(m, FileType::q4_k_m);
    write_sparse_gguf(synthesized_gguf(m, spec), dir.path / "tiny.gguf", true);
    const std::uint64_t size = std::filesystem::file_size(dir.path / "tiny.gguf");

    VerifyService s = service("svc", 100, 1);
    s.file = "tiny.gguf";
    s.n_layer = 4;
    s.file_bytes = size;
    const VerifyStep ok = check_model_file(s, dir.path);
    CHECK(ok.status == StepStatus::pass);
    CHECK_THAT(ok.detail, Catch::Contains("llama Q4_K_M, 4 layers"));

    s.file_bytes = size + 1;
    CHECK_THAT(check_model_file(s, dir.path).detail, Catch::Contains("the planned file has"));
    s.file_bytes.reset();
    s.n_layer = 28;
    const VerifyStep other = check_model_file(s, dir.path);
    CHECK(other.status == StepStatus::fail);
    CHECK_THAT(other.detail, Catch::Contains("4 layers in its header, the plan has 28"));
    s.file = "absent.gguf";
    CHECK_THAT(check_model_file(s, dir.path).detail, Catch::Contains("does not exist"));

    std::ofstream(dir.path / "junk.gguf") << "not a gguf";
    s.file = "junk.gguf";
    const VerifyStep junk = check_model_file(s, dir.path);
    CHECK(junk.status == StepStatus::fail);
    CHECK_THAT(junk.detail, Catch::Contains("junk.gguf"));
}

TEST_CASE("verify: the .env against the planned values") {
    VerifyPlan plan;
    plan.services.push_back(service("chat", 1, 1));
    plan.services[0].env = {
        {"CHAT_MODEL", "a.gguf"}, {"CHAT_N_GPU_LAYERS", "37"}, {"CHAT_CTX_SIZE", "1024"}};
    const VerifyStep ok =
        check_env_values(plan,
                         "# Written by vramplan\nCHAT_MODEL=a.gguf\nexport CHAT_N_GPU_LAYERS='37'\n"
                         "CHAT_CTX_SIZE=\"1024\"\nOTHER=1\n",
                         ".env");
    CHECK(ok.status == StepStatus::pass);
    CHECK(ok.detail == "3 values as planned");
    const VerifyStep bad =
        check_env_values(plan, "CHAT_MODEL=b.gguf\nCHAT_N_GPU_LAYERS=37\n", ".env");
    CHECK(bad.status == StepStatus::fail);
    CHECK(bad.detail ==
          "CHAT_MODEL=b.gguf, planned a.gguf; CHAT_CTX_SIZE is not set (planned 1024)");
    CHECK_THROWS_WITH(check_env_values(plan, "CHAT_MODEL='open\n", ".env"),
                      Catch::Contains(".env:1"));
    // Values may refer to variables, resolved as Compose does (the environment first).
    const VariableLookup env = [](std::string_view name) {
        return name == "CTX" ? std::optional<std::string>("1024") : std::nullopt;
    };
    CHECK(check_env_values(plan, "CHAT_MODEL=a.gguf\nCHAT_N_GPU_LAYERS=37\nCHAT_CTX_SIZE=${CTX}\n",
                           ".env", env)
              .status == StepStatus::pass);
    plan.services[0].env.clear();
    CHECK(check_env_values(plan, "", ".env").status == StepStatus::skip);
}

TEST_CASE("verify: a walk that passes; each start measured per process") {
    FakeServer chat({});
    FakeServer code({"--loading-ms", "200"});
    VerifyPlan plan;
    plan.total_bytes = 6141 * k_mib;
    plan.headroom_bytes = 512 * k_mib;
    plan.services = {service("chat", 2000, chat.port()), service("code", 3500, code.port())};
    ScriptedGpu gpu;
    std::vector<std::string> started;
    VerifyHooks hooks;
    hooks.start = [&](const VerifyService& s) {
        started.push_back(s.name);
        const std::uint64_t mib = s.name == "chat" ? 2010 : 3450;
        gpu.used_mib += mib;
        gpu.processes.push_back({s.name == "chat" ? 11U : 22U, "llama-server", mib * k_mib, 0U});
    };
    int readings = 0;
    hooks.on_reading = [&](double, const GpuSnapshot&) { ++readings; };
    VerifyOptions o = fast_options();
    LoadtestOptions load;
    load.requests = 4;
    load.concurrency = 2;
    load.prompts = builtin_prompts();
    load.sample_every = 20ms;
    o.load = load;
    const VerifyResult r = run_verify(plan, o, &gpu, hooks);
    CHECK(started == std::vector<std::string>{"chat", "code"});
    CHECK(r.passed());
    CHECK(r.gpu_source == "scripted");
    CHECK(step_of(r, "model-file", "chat").status == StepStatus::skip);
    CHECK(step_of(r, "env").status == StepStatus::skip);
    CHECK(step_of(r, "gpu").status == StepStatus::pass);
    CHECK(step_of(r, "baseline").measured_bytes == 100 * k_mib);
    const VerifyStep& c = step_of(r, "start", "code");
    CHECK(c.status == StepStatus::pass);
    CHECK(c.measured_bytes == 3450 * k_mib);
    CHECK_THAT(c.detail, Catch::Contains("GPU 2110.00 MiB -> 5560.00 MiB (+3450.00 MiB)"));
    CHECK_THAT(c.detail, Catch::Contains("pid 22 llama-server: 3450.00 MiB"));
    const VerifyStep& l = step_of(r, "load");
    CHECK(l.status == StepStatus::pass);
    CHECK(l.measured_bytes == 5560 * k_mib);
    CHECK_THAT(l.detail, Catch::Contains("4 requests, 0 failed"));
    REQUIRE(r.load);
    CHECK(r.load->records.size() == 4);
    CHECK(readings >= 2);
}

TEST_CASE("verify: over the prediction, another GPU, a busy baseline, a start that fails") {
    FakeServer chat({});
    VerifyPlan plan;
    plan.total_bytes = 8188 * k_mib; // planned for another card
    plan.services = {service("chat", 2000, chat.port()), service("code", 3500, chat.port())};
    ScriptedGpu gpu;
    gpu.used_mib = 1500;
    VerifyHooks hooks;
    hooks.start = [&](const VerifyService& s) {
        if (s.name == "code") {
            throw Error(ErrorKind::data, "--up", "exited with 1");
        }
        gpu.used_mib += 2300; // 300 MiB over: more than max(64, 100)
    };
    VerifyOptions o = fast_options();
    o.load = LoadtestOptions{};
    const VerifyResult r = run_verify(plan, o, &gpu, hooks);
    CHECK_FALSE(r.passed());
    CHECK(step_of(r, "gpu").status == StepStatus::fail);
    CHECK_THAT(step_of(r, "gpu").detail, Catch::Contains("expects 8188.00 MiB"));
    CHECK(step_of(r, "baseline").status == StepStatus::fail);
    const VerifyStep& c = step_of(r, "start", "chat");
    CHECK(c.status == StepStatus::fail);
    CHECK(c.measured_bytes == 2300 * k_mib); // no processes reported: the GPU's increase
    CHECK_THAT(c.detail, Catch::Contains("+300.00 MiB more than predicted (tolerance 100.00 MiB)"));
    CHECK_THAT(step_of(r, "start", "code").detail, Catch::Contains("could not start it"));
    CHECK(step_of(r, "load").status == StepStatus::skip);
}

TEST_CASE("verify: a service that never answers /health fails its step, within the timeout") {
    VerifyPlan plan;
    plan.total_bytes = 6141 * k_mib;
    plan.services = {service("chat", 2000, 1)}; // port 1: nothing listens
    ScriptedGpu gpu;
    VerifyOptions o = fast_options();
    o.start_timeout = 200ms;
    const auto t0 = std::chrono::steady_clock::now();
    const VerifyResult r = run_verify(plan, o, &gpu);
    CHECK(std::chrono::steady_clock::now() - t0 < 5s);
    const VerifyStep& c = step_of(r, "start", "chat");
    CHECK(c.status == StepStatus::fail);
    CHECK_THAT(c.detail, Catch::Contains("/health did not answer 200 within"));
}

TEST_CASE("verify: files only needs no GPU") {
    VerifyPlan plan;
    plan.services = {service("chat", 2000, 1)};
    VerifyOptions o;
    o.files_only = true;
    const VerifyResult r = run_verify(plan, o, nullptr);
    CHECK(r.steps.size() == 2);
    CHECK(r.passed());
    CHECK(r.gpu_source.empty());
}

TEST_CASE("verify: a plan nested a million deep is refused before it is read") {
    const std::string deep(1000000, '[');
    const std::string plan = R"({"gpu": {"total_bytes": )" + deep + std::string(1000000, ']') +
                             R"(, "headroom_bytes": 0}, "services": []})";
    try {
        (void)verify_plan_from_json(plan, "plan.json");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::data);
        CHECK_THAT(e.what(), Catch::Contains("nested deeper than 64"));
    }
    // An .env value in the plan that is not text is shown as JSON: bounded too.
    const std::string env = R"({"gpu": {"total_bytes": 1, "headroom_bytes": 0}, "services": [
        {"name": "a", "file": "a.gguf", "vram_bytes": 1, "port": 1, "env": {"X": )" +
                            deep + std::string(1000000, ']') + "}}]}";
    CHECK_THROWS_AS(verify_plan_from_json(env, "plan.json"), Error);
}

TEST_CASE("verify: --up gets the service name as one literal word") {
    TempDir dir;
    for (const std::string name :
         {"x;touch${IFS}pwned;#", "it's a name", "$(touch pwned)", "`touch pwned`", "a\"b"}) {
        INFO(name);
        VerifyService s = service(name, 1, 1);
        const std::string cmd = up_command(
            "cd '" + dir.path.string() + "' && printf '[%s]' {service} && echo {service}", s);
        const ProcessResult r = run_shell(cmd, 10s);
        CHECK(r.exit_code == 0);
        CHECK(r.out == "[" + name + "]" + name + "\n");
        CHECK_FALSE(std::filesystem::exists(dir.path / "pwned"));
    }
}
