// The check's renderers: text, JSON and GitHub annotations.

#include <vramplan/report/check_report.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace vramplan;

namespace {

CheckResult result_with(Severity s) {
    CheckResult r;
    r.compose_file = "dir/compose,x.yml";
    r.gpu.name = "rtx4050-laptop";
    r.gpu.memory_total_mib = 6141;
    r.findings.push_back(
        Finding{s, "gpu-memory", "code", {12, 5}, "needs 100% more\nof it", "lower -ngl"});
    return r;
}

} // namespace

TEST_CASE("passing depends on errors, and on warnings with strict", "[check_report]") {
    CHECK_FALSE(check_passed(result_with(Severity::error), false));
    CHECK(check_passed(result_with(Severity::warning), false));
    CHECK_FALSE(check_passed(result_with(Severity::warning), true));
    CHECK(check_passed(CheckResult{}, true));
}

TEST_CASE("GitHub annotations escape data and properties", "[check_report]") {
    const std::string out = render_check_github(result_with(Severity::error), false);
    CHECK(out.starts_with("::error file=dir/compose%2Cx.yml,line=12,col=5,title=vramplan "
                          "gpu-memory code::needs 100%25 more%0Aof it. Fix: lower -ngl\n"));
    CHECK(out.ends_with("check failed: 1 error, 0 warnings\n"));
}

TEST_CASE("JSON carries every finding with its position", "[check_report]") {
    const auto j = nlohmann::json::parse(render_check_json(result_with(Severity::warning), true));
    CHECK(j["pass"] == false);
    CHECK(j["warnings"] == 1);
    CHECK(j["findings"][0]["line"] == 12);
    CHECK(j["findings"][0]["severity"] == "warning");
    CHECK(j["findings"][0]["file"] == "dir/compose,x.yml");
}

TEST_CASE("text names the location, the rule and the fix", "[check_report]") {
    const std::string out = render_check_text(result_with(Severity::error), false);
    // A newline inside a message is shown escaped: it must not start a line of its own (a CI
    // runner reads "::command" lines from the output).
    CHECK(out.find("error: dir/compose,x.yml:12:5 code [gpu-memory]\n  needs 100% more\\x0aof it\n"
                   "  fix: lower -ngl\n") != std::string::npos);
}
