#include "app.hpp"

#include <vramplan/base/error.hpp>
#include <vramplan/base/units.hpp>
#include <vramplan/model/synth.hpp>

#include <fmt/format.h>

#include <iostream>
#include <memory>

namespace vramplan::cli {

void register_synth(CLI::App& app, Context& ctx) {
    struct Options {
        std::string model;
        std::string quant = "Q4_K_M";
        std::string out;
        bool force = false;
        bool imatrix = false;
    };
    auto opt = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand(
        "synth", "Write a shape-faithful .gguf of a catalog model whose tensor data is a hole");
    cmd->add_option("model", opt->model, "Catalog name, role alias (chat:3b) or GGUF file name")
        ->required();
    cmd->add_option("--quant", opt->quant, "File type: Q4_K_M, Q8_0, F16, IQ4_XS, ...")
        ->capture_default_str();
    cmd->add_option("--out", opt->out, "Output .gguf path")->required();
    cmd->add_flag("--force", opt->force, "Replace an existing file");
    cmd->add_flag("--imatrix", opt->imatrix,
                  "Choose types as llama-quantize does with an importance matrix");
    cmd->footer("\nExample:\n  vramplan synth qwen2.5-7b-instruct --quant Q4_K_M --out q7.gguf\n"
                "The header (metadata, tokenizer, tensor table) is real; the data is all zeros\n"
                "and takes no disk space (a sparse file). llama.cpp loads it, so it can stand in\n"
                "for the real file when measuring memory.");
    cmd->callback([opt, &ctx] {
        ctx.action = [opt, &ctx] {
            const Catalog c = ctx.catalog();
            const ModelMatch match = c.resolve_argument(opt->model);
            const auto ft = parse_file_type(opt->quant);
            if (!ft) {
                throw Error(ErrorKind::usage, "--quant",
                            fmt::format("unknown file type '{}'", opt->quant),
                            "use a llama-quantize type such as Q4_K_M, Q5_K_M, Q8_0 or F16");
            }
            const ModelSpec spec =
                synthesize_model(*match.model, *ft, RecipeOptions{opt->imatrix, false});
            const GgufWriter w = synthesized_gguf(*match.model, spec);
            write_sparse_gguf(w, opt->out, opt->force);
            std::cerr << fmt::format("wrote {}: {} {}, {} tensors, {} bytes of tensor data "
                                     "(sparse), header {} bytes\n",
                                     opt->out, match.model->name, file_type_name(*ft),
                                     spec.tensors.size(), format_bytes(spec.tensor_bytes()),
                                     format_bytes(w.header().size()));
            return 0;
        };
    });
}

} // namespace vramplan::cli
