#include "app.hpp"

#include <vramplan/report/report.hpp>
#include <vramplan/runtime/gpu_detect.hpp>

#include <memory>

namespace vramplan::cli {

void register_gpus(CLI::App& app, Context& ctx) {
    struct Options {
        bool json = false;
        std::string name;
        bool show_json = false;
        bool detect = false;
        std::string source = "auto";
    };
    auto opt = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("gpus", "List the GPU profiles (profiles/gpus/*.yaml)");
    cmd->add_flag("--json", opt->json, "Print JSON (with the source of every figure)");
    cmd->add_flag("--detect", opt->detect,
                  "Read this machine's GPUs (NVML or nvidia-smi) and match them to profiles");
    add_gpu_source_option(cmd, opt->source, "Where --detect reads: auto, nvml, nvidia-smi");
    cmd->footer("\nExamples:\n  vramplan gpus\n  vramplan gpus show rtx4050\n"
                "  vramplan gpus --detect        which profile this machine's GPU is\n"
                "  vramplan gpus --json | jq '.gpus[] | select(.name==\"rtx4090\")'\n\n"
                "--detect exits 2 when neither NVML nor nvidia-smi can be read.");
    cmd->callback([opt, &ctx, cmd] {
        if (cmd->get_subcommands().empty()) {
            ctx.action = [opt, &ctx] {
                const GpuProfiles g = ctx.gpus();
                if (opt->detect) {
                    const auto reader = open_gpu_reader(parse_gpu_source(opt->source));
                    const GpuSnapshot snap = reader->read();
                    const std::vector<DetectedGpu> found = detect_gpus(g, snap);
                    print(opt->json ? render_detect_json(found, snap)
                                    : render_detect_text(found, snap));
                    return 0;
                }
                print(opt->json ? render_gpus_json(g) : render_gpus_text(g));
                return 0;
            };
        }
    });

    CLI::App* show = cmd->add_subcommand("show", "One GPU profile, with the source of each figure");
    show->add_option("name", opt->name, "Profile name or alias (rtx4050, a100-80gb, h100)")
        ->required();
    show->add_flag("--json", opt->show_json, "Print JSON");
    show->footer("\nExamples:\n  vramplan gpus show rtx4050\n  vramplan gpus show h100 --json");
    show->callback([opt, &ctx] {
        ctx.action = [opt, &ctx] {
            const GpuProfiles g = ctx.gpus();
            const GpuProfile& p = g.resolve(opt->name);
            print(opt->show_json ? render_gpu_json(p) : render_gpu_text(p));
            return 0;
        };
    });
}

} // namespace vramplan::cli
