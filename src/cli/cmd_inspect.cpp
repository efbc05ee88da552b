#include "app.hpp"

#include <vramplan/model/model.hpp>
#include <vramplan/report/report.hpp>

#include <memory>

namespace vramplan::cli {

void register_inspect(CLI::App& app, Context& ctx) {
    struct Options {
        std::string path;
        bool json = false;
    };
    auto opt = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand(
        "inspect", "Show what a .gguf file holds: architecture, quantization mix, bytes per layer");
    cmd->add_option("file", opt->path, "A .gguf file; for a split model, any part")->required();
    cmd->add_flag("--json", opt->json, "Print JSON (every tensor with its type, shape and bytes)");
    cmd->footer("\nExample:\n  vramplan inspect Qwen2.5-7B-Instruct-Q4_K_M.gguf\n"
                "Reads only the header: a multi-GB file is inspected in milliseconds.");
    cmd->callback([opt, &ctx] {
        ctx.action = [opt] {
            const ModelSpec m = read_model(opt->path);
            print(opt->json ? render_model_json(m) : render_model_text(m));
            return 0;
        };
    });
}

} // namespace vramplan::cli
