#pragma once
// A model named on the command line: a .gguf file (read from its header), or a catalog entry
// (name, ROLE:ALIAS or published file name) built from the llama-quantize recipe.

#include <vramplan/model/catalog.hpp>
#include <vramplan/model/model.hpp>

#include <memory>
#include <optional>
#include <string>

namespace vramplan {

struct ResolvedModel {
    // Shared, not copied: a plan holds a copy of its request for every layer count it costs.
    std::shared_ptr<const ModelSpec> spec_ptr;
    const ModelSpec& spec() const { return *spec_ptr; }
    std::string label;                       // catalog name, or the file path as given
    std::string quant;                       // file type name, or "unknown"
    std::string source;                      // "catalog" or "file"
    std::string file;                        // the GGUF file name to deploy
    std::optional<std::uint64_t> file_bytes; // its size: read, or published in the catalog
};

// `role` applies role aliases (chat, code) to a bare alias ("3b"). `quant` overrides the file
// type of a catalog model (default: from the file name, else Q4_K_M). Throws vramplan::Error.
ResolvedModel resolve_model(const Catalog& catalog, const std::string& argument,
                            const std::string& role = {},
                            const std::optional<std::string>& quant = std::nullopt);

} // namespace vramplan
