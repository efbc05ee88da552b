#include <vramplan/base/json_output.hpp>
#include <vramplan/base/text_table.hpp>
#include <vramplan/base/units.hpp>
#include <vramplan/report/scenario_report.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace vramplan {

namespace {

// Short labels keep a row readable: the role where there is one.
const std::string& label(const ServicePlan& s) {
    return s.request.role.empty() ? s.request.name : s.request.role;
}

std::string layers_cell(const Plan& p) {
    std::string out;
    for (const auto& s : p.services) {
        out += fmt::format("{}{} {}/{}", out.empty() ? "" : ", ", label(s), s.n_gpu_layers,
                           s.estimate.layers_total);
    }
    return out;
}

std::string vram_cell(const Plan& p) {
    std::string out;
    for (const auto& s : p.services) {
        out += fmt::format("{}{} {}", out.empty() ? "" : " + ", label(s), format_mib(s.vram_bytes));
    }
    return out;
}

std::string speed_cell(const Plan& p) {
    std::string out;
    for (const auto& s : p.services) {
        out += fmt::format("{}{} {:.0f}%", out.empty() ? "" : ", ", label(s),
                           s.speed.fraction_of_full() * 100.0);
    }
    return out;
}

// What the GPU has left with every service up: negative when it is exceeded.
std::int64_t left_bytes(const Plan& p, std::uint64_t reserve_bytes) {
    return static_cast<std::int64_t>(p.total_bytes) - static_cast<std::int64_t>(reserve_bytes) -
           static_cast<std::int64_t>(p.vram_bytes);
}

std::string signed_mib(std::int64_t bytes) {
    const std::string m = format_mib(static_cast<std::uint64_t>(bytes < 0 ? -bytes : bytes));
    return bytes < 0 ? "-" + m : m;
}

// One kind of GPU buffer summed over the row's services: the components the team's hand
// estimates counted once (CUDA context) or left out (KV cache, compute buffers).
std::uint64_t gpu_component(const Plan& p, BufferKind kind) {
    std::uint64_t n = 0;
    for (const auto& s : p.services) {
        n += s.estimate.bytes_of(kind, true);
    }
    return n;
}

std::string name_cell(const ScenarioResult& r) {
    return r.solved ? r.name + " (solver)" : r.name;
}

} // namespace

std::vector<ScenarioResult> run_scenarios(const std::vector<Scenario>& scenarios,
                                          const SolveOptions& options) {
    std::vector<ScenarioResult> out;
    for (const auto& s : scenarios) {
        ScenarioResult r;
        r.name = s.name;
        r.solved = s.solve;
        r.plan =
            s.solve ? solve(s.services, options) : evaluate(s.services, s.n_gpu_layers, options);
        out.push_back(std::move(r));
    }
    return out;
}

std::string scenario_verdict(const Plan& p, std::uint64_t reserve_bytes) {
    if (p.fits) {
        return "fits";
    }
    return left_bytes(p, reserve_bytes) >= 0 ? "tight" : "OOM";
}

namespace {

// One table serves the terminal and Markdown renderings.
TextTable scenario_table(const std::vector<ScenarioResult>& results, const PlanContext& c) {
    TextTable t({{"scenario"},
                 {"layers on GPU"},
                 {"VRAM MiB per service"},
                 {"weights", TextTable::Align::right},
                 {"KV", TextTable::Align::right},
                 {"compute", TextTable::Align::right},
                 {"CUDA ctx", TextTable::Align::right},
                 {"VRAM MiB", TextTable::Align::right},
                 {"GPU left MiB", TextTable::Align::right},
                 {"speed of full offload"},
                 {"verdict"}});
    for (const auto& r : results) {
        t.add_row({name_cell(r), layers_cell(r.plan), vram_cell(r.plan),
                   format_mib(gpu_component(r.plan, BufferKind::model)),
                   format_mib(gpu_component(r.plan, BufferKind::kv)),
                   format_mib(gpu_component(r.plan, BufferKind::compute)),
                   format_mib(gpu_component(r.plan, BufferKind::runtime)),
                   format_mib(r.plan.vram_bytes), signed_mib(left_bytes(r.plan, c.reserve_bytes)),
                   speed_cell(r.plan), scenario_verdict(r.plan, c.reserve_bytes)});
    }
    return t;
}

std::string budget_line(const std::vector<ScenarioResult>& results, const PlanContext& c) {
    const std::uint64_t total = results.empty() ? 0 : results.front().plan.total_bytes;
    return fmt::format("GPU {} MiB, {} MiB reserved, {} MiB headroom wanted.", total >> 20,
                       c.reserve_bytes >> 20, c.headroom_bytes >> 20);
}

} // namespace

std::string render_scenarios_text(const std::vector<ScenarioResult>& results,
                                  const PlanContext& c) {
    return scenario_table(results, c).render() + "\n  " + budget_line(results, c) +
           " fits: within the headroom; tight: fits the GPU but eats into the headroom; OOM: "
           "exceeds the GPU.\n";
}

std::string render_scenarios_markdown(const std::vector<ScenarioResult>& results,
                                      const PlanContext& c) {
    return scenario_table(results, c).render_markdown() + "\n" + budget_line(results, c) + "\n";
}

std::string render_scenarios_json(const std::vector<ScenarioResult>& results,
                                  const PlanContext& c) {
    using json = nlohmann::ordered_json;
    json rows = json::array();
    for (const auto& r : results) {
        json services = json::array();
        for (const auto& s : r.plan.services) {
            services.push_back(
                {{"name", s.request.name},
                 {"model_file", s.request.model.file},
                 {"n_gpu_layers", s.n_gpu_layers},
                 {"layers_total", s.estimate.layers_total},
                 {"vram_bytes", s.vram_bytes},
                 {"weights_gpu_bytes", s.estimate.bytes_of(BufferKind::model, true)},
                 {"kv_gpu_bytes", s.estimate.bytes_of(BufferKind::kv, true)},
                 {"compute_gpu_bytes", s.estimate.bytes_of(BufferKind::compute, true)},
                 {"runtime_bytes", s.estimate.bytes_of(BufferKind::runtime, true)},
                 {"host_bytes", s.host_bytes},
                 {"tokens_per_s", s.speed.tokens_per_s},
                 {"prompt_tokens_per_s", s.speed.prompt_tokens_per_s},
                 {"speed_vs_full", s.speed.fraction_of_full()}});
        }
        rows.push_back({{"name", r.name},
                        {"solved", r.solved},
                        {"verdict", scenario_verdict(r.plan, c.reserve_bytes)},
                        {"vram_bytes", r.plan.vram_bytes},
                        {"budget_bytes", r.plan.budget_bytes},
                        {"gpu_left_bytes", left_bytes(r.plan, c.reserve_bytes)},
                        {"services", services}});
    }
    json out = {{"reserve_bytes", c.reserve_bytes},
                {"headroom_bytes", c.headroom_bytes},
                {"scenarios", rows}};
    return json_output(out);
}

} // namespace vramplan
