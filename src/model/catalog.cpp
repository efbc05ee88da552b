#include "../base/yaml_util.hpp"

#include <vramplan/base/error.hpp>
#include <vramplan/base/suggest.hpp>
#include <vramplan/base/text_file.hpp>
#include <vramplan/model/catalog.hpp>
#include <vramplan/model/model.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

namespace vramplan {

namespace {

PublishedFile parse_file_entry(const YAML::Node& node, const std::string& source) {
    const yaml::MapReader r(node, source);
    r.only_keys({"file", "quant", "size_bytes", "publisher", "repo", "source", "imatrix"});
    PublishedFile f;
    f.file = r.string("file");
    const std::string q = r.string("quant");
    const auto ft = parse_file_type(q);
    if (!ft) {
        r.fail(r.node("quant"), fmt::format("unknown quantization '{}'", q));
    }
    f.quant = *ft;
    f.size_bytes = r.optional_uint("size_bytes", 1);
    f.publisher = r.string("publisher");
    f.repo = r.optional_string("repo").value_or("");
    f.source = r.optional_string("source").value_or("");
    f.imatrix = r.boolean("imatrix", false);
    return f;
}

// Splits "Qwen2.5-7B-Instruct-Q4_K_M" into ("qwen2.5-7b-instruct", Q4_K_M): the quantization
// is the last '-' or '.' separated part that names a file type.
std::optional<std::pair<std::string, FileType>> split_quant(std::string_view stem) {
    for (std::size_t i = stem.size(); i-- > 0;) {
        if (stem[i] == '-' || stem[i] == '.' || stem[i] == '_') {
            if (const auto ft = parse_file_type(stem.substr(i + 1))) {
                return std::make_pair(to_lower(stem.substr(0, i)), *ft);
            }
        }
    }
    return std::nullopt;
}

} // namespace

CatalogModel parse_catalog_model(std::string_view yaml_text, const std::string& source) {
    const YAML::Node root = yaml::parse(yaml_text, source);
    const yaml::MapReader r(root, source);
    r.only_keys({"name",
                 "display_name",
                 "hf_repo",
                 "architecture",
                 "layers",
                 "embedding",
                 "heads",
                 "kv_heads",
                 "head_dim",
                 "rope_dim",
                 "ffn",
                 "vocab",
                 "context_train",
                 "sliding_window",
                 "tied_output",
                 "attention_bias",
                 "rope_freqs",
                 "rope_factors",
                 "rope_freq_base",
                 "norm_eps",
                 "tokenizer",
                 "files"});
    CatalogModel m;
    m.source_path = source;
    m.name = r.string("name");
    if (m.name != to_lower(m.name) || m.name.empty()) {
        r.fail(r.node("name"), "'name' must be the published model name in lower case");
    }
    m.display_name = r.optional_string("display_name").value_or(m.name);
    m.hf_repo = r.optional_string("hf_repo").value_or("");
    m.tokenizer = r.optional_string("tokenizer").value_or("gpt2");

    ArchitectureParams& a = m.arch;
    a.arch = r.string("architecture");
    constexpr std::uint64_t k_max = 1U << 24;
    a.n_layer = static_cast<std::uint32_t>(r.uint("layers", 1, k_llama_max_layers));
    a.n_embd = static_cast<std::uint32_t>(r.uint("embedding", 1, k_max));
    a.n_head = static_cast<std::uint32_t>(r.uint("heads", 1, 65536));
    a.n_head_kv = static_cast<std::uint32_t>(r.uint("kv_heads", 1, 65536));
    a.head_dim = static_cast<std::uint32_t>(r.optional_uint("head_dim", 1, 65536).value_or(0));
    a.n_rot = static_cast<std::uint32_t>(r.optional_uint("rope_dim", 1, 65536).value_or(0));
    a.n_ff = static_cast<std::uint32_t>(r.uint("ffn", 1, k_max));
    a.n_vocab = static_cast<std::uint32_t>(r.uint("vocab", 1, k_max));
    a.n_ctx_train = static_cast<std::uint32_t>(r.uint("context_train", 1, UINT32_MAX));
    a.sliding_window =
        static_cast<std::uint32_t>(r.optional_uint("sliding_window", 1, UINT32_MAX).value_or(0));
    a.tied_output = r.boolean("tied_output", false);
    a.attention_bias = r.boolean("attention_bias", false);
    a.rope_freqs = r.boolean("rope_freqs", false);
    a.rope_factors = r.boolean("rope_factors", false);
    m.rope_freq_base =
        static_cast<float>(r.optional_number("rope_freq_base", 1.0, 1e12).value_or(10000.0));
    m.norm_eps = static_cast<float>(r.optional_number("norm_eps", 1e-12, 1.0).value_or(1e-5));
    if (a.head_dim == 0 && a.n_embd % a.n_head != 0) {
        r.fail(r.node("heads"), "embedding is not a multiple of heads; give head_dim");
    }
    if (a.n_head % a.n_head_kv != 0) {
        r.fail(r.node("kv_heads"), "heads must be a multiple of kv_heads");
    }

    const YAML::Node files = r.node("files");
    if (!files.IsSequence()) {
        r.fail(files, "'files' must be a list of published GGUF files");
    }
    for (const auto& f : files) {
        m.files.push_back(parse_file_entry(f, source));
    }
    return m;
}

Catalog Catalog::from_models(std::vector<CatalogModel> models, std::vector<RoleAlias> roles) {
    Catalog c;
    std::set<std::string> names;
    std::map<std::string, std::string> file_owner; // lower-case file name -> model
    for (const auto& m : models) {
        if (!names.insert(m.name).second) {
            throw Error(ErrorKind::data, m.source_path,
                        fmt::format("model '{}' is defined twice", m.name));
        }
        // Publishers reuse names ("Qwen2.5-7B-Instruct-Q4_K_M.gguf" from two of them), but a
        // file name must designate one model.
        for (const auto& f : m.files) {
            const auto [it, added] = file_owner.emplace(to_lower(f.file), m.name);
            if (!added && it->second != m.name) {
                throw Error(
                    ErrorKind::data, m.source_path,
                    fmt::format("file '{}' is also listed for model '{}'", f.file, it->second));
            }
        }
    }
    c.m_models = std::move(models);
    for (const auto& r : roles) {
        if (c.find(r.model) == nullptr) {
            throw Error(
                ErrorKind::data, "roles",
                fmt::format("role {} '{}' names unknown model '{}'", r.role, r.alias, r.model));
        }
    }
    c.m_roles = std::move(roles);
    return c;
}

Catalog Catalog::load(const std::filesystem::path& models_dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(models_dir, ec)) {
        throw Error(ErrorKind::io, models_dir.string(), "model catalog folder not found",
                    "pass --data-dir DIR, the folder that holds models/ and profiles/");
    }
    std::vector<CatalogModel> models;
    for (const auto& p : files_in(models_dir, ".yaml")) {
        if (p.filename() == "roles.yaml") {
            continue;
        }
        models.push_back(parse_catalog_model(read_text_file(p), p.string()));
    }

    std::vector<RoleAlias> roles;
    const std::filesystem::path roles_path = models_dir / "roles.yaml";
    if (std::filesystem::exists(roles_path, ec)) {
        const std::string source = roles_path.string();
        const YAML::Node root = yaml::parse(read_text_file(roles_path), source);
        const yaml::MapReader r(root, source);
        r.only_keys({"roles"});
        const YAML::Node by_role = r.node("roles");
        (void)yaml::MapReader(by_role, source); // must be a mapping of role -> aliases
        for (const auto& role : by_role) {
            const yaml::MapReader aliases(role.second, source);
            for (const auto& alias : role.second) {
                if (!alias.second.IsScalar()) {
                    aliases.fail(alias.second, "an alias maps to one catalog model name");
                }
                roles.push_back(
                    {role.first.Scalar(), to_lower(alias.first.Scalar()), alias.second.Scalar()});
            }
        }
    }
    return from_models(std::move(models), std::move(roles));
}

std::vector<std::string> Catalog::names() const {
    std::vector<std::string> out;
    out.reserve(m_models.size());
    for (const auto& m : m_models) {
        out.push_back(m.name);
    }
    return out;
}

const CatalogModel* Catalog::find(std::string_view name) const {
    const std::string q = to_lower(name);
    for (const auto& m : m_models) {
        if (m.name == q) {
            return &m;
        }
    }
    return nullptr;
}

std::optional<ModelMatch> Catalog::match_file_name(std::string_view file_name) const {
    const std::string base = std::filesystem::path(file_name).filename().string();
    const std::string lower = to_lower(base);
    for (const auto& m : m_models) {
        for (const auto& f : m.files) {
            if (to_lower(f.file) == lower) {
                return ModelMatch{&m, f.quant, &f};
            }
        }
    }
    std::string_view stem = base;
    if (lower.size() > 5 && lower.substr(lower.size() - 5) == ".gguf") {
        stem = stem.substr(0, stem.size() - 5);
    }
    const auto split = split_quant(stem);
    if (!split) {
        return std::nullopt;
    }
    for (const auto& m : m_models) {
        // Publishers prefix names differently ("Meta-Llama-3.1-8B-Instruct"): accept a prefix.
        const std::string& n = split->first;
        if (m.name == n || (n.size() > m.name.size() && n.ends_with("-" + m.name))) {
            const PublishedFile* file = nullptr;
            for (const auto& f : m.files) {
                if (f.quant == split->second && file == nullptr) {
                    file = &f;
                }
            }
            return ModelMatch{&m, split->second, file};
        }
    }
    return std::nullopt;
}

ModelMatch Catalog::resolve(std::string_view query, std::string_view role) const {
    const std::string q = to_lower(query);
    if (!role.empty()) {
        for (const auto& r : m_roles) {
            if (r.role == role && r.alias == q) {
                return ModelMatch{find(r.model), std::nullopt, nullptr};
            }
        }
    }
    if (const CatalogModel* m = find(q)) {
        return ModelMatch{m, std::nullopt, nullptr};
    }
    if (auto fm = match_file_name(query)) {
        return *fm;
    }
    std::vector<std::string> candidates = names();
    for (const auto& r : m_roles) {
        if (role.empty() || r.role == role) {
            candidates.push_back(r.alias);
        }
    }
    throw Error(ErrorKind::data, {},
                fmt::format("unknown model '{}'{}", query,
                            role.empty() ? "" : fmt::format(" for role {}", role)),
                suggestion_hint(query, candidates) + "; 'vramplan models' lists the catalog");
}

ModelMatch Catalog::resolve_argument(std::string_view argument) const {
    const auto colon = argument.find(':');
    if (colon == std::string_view::npos) {
        return resolve(argument);
    }
    return resolve(argument.substr(colon + 1), argument.substr(0, colon));
}

} // namespace vramplan
