#include <vramplan/base/json_output.hpp>
#include <vramplan/base/units.hpp>
#include <vramplan/report/loadtest_report.hpp>
#include <vramplan/report/verify_report.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace vramplan {

namespace {

std::string_view mark(StepStatus s) {
    switch (s) {
    case StepStatus::pass: return "✔";
    case StepStatus::fail: return "✘";
    case StepStatus::skip: return "-";
    }
    return "?";
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) {
        return s;
    }
    std::string out = "\"";
    for (const char c : s) {
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    }
    return out + "\"";
}

} // namespace

std::string render_verify_text(const VerifyResult& r) {
    std::string out = fmt::format("verify: {}", r.plan_source);
    if (!r.gpu_source.empty()) {
        out += fmt::format(" on {} (read with {})", r.gpu_name, r.gpu_source);
    }
    out += "\n\n";
    std::size_t passed = 0;
    std::size_t skipped = 0;
    std::vector<std::string> failed;
    for (const VerifyStep& s : r.steps) {
        out += fmt::format("{} {}\n", mark(s.status), s.title);
        if (s.predicted_bytes && s.measured_bytes) {
            const std::uint64_t p = *s.predicted_bytes;
            const std::uint64_t m = *s.measured_bytes;
            const char* what = s.id == "baseline" ? "limit"
                               : s.id == "gpu"    ? "planned"
                                                  : "predicted";
            out +=
                fmt::format("    {} {} MiB, measured {} MiB ({}{} MiB)\n", what, format_mib(p),
                            format_mib(m), m >= p ? "+" : "-", format_mib(m >= p ? m - p : p - m));
        }
        if (!s.detail.empty()) {
            out += fmt::format("    {}{}\n", s.status == StepStatus::skip ? "skipped: " : "",
                               s.detail);
        }
        switch (s.status) {
        case StepStatus::pass: ++passed; break;
        case StepStatus::skip: ++skipped; break;
        case StepStatus::fail:
            failed.push_back(s.service.empty() ? s.id : s.id + " " + s.service);
            break;
        }
    }
    out += "\n";
    if (failed.empty()) {
        out += fmt::format("verify passed: {} step{} passed, {} skipped\n", passed,
                           passed == 1 ? "" : "s", skipped);
    } else {
        out += fmt::format("verify FAILED: {} of {} steps failed ({})\n", failed.size(),
                           r.steps.size(), fmt::join(failed, ", "));
    }
    if (r.load && r.load_options) {
        out += "\nload phase:\n" + render_loadtest_text(*r.load, *r.load_options);
    }
    return out;
}

std::string render_verify_json(const VerifyResult& r) {
    using json = nlohmann::ordered_json;
    json steps = json::array();
    for (const VerifyStep& s : r.steps) {
        steps.push_back({{"id", s.id},
                         {"service", s.service},
                         {"title", s.title},
                         {"status", step_status_name(s.status)},
                         {"predicted_bytes", s.predicted_bytes ? json(*s.predicted_bytes) : json()},
                         {"measured_bytes", s.measured_bytes ? json(*s.measured_bytes) : json()},
                         {"detail", s.detail}});
    }
    json j{{"plan", r.plan_source},
           {"gpu", {{"source", r.gpu_source}, {"name", r.gpu_name}}},
           {"passed", r.passed()},
           {"steps", steps}};
    j["load"] = r.load && r.load_options
                    ? json::parse(render_loadtest_json(*r.load, *r.load_options))
                    : json();
    // Paths, GPU and service names, .env values: bytes that are not UTF-8 are replaced (U+FFFD).
    return json_output(j);
}

std::string watch_csv_header() {
    return "seconds,gpu,name,used_mib,total_mib\n";
}

std::string watch_csv_rows(double seconds, const GpuSnapshot& snap) {
    std::string out;
    for (const GpuReading& g : snap.gpus) {
        out += fmt::format("{:.1f},{},{},{},{}\n", seconds, g.index, csv_field(g.name),
                           format_mib(g.used_bytes), format_mib(g.total_bytes));
    }
    return out;
}

} // namespace vramplan
