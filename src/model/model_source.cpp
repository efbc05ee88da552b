#include <vramplan/base/error.hpp>
#include <vramplan/model/model_source.hpp>
#include <vramplan/model/synth.hpp>

#include <filesystem>

namespace vramplan {

ResolvedModel resolve_model(const Catalog& catalog, const std::string& argument,
                            const std::string& role, const std::optional<std::string>& quant) {
    ResolvedModel r;
    std::error_code ec;
    if (std::filesystem::is_regular_file(argument, ec)) {
        r.spec_ptr = std::make_shared<const ModelSpec>(read_model(argument));
        r.label = argument;
        r.source = "file";
        r.quant = r.spec().file_type ? std::string(file_type_name(*r.spec().file_type)) : "unknown";
        r.file = std::filesystem::path(argument).filename().string();
        r.file_bytes = r.spec().file_bytes();
        return r;
    }
    const ModelMatch match =
        role.empty() ? catalog.resolve_argument(argument) : catalog.resolve(argument, role);
    FileType ft = match.quant.value_or(FileType::q4_k_m);
    if (quant) {
        const auto q = parse_file_type(*quant);
        if (!q) {
            throw Error(ErrorKind::usage, "--quant", "unknown file type '" + *quant + "'",
                        "use a llama-quantize type such as Q4_K_M, Q8_0 or F16");
        }
        ft = *q;
    }
    const bool imatrix = match.file != nullptr && match.file->imatrix;
    r.spec_ptr = std::make_shared<const ModelSpec>(
        synthesize_model(*match.model, ft, RecipeOptions{imatrix, false}));
    r.label = match.model->name;
    r.source = "catalog";
    r.quant = std::string(file_type_name(ft));
    // The file to deploy: the one named, else a published file of that type, else a name
    // built like the published ones.
    if (match.file != nullptr && match.file->quant == ft) {
        r.file = std::filesystem::path(argument).filename().string();
        if (r.file.find(".gguf") == std::string::npos) {
            r.file = match.file->file;
        }
    } else {
        for (const auto& f : match.model->files) {
            if (f.quant == ft && r.file.empty()) {
                r.file = f.file;
            }
        }
        if (r.file.empty()) {
            r.file = match.model->name + "-" + r.quant + ".gguf";
        }
    }
    for (const auto& f : match.model->files) {
        if (f.file == r.file) {
            r.file_bytes = f.size_bytes;
        }
    }
    return r;
}

} // namespace vramplan
