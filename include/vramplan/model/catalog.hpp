#pragma once
// The model catalog: models/*.yaml (one model each) and models/roles.yaml (role aliases such as
// chat 3b -> qwen2.5-3b-instruct). docs/data-files.md describes the schema.

#include <vramplan/model/architecture.hpp>
#include <vramplan/model/quant_recipe.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vramplan {

struct PublishedFile {
    std::string file; // the file name as published
    FileType quant{};
    std::optional<std::uint64_t> size_bytes; // exact size where public
    std::string publisher;                   // "bartowski", "Qwen", ...
    std::string repo;                        // "bartowski/Qwen2.5-7B-Instruct-GGUF"
    std::string source;                      // where the size was read
    bool imatrix = false;                    // quantized with an importance matrix
};

struct CatalogModel {
    std::string name; // published name in lower case: "qwen2.5-7b-instruct"
    std::string display_name;
    std::string hf_repo;   // the original weights
    std::string tokenizer; // tokenizer family for synthesized headers: qwen2, llama3, ...
    ArchitectureParams arch;
    float rope_freq_base = 10000.0F;
    float norm_eps = 1e-5F;
    std::vector<PublishedFile> files;
    std::string source_path; // the YAML file it came from
};

struct RoleAlias {
    std::string role;  // "chat", "code"
    std::string alias; // "3b"
    std::string model; // catalog name
};

// One catalog file's model; `source` names it in errors. Throws ErrorKind::data with file:line.
CatalogModel parse_catalog_model(std::string_view yaml_text, const std::string& source);

// A catalog entry plus the published file (if any) that a name or file name designates.
struct ModelMatch {
    const CatalogModel* model = nullptr;
    std::optional<FileType> quant; // from the file name, when one was matched
    const PublishedFile* file = nullptr;
};

class Catalog {
public:
    // Loads models/*.yaml and models/roles.yaml below `models_dir`, in file name order.
    static Catalog load(const std::filesystem::path& models_dir);
    // For tests: models and roles given directly (roles may name only listed models).
    static Catalog from_models(std::vector<CatalogModel> models, std::vector<RoleAlias> roles);

    const std::vector<CatalogModel>& models() const { return m_models; }
    const std::vector<RoleAlias>& roles() const { return m_roles; }
    std::vector<std::string> names() const;

    // Exact catalog name, case-insensitive; nullptr when unknown.
    const CatalogModel* find(std::string_view name) const;

    // A GGUF file name as published or as a user renamed it ("Qwen2.5-3B-Instruct-Q4_K_M.gguf",
    // "qwen2.5-coder-7b-instruct-q4_k_m.gguf"): an exact published name first, then the model
    // name and quantization read from the name. nullopt when nothing matches.
    std::optional<ModelMatch> match_file_name(std::string_view file_name) const;

    // What a user typed: a role alias (with `role`), a catalog name, or a file name. Throws
    // ErrorKind::data with the closest names when nothing matches.
    ModelMatch resolve(std::string_view query, std::string_view role = {}) const;

    // A command-line model argument: "ROLE:ALIAS" (chat:3b), or anything resolve() takes.
    ModelMatch resolve_argument(std::string_view argument) const;

private:
    std::vector<CatalogModel> m_models;
    std::vector<RoleAlias> m_roles;
};

} // namespace vramplan
