#include <vramplan/base/json_output.hpp>
#include <vramplan/base/strings.hpp>
#include <vramplan/base/text_table.hpp>
#include <vramplan/base/units.hpp>
#include <vramplan/model/synth.hpp>
#include <vramplan/report/report.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace vramplan {

namespace {

using json = nlohmann::ordered_json;
using Col = TextTable::Column;
constexpr auto k_right = TextTable::Align::right;

std::string layer_label(int layer, std::uint32_t n_layer) {
    if (layer == k_layer_input) {
        return "input";
    }
    if (layer == k_layer_shared) {
        return "shared";
    }
    if (layer == static_cast<int>(n_layer)) {
        return "output";
    }
    return std::to_string(layer);
}

// "28" when every layer has the same value, else "min..max".
std::string per_layer_summary(const std::vector<std::uint32_t>& v) {
    if (v.empty()) {
        return "-";
    }
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    return *lo == *hi ? std::to_string(*lo) : fmt::format("{}..{}", *lo, *hi);
}

json per_layer_json(const std::vector<std::uint32_t>& v) {
    if (!v.empty() && std::all_of(v.begin(), v.end(), [&](auto x) { return x == v[0]; })) {
        return v[0];
    }
    return v;
}

std::string file_type_label(const ModelSpec& m) {
    return m.file_type ? std::string(file_type_name(*m.file_type)) : std::string("unknown");
}

std::uint64_t count_swa(const ModelSpec& m) {
    return static_cast<std::uint64_t>(std::count(m.swa_layers.begin(), m.swa_layers.end(), true));
}

// Synthesized tensor bytes of a catalog model's file, for the size column and the check
// against the published size (the difference is the GGUF header).
std::uint64_t synthesized_data_bytes(const CatalogModel& m, const PublishedFile& f) {
    return synthesize_model(m, f.quant, RecipeOptions{f.imatrix, false}).files.front().file_size;
}

std::vector<std::string> roles_of(const Catalog& c, const CatalogModel& m) {
    std::vector<std::string> out;
    for (const auto& r : c.roles()) {
        if (r.model == m.name) {
            out.push_back(r.role + " " + r.alias);
        }
    }
    return out;
}

} // namespace

std::uint64_t parameter_count(const ModelSpec& m) {
    std::uint64_t n = 0;
    for (const auto& t : m.tensors) {
        n += t.ne[0] * t.ne[1] * t.ne[2] * t.ne[3];
    }
    return n;
}

std::string render_model_text(const ModelSpec& m) {
    std::string out;
    const std::uint64_t total = m.tensor_bytes();
    out += fmt::format("model         {}\n", m.name.empty() ? "(unnamed)" : m.name);
    out += fmt::format("architecture  {}\n", m.architecture);
    out += fmt::format("file type     {}\n", file_type_label(m));
    out += fmt::format("parameters    {} ({:.2f} B)\n", format_bytes(parameter_count(m)),
                       static_cast<double>(parameter_count(m)) / 1e9);
    out += fmt::format("layers        {} blocks + output layer = {} for -ngl\n", m.n_layer,
                       m.n_layer + 1);
    out += fmt::format("embedding     {}\n", m.n_embd);
    out += fmt::format("heads         {} (kv {}, head size k {} / v {})\n",
                       per_layer_summary(m.n_head), per_layer_summary(m.n_head_kv), m.n_embd_head_k,
                       m.n_embd_head_v);
    out += fmt::format("ffn           {}\n", per_layer_summary(m.n_ff));
    out += fmt::format("vocabulary    {}\n", m.n_vocab);
    out += fmt::format("context       {} (training)\n", m.n_ctx_train);
    out += m.n_swa == 0 ? std::string("sliding win.  none\n")
                        : fmt::format("sliding win.  {} on {} of {} layers\n", m.n_swa,
                                      count_swa(m), m.n_layer);
    out +=
        fmt::format("tied output   {}\n", m.tied_output ? "yes (output reuses token_embd)" : "no");
    if (m.n_expert > 0) {
        out += fmt::format("experts       {} ({} used per token)\n", m.n_expert, m.n_expert_used);
    }
    for (std::size_t i = 0; i < m.files.size(); ++i) {
        const ModelFile& f = m.files[i];
        out += fmt::format("file{}         {} bytes, header {} bytes, alignment {}{}\n",
                           m.files.size() > 1 ? std::to_string(i + 1) : std::string(" "),
                           format_bytes(f.file_size), format_bytes(f.data_offset), f.alignment,
                           f.path.empty() ? "" : "  " + f.path);
    }

    out += "\nquantization mix\n";
    TextTable mix(
        {{"type"}, {"tensors", k_right}, {"bytes", k_right}, {"MiB", k_right}, {"share", k_right}});
    std::uint32_t n_tensors = 0;
    for (const auto& tc : type_mix(m)) {
        n_tensors += tc.tensors;
        mix.add_row({std::string(type_name(tc.type)), std::to_string(tc.tensors),
                     format_bytes(tc.bytes), format_mib(tc.bytes),
                     fmt::format("{:.1f}%", total == 0 ? 0.0
                                                       : 100.0 * static_cast<double>(tc.bytes) /
                                                             static_cast<double>(total))});
    }
    mix.add_row(
        {"total", std::to_string(n_tensors), format_bytes(total), format_mib(total), "100.0%"});
    out += mix.render();

    out += fmt::format("\nbytes per layer (-ngl N puts the output layer and the last N-1 blocks on "
                       "the GPU)\n");
    TextTable layers({{"layer"}, {"tensors", k_right}, {"bytes", k_right}, {"MiB", k_right}});
    for (const auto& lb : bytes_by_layer(m)) {
        layers.add_row({layer_label(lb.layer, m.n_layer), std::to_string(lb.tensors),
                        format_bytes(lb.bytes), format_mib(lb.bytes)});
    }
    out += layers.render();
    if (m.tied_output) {
        for (const auto& t : m.tensors) {
            if (t.name == "token_embd.weight") {
                out += fmt::format("the output layer reuses token_embd: offloading it adds a GPU "
                                   "copy of token_embd ({} MiB)\n",
                                   format_mib(t.bytes));
            }
        }
    }
    return out;
}

std::string render_model_json(const ModelSpec& m) {
    json j;
    j["name"] = m.name;
    j["architecture"] = m.architecture;
    j["file_type"] = m.file_type ? json(std::string(file_type_name(*m.file_type))) : json();
    j["parameters"] = parameter_count(m);
    j["n_layer"] = m.n_layer;
    j["layers_total"] = m.n_layer + 1;
    j["n_embd"] = m.n_embd;
    j["n_head"] = per_layer_json(m.n_head);
    j["n_head_kv"] = per_layer_json(m.n_head_kv);
    j["n_embd_head_k"] = m.n_embd_head_k;
    j["n_embd_head_v"] = m.n_embd_head_v;
    j["n_ff"] = per_layer_json(m.n_ff);
    j["n_vocab"] = m.n_vocab;
    j["n_ctx_train"] = m.n_ctx_train;
    j["n_swa"] = m.n_swa;
    j["swa_layers"] = count_swa(m);
    j["tied_output"] = m.tied_output;
    j["n_expert"] = m.n_expert;
    j["tensor_bytes"] = m.tensor_bytes();
    json files = json::array();
    for (const auto& f : m.files) {
        files.push_back({{"path", f.path},
                         {"file_bytes", f.file_size},
                         {"header_bytes", f.data_offset},
                         {"alignment", f.alignment}});
    }
    j["files"] = files;
    json mix = json::array();
    for (const auto& tc : type_mix(m)) {
        mix.push_back({{"type", std::string(type_name(tc.type))},
                       {"tensors", tc.tensors},
                       {"bytes", tc.bytes}});
    }
    j["types"] = mix;
    json layers = json::array();
    for (const auto& lb : bytes_by_layer(m)) {
        layers.push_back({{"layer", layer_label(lb.layer, m.n_layer)},
                          {"tensors", lb.tensors},
                          {"bytes", lb.bytes}});
    }
    j["layers"] = layers;
    json tensors = json::array();
    for (const auto& t : m.tensors) {
        json ne = json::array();
        for (std::uint32_t d = 0; d < t.n_dims; ++d) {
            ne.push_back(t.ne[d]);
        }
        tensors.push_back({{"name", t.name},
                           {"layer", layer_label(t.layer, m.n_layer)},
                           {"type", std::string(type_name(t.type))},
                           {"ne", ne},
                           {"bytes", t.bytes},
                           {"file", t.file_index},
                           {"offset", t.offset}});
    }
    j["tensors"] = tensors;
    return json_output(j);
}

std::string render_catalog_text(const Catalog& c) {
    TextTable t({{"name"},
                 {"arch"},
                 {"params", k_right},
                 {"layers", k_right},
                 {"context", k_right},
                 {"Q4_K_M MiB", k_right},
                 {"files", k_right},
                 {"roles"}});
    for (const auto& m : c.models()) {
        const ModelSpec q4 = synthesize_model(m, FileType::q4_k_m);
        t.add_row({m.name, m.arch.arch,
                   fmt::format("{:.2f} B", static_cast<double>(parameter_count(q4)) / 1e9),
                   std::to_string(m.arch.n_layer), std::to_string(m.arch.n_ctx_train),
                   format_mib(q4.tensor_bytes()), std::to_string(m.files.size()),
                   join(roles_of(c, m), ", ")});
    }
    return t.render() +
           fmt::format("\n{} models. 'vramplan models show NAME' lists a model's published "
                       "files; role aliases work as --chat 3b or --code 7b.\n",
                       c.models().size());
}

std::string render_catalog_json(const Catalog& c) {
    json models = json::array();
    for (const auto& m : c.models()) {
        models.push_back(json::parse(render_catalog_model_json(c, m)));
    }
    json roles = json::array();
    for (const auto& r : c.roles()) {
        roles.push_back({{"role", r.role}, {"alias", r.alias}, {"model", r.model}});
    }
    return json_output(json{{"models", models}, {"roles", roles}});
}

std::string render_catalog_model_text(const Catalog& c, const CatalogModel& m) {
    const ArchitectureParams& a = m.arch;
    std::string out;
    out += fmt::format("model         {} ({})\n", m.name, m.display_name);
    if (!m.hf_repo.empty()) {
        out += fmt::format("weights       {}\n", m.hf_repo);
    }
    out += fmt::format("architecture  {}\n", a.arch);
    out += fmt::format("layers        {} blocks + output layer = {} for -ngl\n", a.n_layer,
                       a.n_layer + 1);
    out += fmt::format("embedding     {}\n", a.n_embd);
    out += fmt::format("heads         {} (kv {}, head size {})\n", a.n_head, a.n_head_kv,
                       a.head_dim_or_default());
    out += fmt::format("ffn           {}\n", a.n_ff);
    out += fmt::format("vocabulary    {}\n", a.n_vocab);
    out += fmt::format("context       {} (training)\n", a.n_ctx_train);
    out +=
        fmt::format("sliding win.  {}\n",
                    a.sliding_window == 0 ? std::string("none") : std::to_string(a.sliding_window));
    out += fmt::format("tied output   {}\n", a.tied_output ? "yes" : "no");
    const auto roles = roles_of(c, m);
    out += fmt::format("roles         {}\n", roles.empty() ? "-" : join(roles, ", "));
    out += fmt::format("catalog file  {}\n", m.source_path);

    out +=
        "\npublished files (tensor bytes synthesized from the recipe; header = size - tensors)\n";
    TextTable t({{"file"},
                 {"quant"},
                 {"size bytes", k_right},
                 {"tensor bytes", k_right},
                 {"header", k_right},
                 {"publisher"}});
    for (const auto& f : m.files) {
        const std::uint64_t data = synthesized_data_bytes(m, f);
        const std::string header =
            f.size_bytes ? (*f.size_bytes >= data ? format_bytes(*f.size_bytes - data)
                                                  : "-" + format_bytes(data - *f.size_bytes))
                         : "?";
        t.add_row({f.file, std::string(file_type_name(f.quant)),
                   f.size_bytes ? format_bytes(*f.size_bytes) : "unpublished", format_bytes(data),
                   header, f.publisher});
    }
    return out + t.render();
}

std::string render_catalog_model_json(const Catalog& c, const CatalogModel& m) {
    const ArchitectureParams& a = m.arch;
    json files = json::array();
    for (const auto& f : m.files) {
        files.push_back({{"file", f.file},
                         {"quant", std::string(file_type_name(f.quant))},
                         {"size_bytes", f.size_bytes ? json(*f.size_bytes) : json()},
                         {"tensor_bytes", synthesized_data_bytes(m, f)},
                         {"publisher", f.publisher},
                         {"repo", f.repo},
                         {"imatrix", f.imatrix},
                         {"source", f.source}});
    }
    json j{{"name", m.name},
           {"display_name", m.display_name},
           {"hf_repo", m.hf_repo},
           {"architecture", a.arch},
           {"n_layer", a.n_layer},
           {"layers_total", a.n_layer + 1},
           {"n_embd", a.n_embd},
           {"n_head", a.n_head},
           {"n_head_kv", a.n_head_kv},
           {"head_dim", a.head_dim_or_default()},
           {"n_ff", a.n_ff},
           {"n_vocab", a.n_vocab},
           {"n_ctx_train", a.n_ctx_train},
           {"sliding_window", a.sliding_window},
           {"tied_output", a.tied_output},
           {"roles", roles_of(c, m)},
           {"files", files}};
    return json_output(j);
}

std::string render_gpus_text(const GpuProfiles& g) {
    TextTable t({{"name"},
                 {"aliases"},
                 {"memory MiB", k_right},
                 {"usable MiB", k_right},
                 {"GB/s", k_right},
                 {"SMs", k_right},
                 {"context MiB", k_right},
                 {"gpu"}});
    for (const auto& p : g.all()) {
        t.add_row(
            {p.name, join(p.aliases, ", "), std::to_string(p.memory_total_mib),
             std::to_string(p.memory_total_mib - p.reserved_mib),
             fmt::format("{:.0f}", p.bandwidth_gb_s), std::to_string(p.sm_count),
             fmt::format("{}{}", p.runtime_overhead_mib, p.runtime_overhead_measured ? "" : "*"),
             p.display_name});
    }
    return t.render() +
           "\nmemory: as nvidia-smi reports it. context: CUDA context per llama-server process;\n"
           "* = estimated from the SM count (docs/gpu-profiles.md), otherwise measured.\n";
}

namespace {

json gpu_json(const GpuProfile& p) {
    return json{{"name", p.name},
                {"aliases", p.aliases},
                {"display_name", p.display_name},
                {"architecture", p.architecture},
                {"compute_capability", p.compute_capability},
                {"sm_count", p.sm_count},
                {"memory_total_bytes", p.total_bytes()},
                {"memory_total_mib", p.memory_total_mib},
                {"memory_total_source", p.memory_total_source},
                {"reserved_bytes", p.reserved_mib << 20},
                {"usable_bytes", p.usable_bytes()},
                {"bandwidth_gb_s", p.bandwidth_gb_s},
                {"bandwidth_source", p.bandwidth_source},
                {"boost_clock_mhz", p.boost_clock_mhz},
                {"fp16_tensor_tflops", p.fp16_tensor_tflops},
                {"pcie_generation", p.pcie_generation},
                {"pcie_lanes", p.pcie_lanes},
                {"pcie_gb_s", p.pcie_bandwidth_gb_s()},
                {"compute_source", p.compute_source},
                {"runtime_overhead_bytes", p.runtime_overhead_bytes()},
                {"runtime_overhead_measured", p.runtime_overhead_measured},
                {"runtime_overhead_source", p.runtime_overhead_source},
                {"profile_file", p.source_path},
                {"override_file", p.override_path}};
}

} // namespace

std::string render_gpus_json(const GpuProfiles& g) {
    json arr = json::array();
    for (const auto& p : g.all()) {
        arr.push_back(gpu_json(p));
    }
    return json_output(json{{"gpus", arr}});
}

std::string render_gpu_json(const GpuProfile& p) {
    return json_output(gpu_json(p));
}

std::string render_gpu_text(const GpuProfile& p) {
    std::string out;
    out += fmt::format("gpu           {} ({})\n", p.name, p.display_name);
    out += fmt::format("aliases       {}\n", p.aliases.empty() ? "-" : join(p.aliases, ", "));
    out += fmt::format("architecture  {} (compute capability {}, {} SMs)\n", p.architecture,
                       p.compute_capability, p.sm_count);
    out += fmt::format("memory        {} MiB   source: {}\n", p.memory_total_mib,
                       p.memory_total_source);
    out += fmt::format("reserved      {} MiB   usable {} MiB\n", p.reserved_mib,
                       p.memory_total_mib - p.reserved_mib);
    out += fmt::format("bandwidth     {:.0f} GB/s   source: {}\n", p.bandwidth_gb_s,
                       p.bandwidth_source);
    if (p.fp16_tensor_tflops > 0) {
        out += fmt::format("compute       {:.1f} TFLOPS FP16 tensor peak   source: {}\n",
                           p.fp16_tensor_tflops, p.compute_source);
    } else {
        out += "compute       not given (prompt speed is not estimated)\n";
    }
    if (p.pcie_generation > 0) {
        out += fmt::format("host link     PCIe Gen{} x{}, {:.2f} GB/s each way\n",
                           p.pcie_generation, p.pcie_lanes, p.pcie_bandwidth_gb_s());
    }
    out += fmt::format(
        "CUDA context  {} MiB per process ({})   source: {}\n", p.runtime_overhead_mib,
        p.runtime_overhead_measured ? "measured" : "estimated", p.runtime_overhead_source);
    out += fmt::format("profile file  {}\n", p.source_path);
    if (!p.override_path.empty()) {
        out += fmt::format("override      {} (this machine's measurements)\n", p.override_path);
    }
    return out;
}

} // namespace vramplan
