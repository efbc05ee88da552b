#include "../base/yaml_util.hpp"

#include <vramplan/base/error.hpp>
#include <vramplan/base/service_name.hpp>
#include <vramplan/base/strings.hpp>
#include <vramplan/base/text_file.hpp>
#include <vramplan/plan/deployment.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace vramplan {

namespace {

// profiles/<kind>/<name>.yaml parsed by `parse`; a missing file is an unknown name.
template <typename Parse>
auto load_named(const std::filesystem::path& dir, std::string_view name, const char* what,
                Parse parse) {
    const std::filesystem::path p = dir / (std::string(name) + ".yaml");
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p, ec)) {
        throw Error(ErrorKind::data, {},
                    std::string("unknown ") + what + " '" + std::string(name) + "'",
                    "the profiles live in " + dir.string());
    }
    return parse(read_text_file(p), p.string());
}

// `prompt_tokens` and `generated_tokens` of a settings or service map, over `base`.
Workload read_workload(const yaml::MapReader& r, Workload base) {
    base.prompt_tokens = static_cast<std::uint32_t>(
        r.optional_uint("prompt_tokens", 0, 1U << 24).value_or(base.prompt_tokens));
    base.generated_tokens = static_cast<std::uint32_t>(
        r.optional_uint("generated_tokens", 1, 1U << 24).value_or(base.generated_tokens));
    return base;
}

} // namespace

Deployment parse_deployment(std::string_view yaml_text, const std::string& source) {
    const YAML::Node root = yaml::parse(yaml_text, source);
    const yaml::MapReader r(root, source);
    r.only_keys(
        {"name", "image", "models_dir", "compose_file", "settings", "container", "services"});
    Deployment d;
    d.source_path = source;
    d.name = r.string("name");
    d.image = r.string("image");
    d.models_dir = r.optional_string("models_dir").value_or("/models");
    d.compose_file = r.optional_string("compose_file").value_or("compose.yml");
    // solve --out-dir writes it inside the folder it is given: a plain file name, nothing else.
    if (!is_service_name(d.compose_file)) { // so no '/' and no leading dot
        r.fail(r.node("compose_file"),
               fmt::format("'compose_file' must be a file name such as compose.yml, found {}",
                           quote_value(d.compose_file)));
    }
    const yaml::MapReader s(r.node("settings"), source);
    s.only_keys({"ctx", "batch", "threads", "parallel", "cont_batching", "prompt_tokens",
                 "generated_tokens"});
    d.ctx = static_cast<std::uint32_t>(s.optional_uint("ctx", 0, 1U << 24).value_or(0));
    d.batch = static_cast<std::uint32_t>(s.optional_uint("batch", 1, 1U << 20).value_or(2048));
    d.threads = static_cast<std::uint32_t>(s.optional_uint("threads", 1, 4096).value_or(0));
    d.parallel = s.has("parallel") ? static_cast<int>(s.uint("parallel", 1, 4096)) : -1;
    d.cont_batching = s.boolean("cont_batching", true);
    d.workload = read_workload(s, Workload{});
    if (r.has("container")) {
        const yaml::MapReader c(r.node("container"), source);
        c.only_keys({"cpus", "memory_mib"});
        d.container_cpus = static_cast<std::uint32_t>(c.optional_uint("cpus", 1, 4096).value_or(0));
        d.container_memory_mib = c.optional_uint("memory_mib", 1, 1U << 24).value_or(0);
    }
    const YAML::Node services = r.node("services");
    (void)yaml::MapReader(services, source);
    for (const auto& kv : services) {
        const yaml::MapReader sr(kv.second, source);
        sr.only_keys({"name", "port", "priority", "prompt_tokens", "generated_tokens"});
        RoleDefaults rd;
        rd.service = sr.string("name");
        for (const auto& [value, node] :
             {std::pair{rd.service, sr.node("name")}, std::pair{kv.first.Scalar(), kv.first}}) {
            check_service_name(value, ErrorKind::data, yaml::where(source, node));
        }
        rd.port = static_cast<std::uint16_t>(sr.uint("port", 1, 65535));
        rd.priority = static_cast<int>(sr.optional_uint("priority", 0, 1000).value_or(1));
        if (sr.has("prompt_tokens") || sr.has("generated_tokens")) {
            rd.workload = read_workload(sr, d.workload);
        }
        d.roles[kv.first.Scalar()] = rd;
    }
    return d;
}

Deployment load_deployment(const std::filesystem::path& data_dir, std::string_view name) {
    return load_named(data_dir / "profiles" / "deployments", name, "deployment", parse_deployment);
}

HostProfile parse_host_profile(std::string_view yaml_text, const std::string& source) {
    const YAML::Node root = yaml::parse(yaml_text, source);
    const yaml::MapReader r(root, source);
    r.only_keys({"name", "display_name", "bandwidth_gb_s", "bandwidth_source", "cores",
                 "core_gflops", "compute_source"});
    HostProfile h;
    h.name = r.string("name");
    h.bandwidth_gb_s = r.number("bandwidth_gb_s", 0.1, 1e5);
    h.bandwidth_source = r.string("bandwidth_source");
    h.cores = static_cast<std::uint32_t>(r.uint("cores", 1, 4096));
    h.core_gflops = r.number("core_gflops", 0.1, 1e5);
    h.compute_source = r.string("compute_source");
    return h;
}

double HostProfile::gflops(std::uint32_t threads) const {
    const std::uint32_t used = threads == 0 ? cores : std::min(threads, cores);
    return core_gflops * used;
}

HostProfile load_host_profile(const std::filesystem::path& data_dir, std::string_view name) {
    return load_named(data_dir / "profiles" / "hosts", name, "host profile", parse_host_profile);
}

std::uint64_t recommended_container_memory_mib(std::uint64_t host_bytes, std::uint64_t floor_mib) {
    // What stays in host RAM (mapped weights, host compute and output buffers, CPU-side KV)
    // counts against the container's limit (page cache is charged to the cgroup): a quarter
    // more, rounded up to 256 MiB, and never below the deployment's own limit.
    const std::uint64_t need =
        (host_bytes + host_bytes / 4 + (256ULL << 20) - 1) / (256ULL << 20) * 256;
    return std::max(need, floor_mib);
}

} // namespace vramplan
