#include "support/shipped_data.hpp"

#include <vramplan/model/catalog.hpp>
#include <vramplan/plan/deployment.hpp>
#include <vramplan/report/scenario_report.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace vramplan;

namespace {

std::vector<ScenarioResult> p2_on(const char* gpu, std::uint64_t headroom_mib) {
    const Catalog& catalog = test::shipped_catalog();
    const Deployment& d = test::p2_deployment();
    const auto scenarios = parse_scenarios("scenarios:\n"
                                           "  - name: both 7B\n"
                                           "    services:\n"
                                           "      - {role: chat, model: 7b}\n"
                                           "      - {role: code, model: 7b}\n"
                                           "  - name: code 20\n"
                                           "    services:\n"
                                           "      - {role: chat, model: 3b}\n"
                                           "      - {role: code, model: 7b, ngl: 20}\n"
                                           "  - name: solver\n"
                                           "    solve: true\n"
                                           "    services:\n"
                                           "      - {role: chat, model: 3b}\n"
                                           "      - {role: code, model: 7b}\n",
                                           "s.yaml", catalog, d);
    SolveOptions o;
    o.gpu = test::shipped_gpu(gpu);
    o.headroom_bytes = headroom_mib << 20;
    o.host = test::shipped_host();
    return run_scenarios(scenarios, o);
}

} // namespace

TEST_CASE("scenarios: fixed rows are evaluated as given, solver rows are solved") {
    const auto r = p2_on("rtx4050", 512);
    REQUIRE(r.size() == 3);
    CHECK(scenario_verdict(r[0].plan, 0) == "OOM"); // two whole 7B models exceed 6 GB
    CHECK(r[1].plan.services[1].n_gpu_layers == 20);
    CHECK(scenario_verdict(r[1].plan, 0) == "fits");
    CHECK(r[2].solved);
    CHECK(r[2].plan.fits);
    // The solver never does worse than a fixed row that fits with the same services.
    CHECK(r[2].plan.services[1].n_gpu_layers >= 20);
}

TEST_CASE("scenario verdicts: tight when only the headroom is eaten into") {
    auto r = p2_on("rtx4050", 512);
    Plan& p = r[1].plan;
    p.fits = false;
    p.vram_bytes = p.total_bytes - (100ULL << 20); // within the GPU, not within the budget
    CHECK(scenario_verdict(p, 0) == "tight");
    CHECK(scenario_verdict(p, 200ULL << 20) == "OOM"); // a reserve pushes it over
}

TEST_CASE("scenario renderings agree with each other") {
    const auto r = p2_on("rtx4050", 512);
    PlanContext c;
    c.headroom_bytes = 512ULL << 20;
    const auto j = nlohmann::json::parse(render_scenarios_json(r, c));
    REQUIRE(j["scenarios"].size() == 3);
    CHECK(j["scenarios"][0]["verdict"] == "OOM");
    CHECK(j["scenarios"][0]["gpu_left_bytes"].get<std::int64_t>() < 0);
    CHECK(j["scenarios"][1]["services"][1]["n_gpu_layers"] == 20);
    const std::string md = render_scenarios_markdown(r, c);
    CHECK(md.find("| code 20 | chat 37/37, code 20/29 |") != std::string::npos);
    const std::string text = render_scenarios_text(r, c);
    CHECK(text.find("solver (solver)") != std::string::npos);
}
