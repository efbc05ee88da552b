#include "../base/yaml_util.hpp"

#include <vramplan/base/error.hpp>
#include <vramplan/base/service_name.hpp>
#include <vramplan/base/suggest.hpp>
#include <vramplan/base/text_file.hpp>
#include <vramplan/model/gpu_profile.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

namespace vramplan {

std::uint64_t estimate_context_mib(std::uint32_t sm_count) {
    const double slope = (k_context_ref_large_mib - k_context_ref_small_mib) /
                         (k_context_ref_large_sms - k_context_ref_small_sms);
    const double mib = k_context_ref_small_mib + slope * (sm_count - k_context_ref_small_sms);
    return static_cast<std::uint64_t>(std::ceil(std::max(mib, 0.0)));
}

std::uint32_t tensor_flops_per_sm_clock(std::string_view cc) {
    // Tensor cores per SM x FP16 FMAs per core per clock x 2 (dense, FP16 accumulate): Volta and
    // Turing 8 x 64, GA100 4 x 256, GA10x and Ada 4 x 128, Hopper 4 x 512, consumer Blackwell
    // 4 x 128 (whitepapers; e.g. RTX 4090: 128 SMs x 2520 MHz x 1024 = 330.3 TFLOPS).
    struct Rate {
        std::string_view cc;
        std::uint32_t flops;
    };
    static constexpr std::array<Rate, 7> k_rates{{{"7.0", 1024},
                                                  {"7.5", 1024},
                                                  {"8.0", 2048},
                                                  {"8.6", 1024},
                                                  {"8.9", 1024},
                                                  {"9.0", 4096},
                                                  {"12.0", 1024}}};
    for (const auto& r : k_rates) {
        if (r.cc == cc) {
            return r.flops;
        }
    }
    return 0;
}

double pcie_gb_s(std::uint32_t generation, std::uint32_t lanes) {
    if (generation < 3 || generation > 6) {
        return 0;
    }
    const double gt_s = 8.0 * static_cast<double>(1U << (generation - 3)); // 8, 16, 32, 64
    return gt_s * 128.0 / 130.0 / 8.0 * lanes;
}

GpuProfile parse_gpu_profile(std::string_view yaml_text, const std::string& source) {
    const YAML::Node root = yaml::parse(yaml_text, source);
    const yaml::MapReader r(root, source);
    r.only_keys({"name", "aliases", "display_name", "architecture", "compute_capability",
                 "sm_count", "memory_total_mib", "memory_total_source", "reserved_mib",
                 "bandwidth_gb_s", "bandwidth_source", "boost_clock_mhz", "fp16_tensor_tflops",
                 "compute_source", "pcie_generation", "pcie_lanes", "runtime_overhead_mib",
                 "runtime_overhead_source"});
    GpuProfile g;
    g.source_path = source;
    g.name = r.string("name");
    // The name becomes a file name (calibrate --save writes gpus/NAME.yaml): no '/' or "..".
    if (g.name.empty() || g.name != to_lower(g.name) || !is_service_name(g.name)) {
        r.fail(r.node("name"), "'name' must be a lower-case short name such as rtx4090");
    }
    if (r.has("aliases")) {
        const YAML::Node a = r.node("aliases");
        if (!a.IsSequence()) {
            r.fail(a, "'aliases' must be a list of names");
        }
        for (const auto& n : a) {
            g.aliases.push_back(to_lower(n.Scalar()));
        }
    }
    g.display_name = r.string("display_name");
    g.architecture = r.optional_string("architecture").value_or("");
    g.compute_capability = r.optional_string("compute_capability").value_or("");
    g.sm_count = static_cast<std::uint32_t>(r.uint("sm_count", 1, 4096));
    g.memory_total_mib = r.uint("memory_total_mib", 256, 1U << 24);
    g.memory_total_source = r.string("memory_total_source");
    g.reserved_mib = r.optional_uint("reserved_mib", 0, g.memory_total_mib - 1).value_or(0);
    g.bandwidth_gb_s = r.number("bandwidth_gb_s", 1.0, 1e6);
    g.bandwidth_source = r.string("bandwidth_source");
    // Compute figures are optional: without them prompt processing is not estimated.
    g.boost_clock_mhz = r.optional_number("boost_clock_mhz", 100, 1e4).value_or(0);
    if (const auto given = r.optional_number("fp16_tensor_tflops", 0.1, 1e5)) {
        g.fp16_tensor_tflops = *given;
    } else if (g.boost_clock_mhz > 0) {
        const std::uint32_t per_clock = tensor_flops_per_sm_clock(g.compute_capability);
        if (per_clock == 0) {
            r.fail(r.node("boost_clock_mhz"),
                   fmt::format("no tensor-core rate is known for compute capability '{}': give "
                               "fp16_tensor_tflops instead",
                               g.compute_capability));
        }
        g.fp16_tensor_tflops = g.sm_count * g.boost_clock_mhz * 1e6 * per_clock / 1e12;
    }
    if (g.fp16_tensor_tflops > 0) {
        g.compute_source = r.string("compute_source");
    }
    g.pcie_generation =
        static_cast<std::uint32_t>(r.optional_uint("pcie_generation", 3, 6).value_or(0));
    if (g.pcie_generation != 0) {
        g.pcie_lanes = static_cast<std::uint32_t>(r.uint("pcie_lanes", 1, 16));
    }
    if (const auto measured = r.optional_uint("runtime_overhead_mib", 0, g.memory_total_mib)) {
        g.runtime_overhead_mib = *measured;
        g.runtime_overhead_measured = true;
        g.runtime_overhead_source = r.string("runtime_overhead_source");
    } else {
        g.runtime_overhead_mib = estimate_context_mib(g.sm_count);
        g.runtime_overhead_source =
            fmt::format("estimated from {} SMs by interpolating two published measurements "
                        "({} MiB at {} SMs, {} MiB at {} SMs; llama.cpp PR #23604)",
                        g.sm_count, k_context_ref_small_mib, k_context_ref_small_sms,
                        k_context_ref_large_mib, k_context_ref_large_sms);
    }
    return g;
}

void apply_gpu_override(GpuProfile& g, std::string_view yaml_text, const std::string& source) {
    const YAML::Node root = yaml::parse(yaml_text, source);
    const yaml::MapReader r(root, source);
    r.only_keys({"name", "runtime_overhead_mib", "runtime_overhead_source", "memory_total_mib",
                 "memory_total_source", "reserved_mib"});
    if (const auto total = r.optional_uint("memory_total_mib", 256, 1U << 24)) {
        g.memory_total_mib = *total;
        g.memory_total_source = r.string("memory_total_source");
    }
    if (const auto reserved = r.optional_uint("reserved_mib", 0, g.memory_total_mib - 1)) {
        g.reserved_mib = *reserved;
    }
    if (const auto overhead = r.optional_uint("runtime_overhead_mib", 0, g.memory_total_mib)) {
        g.runtime_overhead_mib = *overhead;
        g.runtime_overhead_measured = true;
        g.runtime_overhead_source = r.string("runtime_overhead_source");
    }
    g.override_path = source;
}

std::string gpu_override_yaml(const std::string& name, std::uint64_t runtime_overhead_mib,
                              const std::string& source) {
    YAML::Emitter out;
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << name << YAML::Key
        << "runtime_overhead_mib" << YAML::Value << runtime_overhead_mib << YAML::Key
        << "runtime_overhead_source" << YAML::Value << YAML::DoubleQuoted << source << YAML::EndMap;
    return std::string("# Written by vramplan calibrate --save: this machine's measured figures, "
                       "applied over the\n# shipped profile of the same name (docs/verify.md).\n") +
           out.c_str() + "\n";
}

void GpuProfiles::apply_overrides(const std::filesystem::path& dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
        return;
    }
    for (const auto& p : files_in(dir, ".yaml")) {
        const std::string text = read_text_file(p);
        const YAML::Node root = yaml::parse(text, p.string());
        const std::string name = yaml::MapReader(root, p.string()).string("name");
        auto it = std::find_if(m_profiles.begin(), m_profiles.end(),
                               [&](const GpuProfile& g) { return g.name == name; });
        if (it == m_profiles.end()) {
            throw Error(ErrorKind::data, p.string(),
                        fmt::format("overrides GPU '{}', which has no profile", name),
                        "name a profile 'vramplan gpus' lists, or remove the file");
        }
        apply_gpu_override(*it, text, p.string());
    }
}

GpuProfiles GpuProfiles::from_profiles(std::vector<GpuProfile> profiles) {
    std::set<std::string> seen;
    for (const auto& p : profiles) {
        std::vector<std::string> keys = p.aliases;
        keys.push_back(p.name);
        for (const auto& k : keys) {
            if (!seen.insert(k).second) {
                throw Error(ErrorKind::data, p.source_path,
                            fmt::format("GPU name or alias '{}' is used twice", k));
            }
        }
    }
    GpuProfiles out;
    out.m_profiles = std::move(profiles);
    return out;
}

GpuProfiles GpuProfiles::load(const std::filesystem::path& gpus_dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(gpus_dir, ec)) {
        throw Error(ErrorKind::io, gpus_dir.string(), "GPU profile folder not found",
                    "pass --data-dir DIR, the folder that holds models/ and profiles/");
    }
    std::vector<GpuProfile> profiles;
    for (const auto& p : files_in(gpus_dir, ".yaml")) {
        profiles.push_back(parse_gpu_profile(read_text_file(p), p.string()));
    }
    return from_profiles(std::move(profiles));
}

const GpuProfile* GpuProfiles::find(std::string_view name_or_alias) const {
    const std::string q = to_lower(name_or_alias);
    for (const auto& p : m_profiles) {
        if (p.name == q || std::find(p.aliases.begin(), p.aliases.end(), q) != p.aliases.end()) {
            return &p;
        }
    }
    return nullptr;
}

const GpuProfile* GpuProfiles::find_display_name(std::string_view display_name,
                                                 std::uint64_t total_bytes) const {
    const auto distance = [total_bytes](const GpuProfile& p) {
        return p.total_bytes() > total_bytes ? p.total_bytes() - total_bytes
                                             : total_bytes - p.total_bytes();
    };
    const std::string wanted = to_lower(display_name);
    const GpuProfile* best = nullptr;
    for (const auto& p : m_profiles) {
        if (to_lower(p.display_name) == wanted &&
            (best == nullptr || distance(p) < distance(*best))) {
            best = &p;
        }
    }
    return best;
}

const GpuProfile& GpuProfiles::resolve(std::string_view name_or_alias) const {
    if (const GpuProfile* p = find(name_or_alias)) {
        return *p;
    }
    std::vector<std::string> names;
    for (const auto& p : m_profiles) {
        names.push_back(p.name);
        names.insert(names.end(), p.aliases.begin(), p.aliases.end());
    }
    throw Error(ErrorKind::data, {}, fmt::format("unknown GPU '{}'", name_or_alias),
                suggestion_hint(name_or_alias, names) + "; 'vramplan gpus' lists the profiles");
}

} // namespace vramplan
