#include "app.hpp"

#include <vramplan/report/report.hpp>

#include <memory>

namespace vramplan::cli {

void register_models(CLI::App& app, Context& ctx) {
    struct Options {
        bool json = false;
        std::string name;
        bool show_json = false;
    };
    auto opt = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("models", "List the model catalog (models/*.yaml)");
    cmd->add_flag("--json", opt->json, "Print JSON");
    cmd->footer("\nExamples:\n  vramplan models\n  vramplan models show qwen2.5-7b-instruct\n"
                "  vramplan models show Qwen2.5-3B-Instruct-Q4_K_M.gguf");
    cmd->callback([opt, &ctx, cmd] {
        if (cmd->get_subcommands().empty()) {
            ctx.action = [opt, &ctx] {
                const Catalog c = ctx.catalog();
                print(opt->json ? render_catalog_json(c) : render_catalog_text(c));
                return 0;
            };
        }
    });

    CLI::App* show = cmd->add_subcommand(
        "show", "One model: architecture numbers, roles, published files and their sizes");
    show->add_option("name", opt->name, "Catalog name, role alias (chat:3b) or GGUF file name")
        ->required();
    show->add_flag("--json", opt->show_json, "Print JSON");
    show->footer("\nExamples:\n  vramplan models show qwen2.5-coder-7b-instruct\n"
                 "  vramplan models show chat:3b --json\n"
                 "  vramplan models show qwen2.5-coder-7b-instruct-q4_k_m.gguf");
    show->callback([opt, &ctx] {
        ctx.action = [opt, &ctx] {
            const Catalog c = ctx.catalog();
            const ModelMatch match = c.resolve_argument(opt->name);
            print(opt->show_json ? render_catalog_model_json(c, *match.model)
                                 : render_catalog_model_text(c, *match.model));
            return 0;
        };
    });
}

} // namespace vramplan::cli
