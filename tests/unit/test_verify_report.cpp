#include <vramplan/report/verify_report.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace vramplan;

namespace {

VerifyResult sample_result() {
    VerifyResult r;
    r.plan_source = "plan.json";
    r.gpu_source = "nvidia-smi";
    r.gpu_name = "NVIDIA GeForce RTX 4050 Laptop GPU";
    VerifyStep env{"env", "",        ".env holds the planned values", StepStatus::pass, {},
                   {},    "6 values"};
    VerifyStep files{"model-file", "chat", "model file a.gguf", StepStatus::skip,
                     {},           {},     "pass --models-dir"};
    VerifyStep start{
        "start",       "chat",        "chat starts within its prediction", StepStatus::fail,
        2000ULL << 20, 2300ULL << 20, "GPU 100.00 MiB -> 2400.00 MiB"};
    VerifyStep base{"baseline",   "", "VRAM in use before", StepStatus::pass, 1024ULL << 20,
                    100ULL << 20, ""};
    r.steps = {files, env, base, start};
    return r;
}

} // namespace

TEST_CASE("verify report: text, a mark per step, predicted against measured") {
    CHECK(render_verify_text(sample_result()) ==
          "verify: plan.json on NVIDIA GeForce RTX 4050 Laptop GPU (read with nvidia-smi)\n"
          "\n"
          "- model file a.gguf\n"
          "    skipped: pass --models-dir\n"
          "✔ .env holds the planned values\n"
          "    6 values\n"
          "✔ VRAM in use before\n"
          "    limit 1024.00 MiB, measured 100.00 MiB (-924.00 MiB)\n"
          "✘ chat starts within its prediction\n"
          "    predicted 2000.00 MiB, measured 2300.00 MiB (+300.00 MiB)\n"
          "    GPU 100.00 MiB -> 2400.00 MiB\n"
          "\n"
          "verify FAILED: 1 of 4 steps failed (start chat)\n");
    VerifyResult ok = sample_result();
    ok.steps.pop_back();
    CHECK_THAT(render_verify_text(ok),
               Catch::EndsWith("verify passed: 2 steps passed, 1 skipped\n"));
}

TEST_CASE("verify report: JSON") {
    const auto j = nlohmann::json::parse(render_verify_json(sample_result()));
    CHECK(j["passed"] == false);
    CHECK(j["gpu"]["source"] == "nvidia-smi");
    REQUIRE(j["steps"].size() == 4);
    CHECK(j["steps"][0]["status"] == "skip");
    CHECK(j["steps"][0]["predicted_bytes"].is_null());
    CHECK(j["steps"][3]["measured_bytes"] == 2300ULL << 20);
    CHECK(j["load"].is_null());
}

TEST_CASE("verify --watch rows: one per GPU, names quoted when they need it") {
    GpuSnapshot s;
    s.gpus.push_back({0, "RTX, \"laptop\"", 412ULL << 20, 6141ULL << 20});
    s.gpus.push_back({1, "B", 0, 1ULL << 20});
    CHECK(watch_csv_header() == "seconds,gpu,name,used_mib,total_mib\n");
    CHECK(watch_csv_rows(1.25, s) ==
          "1.2,0,\"RTX, \"\"laptop\"\"\",412.00,6141.00\n1.2,1,B,0.00,1.00\n");
}

TEST_CASE("verify report: bytes that are not UTF-8 are replaced in JSON, not thrown") {
    VerifyResult r = sample_result();
    r.plan_source = "plan-\xff.json";
    r.gpu_name = "GPU \x80";
    r.steps[1].detail = "CHAT_MODEL=\xfe, planned a.gguf";
    std::string out;
    REQUIRE_NOTHROW(out = render_verify_json(r));
    const auto j = nlohmann::json::parse(out);
    CHECK(j["plan"] == "plan-\xef\xbf\xbd.json");
    CHECK(j["gpu"]["name"] == "GPU \xef\xbf\xbd");
    CHECK(j["steps"][1]["detail"] == "CHAT_MODEL=\xef\xbf\xbd, planned a.gguf");
}
