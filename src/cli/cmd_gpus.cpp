#include "app.hpp"

#include <vramplan/report.hpp>

#include <memory>

namespace vramplan::cli {

void register_gpus(CLI::App& app, Context& ctx) {
    auto json = std::make_shared<bool>(false);
    CLI::App* cmd = app.add_subcommand("gpus", "List the GPU profiles (profiles/gpus/*.yaml)");
    cmd->add_flag("--json", *json, "Print JSON (with the source of every figure)");
    cmd->footer("\nExample:\n  vramplan gpus --json | jq '.gpus[] | select(.name==\"rtx4090\")'");
    cmd->callback([json, &ctx] {
        ctx.action = [json, &ctx] {
            const GpuProfiles g = ctx.gpus();
            print(*json ? render_gpus_json(g) : render_gpus_text(g));
            return 0;
        };
    });
}

}  // namespace vramplan::cli
