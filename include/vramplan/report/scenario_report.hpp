#pragma once
// `vramplan scenarios`: the deployment's what-if table (fixed layer counts next to the solver's
// plan) with VRAM, what is left of the GPU, speed and a verdict per row. docs/solver.md.

#include <vramplan/plan/services.hpp>
#include <vramplan/plan/solver.hpp>
#include <vramplan/report/plan_report.hpp>

#include <string>
#include <vector>

namespace vramplan {

struct ScenarioResult {
    std::string name;
    bool solved = false; // the solver picked the layers
    Plan plan;
};

// Each scenario costed against `options`: fixed layers with evaluate(), the rest with solve().
std::vector<ScenarioResult> run_scenarios(const std::vector<Scenario>& scenarios,
                                          const SolveOptions& options);

// "fits" within the budget; "tight" when only the headroom is eaten into; "OOM" when the GPU
// itself is exceeded.
std::string scenario_verdict(const Plan& p, std::uint64_t reserve_bytes);

std::string render_scenarios_text(const std::vector<ScenarioResult>& r, const PlanContext& c);
std::string render_scenarios_markdown(const std::vector<ScenarioResult>& r, const PlanContext& c);
std::string render_scenarios_json(const std::vector<ScenarioResult>& r, const PlanContext& c);

} // namespace vramplan
