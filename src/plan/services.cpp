#include "../base/yaml_util.hpp"

#include <vramplan/base/error.hpp>
#include <vramplan/base/numbers.hpp>
#include <vramplan/base/service_name.hpp>
#include <vramplan/base/strings.hpp>
#include <vramplan/estimate/server_args.hpp>
#include <vramplan/plan/services.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>

namespace vramplan {

namespace {

ServiceRequest with_defaults(const Deployment& d) {
    ServiceRequest r;
    r.settings.n_ctx = d.ctx;
    r.settings.n_batch = d.batch;
    r.settings.n_parallel = d.parallel;
    r.threads = d.threads;
    r.cont_batching = d.cont_batching;
    r.workload = d.workload;
    return r;
}

void apply_role(ServiceRequest& r, const Deployment& d) {
    const auto it = d.roles.find(r.role);
    if (it != d.roles.end()) {
        r.name = r.name.empty() ? it->second.service : r.name;
        r.port = r.port == 0 ? it->second.port : r.port;
        r.priority = it->second.priority;
        r.workload = it->second.workload.value_or(r.workload);
    }
}

// The per-service settings a plan file (`min_ngl`) and --service (`min-ngl`) may give, with one
// range each, so that both routes accept and refuse the same values.
struct ServiceSetting {
    const char* yaml_key;
    const char* spec_key;
    std::uint64_t min;
    std::uint64_t max;
    void (*apply)(ServiceRequest&, std::uint64_t);
};

constexpr std::array<ServiceSetting, 8> k_settings{{
    {"ctx", "ctx", 0, 1U << 24,
     [](ServiceRequest& r, std::uint64_t v) { r.settings.n_ctx = static_cast<std::uint32_t>(v); }},
    {"parallel", "parallel", 1, 4096,
     [](ServiceRequest& r, std::uint64_t v) { r.settings.n_parallel = static_cast<int>(v); }},
    {"batch", "batch", 1, 1U << 20,
     [](ServiceRequest& r, std::uint64_t v) {
         r.settings.n_batch = static_cast<std::uint32_t>(v);
     }},
    {"priority", "priority", 0, 1000,
     [](ServiceRequest& r, std::uint64_t v) { r.priority = static_cast<int>(v); }},
    {"min_ngl", "min-ngl", 0, 4096,
     [](ServiceRequest& r, std::uint64_t v) { r.min_gpu_layers = static_cast<std::uint32_t>(v); }},
    {"port", "port", 1, 65535,
     [](ServiceRequest& r, std::uint64_t v) { r.port = static_cast<std::uint16_t>(v); }},
    {"prompt_tokens", "prompt-tokens", 0, 1U << 24,
     [](ServiceRequest& r, std::uint64_t v) {
         r.workload.prompt_tokens = static_cast<std::uint32_t>(v);
     }},
    {"generated_tokens", "generated-tokens", 1, 1U << 24,
     [](ServiceRequest& r, std::uint64_t v) {
         r.workload.generated_tokens = static_cast<std::uint32_t>(v);
     }},
}};

ServiceRequest yaml_service(const YAML::Node& node, const std::string& source,
                            const Catalog& catalog, const Deployment& d,
                            const std::optional<std::string>& quant, int* ngl) {
    const yaml::MapReader r(node, source);
    r.only_keys({"name", "role", "model", "quant", "ctx", "parallel", "batch", "priority",
                 "min_ngl", "port", "prompt_tokens", "generated_tokens", "ngl"});
    ServiceRequest s = with_defaults(d);
    s.role = r.optional_string("role").value_or("");
    s.name = r.optional_string("name").value_or("");
    apply_role(s, d);
    if (s.name.empty()) {
        r.fail(node, "a service needs a name or a role the deployment knows");
    }
    for (const auto& [key, value] : {std::pair{"name", s.name}, std::pair{"role", s.role}}) {
        if (!value.empty()) {
            check_service_name(value, ErrorKind::data,
                               yaml::where(source, r.has(key) ? r.node(key) : node) + ": " + key);
        }
    }
    for (const auto& setting : k_settings) {
        if (r.has(setting.yaml_key)) {
            setting.apply(s, r.uint(setting.yaml_key, setting.min, setting.max));
        }
    }
    if (ngl != nullptr) {
        *ngl = ServerSettings::k_layers_all;
        if (r.has("ngl")) {
            const std::string where = yaml::where(source, r.node("ngl"));
            try {
                *ngl = parse_n_gpu_layers(r.string("ngl"), "ngl");
            } catch (const Error& e) {
                throw e.within(where);
            }
        }
    }
    const std::optional<std::string> q = r.optional_string("quant");
    try {
        s.model = resolve_model(catalog, r.string("model"), s.role, q ? q : quant);
    } catch (const Error& e) {
        throw e.within(yaml::where(source, r.node("model")));
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
    check_service_name(r.name, ErrorKind::usage, "--service");
    const std::vector<std::string> parts = split(std::string_view(spec).substr(eq + 1), ',');
    r.model = resolve_model(catalog, parts.front(), {}, quant);
    r.port = default_port;
    const std::string where = "--service " + r.name;
    for (std::size_t i = 1; i < parts.size(); ++i) {
        const auto kv = parts[i].find('=');
        const std::string key = parts[i].substr(0, kv);
        const auto setting =
            std::find_if(k_settings.begin(), k_settings.end(),
                         [&](const ServiceSetting& s) { return key == s.spec_key; });
        if (setting == k_settings.end()) {
            std::vector<std::string> known;
            for (const auto& s : k_settings) {
                known.emplace_back(s.spec_key);
            }
            throw Error(ErrorKind::usage, where, fmt::format("unknown setting '{}'", key),
                        "known: " + join(known, ", "));
        }
        const std::string value = kv == std::string::npos ? "" : parts[i].substr(kv + 1);
        setting->apply(r, checked_unsigned(value, setting->min, setting->max,
                                           fmt::format("{}: {}", where, key)));
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
    if (p.headroom) {
        try { // checked here, where the file's line and column are known
            (void)headroom_bytes(*p.headroom, 1ULL << 40, 1);
        } catch (const Error& e) {
            r.fail(r.node("headroom"), "headroom: " + e.message());
        }
    }
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

std::string env_prefix(const ServiceRequest& r) {
    return env_prefix_of(r.role.empty() ? r.name : r.role);
}

void assign_ports_and_check(std::vector<ServiceRequest>& services, std::uint16_t first_port) {
    std::map<std::string, const ServiceRequest*> names;
    std::map<std::string, const ServiceRequest*> prefixes;
    std::map<std::uint16_t, const ServiceRequest*> ports;
    const auto clash = [](const ServiceRequest& a, const ServiceRequest& b,
                          const std::string& what) {
        throw Error(ErrorKind::usage, b.name,
                    fmt::format("{} as service {}: the compose file and .env would mix them up",
                                what, a.name),
                    "give each service its own name, role and port");
    };
    for (const auto& s : services) {
        if (const auto [it, fresh] = names.emplace(s.name, &s); !fresh) {
            clash(*it->second, s, "the same name");
        }
        if (const auto [it, fresh] = prefixes.emplace(env_prefix(s), &s); !fresh) {
            clash(*it->second, s, fmt::format("the same .env prefix {}_", env_prefix(s)));
        }
        if (s.port != 0) {
            if (const auto [it, fresh] = ports.emplace(s.port, &s); !fresh) {
                clash(*it->second, s, fmt::format("the same port {}", s.port));
            }
        }
    }
    std::uint32_t next = first_port;
    for (auto& s : services) {
        if (s.port != 0) {
            continue;
        }
        while (next <= 65535 && ports.contains(static_cast<std::uint16_t>(next))) {
            ++next;
        }
        if (next > 65535) {
            throw Error(ErrorKind::usage, s.name, "no free port left to give this service",
                        "set port: for each service");
        }
        s.port = static_cast<std::uint16_t>(next);
        ports.emplace(s.port, &s);
    }
}

std::uint64_t headroom_bytes(const std::string& text, std::uint64_t total, std::size_t services) {
    if (text.empty()) {
        return std::max<std::uint64_t>((256ULL * services) << 20, total / 20);
    }
    std::string_view s = text;
    const bool percent = s.ends_with('%');
    if (percent) {
        s.remove_suffix(1);
    } else if (s.ends_with("MiB")) {
        s.remove_suffix(3);
    }
    if (!parse_number(s)) {
        throw Error(
            ErrorKind::usage, "--headroom",
            fmt::format("expected MiB or a percentage such as 10%, found {}", quote_value(text)));
    }
    // A percentage below 100 (100% would leave nothing of the GPU); MiB up to 10 TiB.
    const double v = percent ? checked_number(s, 0, 99.999, "--headroom (percent)")
                             : checked_number(s, 0, 1e7, "--headroom (MiB)");
    return percent ? static_cast<std::uint64_t>(static_cast<double>(total) * v / 100.0)
                   : static_cast<std::uint64_t>(v * 1048576.0);
}

} // namespace vramplan
