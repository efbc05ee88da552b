#include "yaml_util.hpp"

#include <vramplan/error.hpp>
#include <vramplan/services.hpp>

#include <fmt/format.h>

#include <charconv>
#include <set>

namespace vramplan {

namespace {

ServiceRequest with_defaults(const Deployment& d) {
    ServiceRequest r;
    r.settings.n_ctx = d.ctx;
    r.settings.n_batch = d.batch;
    r.settings.n_parallel = d.parallel;
    r.threads = d.threads;
    r.cont_batching = d.cont_batching;
    return r;
}

void apply_role(ServiceRequest& r, const Deployment& d) {
    const auto it = d.roles.find(r.role);
    if (it != d.roles.end()) {
        r.name = r.name.empty() ? it->second.service : r.name;
        r.port = r.port == 0 ? it->second.port : r.port;
        r.priority = it->second.priority;
    }
}

// -ngl as a scenario gives it: a number, "all" or "auto".
int layers_value(const std::string& v, const std::string& where) {
    if (v == "all" || v == "auto") {
        return ServerSettings::k_layers_all;
    }
    int n = -1;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc{} || end != v.data() + v.size() || n < 0) {
        throw Error(ErrorKind::data, where,
                    fmt::format("ngl must be a number or all, found '{}'", v));
    }
    return n;
}

ServiceRequest yaml_service(const YAML::Node& node, const std::string& source,
                            const Catalog& catalog, const Deployment& d,
                            const std::optional<std::string>& quant, int* ngl) {
    const yaml::MapReader r(node, source);
    r.only_keys({"name", "role", "model", "quant", "ctx", "parallel", "batch", "priority",
                 "min_ngl", "port", "ngl"});
    ServiceRequest s = with_defaults(d);
    s.role = r.optional_string("role").value_or("");
    s.name = r.optional_string("name").value_or("");
    const std::optional<std::string> q =
        r.optional_string("quant") ? r.optional_string("quant") : quant;
    s.port = static_cast<std::uint16_t>(r.optional_uint("port", 1, 65535).value_or(0));
    apply_role(s, d);
    if (s.name.empty()) {
        r.fail(node, "a service needs a name or a role the deployment knows");
    }
    try {
        s.model = resolve_model(catalog, r.string("model"), s.role, q);
    } catch (const Error& e) {
        throw e.within(yaml::where(source, r.node("model")));
    }
    s.settings.n_ctx =
        static_cast<std::uint32_t>(r.optional_uint("ctx", 0, 1U << 24).value_or(s.settings.n_ctx));
    if (r.has("parallel")) {
        s.settings.n_parallel = static_cast<int>(r.uint("parallel", 1, 4096));
    }
    s.settings.n_batch = static_cast<std::uint32_t>(
        r.optional_uint("batch", 1, 1U << 20).value_or(s.settings.n_batch));
    if (r.has("priority")) {
        s.priority = static_cast<int>(r.uint("priority", 0, 1000));
    }
    s.min_gpu_layers = static_cast<std::uint32_t>(r.optional_uint("min_ngl", 0, 4096).value_or(0));
    if (ngl != nullptr) {
        *ngl = r.has("ngl") ? layers_value(r.string("ngl"), yaml::where(source, r.node("ngl")))
                            : ServerSettings::k_layers_all;
    }
    return s;
}

} // namespace

ServiceRequest role_service(const std::string& role, const std::string& model,
                            const Catalog& catalog, const Deployment& d,
                            const std::optional<std::string>& quant) {
    ServiceRequest r = with_defaults(d);
    r.role = role;
    r.model = resolve_model(catalog, model, role, quant);
    apply_role(r, d);
    if (r.name.empty()) {
        r.name = role;
    }
    return r;
}

ServiceRequest spec_service(const std::string& spec, const Catalog& catalog, const Deployment& d,
                            const std::optional<std::string>& quant, std::uint16_t default_port) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
        throw Error(ErrorKind::usage, "--service",
                    fmt::format("expected NAME=MODEL[,ctx=N,...], found '{}'", spec));
    }
    ServiceRequest r = with_defaults(d);
    r.name = spec.substr(0, eq);
    std::vector<std::string> parts;
    const std::string rest = spec.substr(eq + 1);
    for (std::size_t start = 0;;) {
        const auto comma = rest.find(',', start);
        parts.push_back(rest.substr(start, comma - start));
        if (comma == std::string::npos) {
            break;
        }
        start = comma + 1;
    }
    r.model = resolve_model(catalog, parts.at(0), {}, quant);
    r.port = default_port;
    for (std::size_t i = 1; i < parts.size(); ++i) {
        const auto kv = parts[i].find('=');
        const std::string key = parts[i].substr(0, kv);
        const std::string value = kv == std::string::npos ? "" : parts[i].substr(kv + 1);
        static const std::set<std::string> known{"ctx",      "parallel", "batch",
                                                 "priority", "min-ngl",  "port"};
        if (known.count(key) == 0) {
            throw Error(ErrorKind::usage, "--service " + r.name,
                        fmt::format("unknown setting '{}'", key),
                        "known: ctx, parallel, batch, priority, min-ngl, port");
        }
        long n = -1;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (ec != std::errc{} || end != value.data() + value.size() || n < 0) {
            throw Error(ErrorKind::usage, "--service " + r.name,
                        fmt::format("'{}' needs a non-negative number", parts[i]));
        }
        if (key == "ctx") {
            r.settings.n_ctx = static_cast<std::uint32_t>(n);
        } else if (key == "parallel") {
            r.settings.n_parallel = static_cast<int>(n);
        } else if (key == "batch") {
            r.settings.n_batch = static_cast<std::uint32_t>(std::max(1L, n));
        } else if (key == "priority") {
            r.priority = static_cast<int>(n);
        } else if (key == "min-ngl") {
            r.min_gpu_layers = static_cast<std::uint32_t>(n);
        } else {
            r.port = static_cast<std::uint16_t>(n);
        }
    }
    return r;
}

PlanFile
parse_plan_file(std::string_view yaml_text, const std::string& source, const Catalog& catalog,
                const std::function<Deployment(const std::optional<std::string>&)>& load_deployment,
                const std::optional<std::string>& quant) {
    const YAML::Node root = yaml::parse(yaml_text, source);
    const yaml::MapReader r(root, source);
    r.only_keys({"gpu", "deployment", "headroom", "reserve_mib", "services"});
    PlanFile p;
    p.gpu = r.optional_string("gpu");
    p.deployment = r.optional_string("deployment");
    p.headroom = r.optional_string("headroom");
    p.reserve_mib = r.optional_number("reserve_mib", 0, 1e7);
    const Deployment deployment = load_deployment(p.deployment);
    const YAML::Node services = r.node("services");
    if (!services.IsSequence() || services.size() == 0) {
        r.fail(services, "'services' must be a non-empty list");
    }
    for (const auto& s : services) {
        p.services.push_back(yaml_service(s, source, catalog, deployment, quant, nullptr));
    }
    return p;
}

std::vector<Scenario> parse_scenarios(std::string_view yaml_text, const std::string& source,
                                      const Catalog& catalog, const Deployment& d) {
    const YAML::Node root = yaml::parse(yaml_text, source);
    const yaml::MapReader r(root, source);
    r.only_keys({"scenarios"});
    const YAML::Node list = r.node("scenarios");
    if (!list.IsSequence()) {
        r.fail(list, "'scenarios' must be a list");
    }
    std::vector<Scenario> out;
    for (const auto& node : list) {
        const yaml::MapReader sr(node, source);
        sr.only_keys({"name", "solve", "services"});
        Scenario s;
        s.name = sr.string("name");
        s.solve = sr.boolean("solve", false);
        const YAML::Node services = sr.node("services");
        if (!services.IsSequence() || services.size() == 0) {
            sr.fail(services, "'services' must be a non-empty list");
        }
        for (const auto& svc : services) {
            int ngl = ServerSettings::k_layers_all;
            s.services.push_back(yaml_service(svc, source, catalog, d, std::nullopt, &ngl));
            s.n_gpu_layers.push_back(ngl);
        }
        out.push_back(std::move(s));
    }
    return out;
}

std::uint64_t headroom_bytes(const std::string& text, std::uint64_t total, std::size_t services) {
    if (text.empty()) {
        return std::max<std::uint64_t>((256ULL * services) << 20, total / 20);
    }
    std::string s = text;
    const bool percent = !s.empty() && s.back() == '%';
    if (percent) {
        s.pop_back();
    } else if (s.size() > 3 && s.substr(s.size() - 3) == "MiB") {
        s.resize(s.size() - 3);
    }
    double v = -1;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || v < 0) {
        throw Error(ErrorKind::usage, "--headroom",
                    fmt::format("expected MiB or a percentage such as 10%, found '{}'", text));
    }
    if (percent && v >= 100) {
        throw Error(ErrorKind::usage, "--headroom",
                    fmt::format("{}% leaves nothing of the GPU; give a percentage below 100", v));
    }
    return percent ? static_cast<std::uint64_t>(static_cast<double>(total) * v / 100.0)
                   : static_cast<std::uint64_t>(v * 1048576.0);
}

} // namespace vramplan
