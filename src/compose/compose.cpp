#include <vramplan/base/error.hpp>
#include <vramplan/base/service_name.hpp>
#include <vramplan/base/strings.hpp>
#include <vramplan/base/text_file.hpp>
#include <vramplan/compose/compose.hpp>
#include <vramplan/compose/dotenv.hpp>
#include <vramplan/compose/shell_words.hpp>

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <memory>

namespace vramplan {

namespace {

class ServiceReader {
public:
    ServiceReader(const std::string& file, const std::filesystem::path& base_dir,
                  const VariableLookup& lookup)
        : m_file(file), m_base_dir(base_dir), m_lookup(lookup) {}

    ComposeService read(const std::string& name, const ComposeNode& n) const {
        // Compose refuses the file; so does check.
        check_service_name(name, ErrorKind::data,
                           format_location(m_file, n.key_pos.line > 0 ? n.key_pos : n.pos));
        if (!n.is_mapping()) {
            fail(n, fmt::format("service '{}' must be a mapping", name));
        }
        ComposeService s;
        s.name = name;
        s.pos = n.key_pos.line > 0 ? n.key_pos : n.pos;
        if (const auto* image = n.find("image")) {
            s.image = scalar(*image, "image");
        }
        if (const auto* e = n.find("entrypoint")) {
            s.entrypoint = words(*e, "entrypoint");
        }
        if (const auto* c = n.find("command")) {
            s.command = words(*c, "command");
            s.command_pos = c->pos;
        }
        if (const auto* f = n.find("env_file")) {
            env_files(*f, s.environment);
        }
        if (const auto* e = n.find("environment")) {
            environment(*e, s.environment);
        }
        if (const auto* p = n.find("ports")) {
            ports(*p, s.ports);
        }
        if (const auto* v = n.find("volumes")) {
            volumes(*v, s.volumes);
        }
        gpu_access(n, s);
        memory_limit(n, s);
        if (const auto* d = n.find("depends_on")) {
            if (d->is_sequence()) {
                for (const auto& item : d->items) {
                    s.depends_on.push_back(scalar(item, "depends_on"));
                }
            } else if (d->is_mapping()) {
                for (const auto& [dep, cond] : d->entries) {
                    s.depends_on.push_back(dep);
                }
            } else {
                fail(*d, "depends_on must be a list of services or a mapping");
            }
        }
        if (const auto* p = n.find("profiles")) {
            s.profiles = list(*p, "profiles");
        }
        replicas(n, s);
        return s;
    }

private:
    [[noreturn]] void fail(const ComposeNode& at, const std::string& what) const {
        throw Error(ErrorKind::data, format_location(m_file, at.pos), what,
                    "see the Compose file reference; 'docker compose config' validates the file");
    }

    const std::string& scalar(const ComposeNode& n, std::string_view what) const {
        if (!n.is_scalar()) {
            fail(n, fmt::format("{} must be a single value", what));
        }
        return n.scalar;
    }

    std::vector<std::string> list(const ComposeNode& n, std::string_view what) const {
        if (n.is_scalar()) {
            return {n.scalar};
        }
        if (!n.is_sequence()) {
            fail(n, fmt::format("{} must be a list", what));
        }
        std::vector<std::string> out;
        for (const auto& item : n.items) {
            out.push_back(scalar(item, what));
        }
        return out;
    }

    // command / entrypoint: a list is taken as is; a string is split like a shell.
    std::vector<std::string> words(const ComposeNode& n, std::string_view what) const {
        if (n.kind == ComposeNode::Kind::null) {
            return {};
        }
        if (n.is_sequence()) {
            return list(n, what);
        }
        try {
            return split_shell_words(scalar(n, what));
        } catch (const Error& e) {
            throw e.within(format_location(m_file, n.pos));
        }
    }

    void env_files(const ComposeNode& n, std::map<std::string, std::string>& env) const {
        std::vector<const ComposeNode*> entries;
        if (n.is_sequence()) {
            for (const auto& item : n.items) {
                entries.push_back(&item);
            }
        } else {
            entries.push_back(&n);
        }
        for (const ComposeNode* e : entries) {
            std::string path;
            bool required = true;
            if (e->is_mapping()) {
                const auto* p = e->find("path");
                if (p == nullptr) {
                    fail(*e, "an env_file entry needs a path");
                }
                path = scalar(*p, "env_file path");
                if (const auto* r = e->find("required")) {
                    required = scalar(*r, "required") != "false";
                }
            } else {
                path = scalar(*e, "env_file");
            }
            const std::filesystem::path full = m_base_dir / path;
            std::error_code ec;
            if (!required && !std::filesystem::exists(full, ec)) {
                continue;
            }
            std::string text;
            try {
                text = read_text_file(full);
            } catch (const Error& err) {
                throw err.within(format_location(m_file, e->pos));
            }
            for (auto& entry : parse_dotenv(text, full.string(), m_lookup)) {
                if (entry.value) {
                    env[entry.name] = *entry.value;
                }
            }
        }
    }

    // A map (KEY: value; a null value passes the variable through from the environment) or a
    // list of KEY=value / KEY.
    void environment(const ComposeNode& n, std::map<std::string, std::string>& env) const {
        const auto pass_through = [&](const std::string& key) {
            if (auto v = m_lookup(key)) {
                env[key] = *v;
            }
        };
        if (n.is_mapping()) {
            for (const auto& [key, value] : n.entries) {
                if (value.kind == ComposeNode::Kind::null) {
                    pass_through(key);
                } else {
                    env[key] = scalar(value, "an environment value");
                }
            }
        } else if (n.is_sequence()) {
            for (const auto& item : n.items) {
                const std::string& kv = scalar(item, "an environment entry");
                const auto eq = kv.find('=');
                if (eq == std::string::npos) {
                    pass_through(kv);
                } else {
                    env[kv.substr(0, eq)] = kv.substr(eq + 1);
                }
            }
        } else if (n.kind != ComposeNode::Kind::null) {
            fail(n, "environment must be a mapping or a list of KEY=VALUE");
        }
    }

    std::pair<std::uint32_t, std::uint32_t> port_range(const ComposeNode& at,
                                                       const std::string& text) const {
        const auto dash = text.find('-');
        const auto first = parse_unsigned(text.substr(0, dash));
        const auto last = dash == std::string::npos ? first : parse_unsigned(text.substr(dash + 1));
        if (!first || !last || *first < 1 || *last > 65535 || *first > *last) {
            fail(at, fmt::format("'{}' is not a port or a port range", text));
        }
        return {static_cast<std::uint32_t>(*first), static_cast<std::uint32_t>(*last)};
    }

    void add_ports(const ComposeNode& at, const std::string& ip, const std::string& published,
                   const std::string& protocol, std::vector<PublishedPort>& out) const {
        if (published.empty()) {
            return; // an ephemeral host port: never a conflict
        }
        const auto [first, last] = port_range(at, published);
        for (std::uint32_t p = first; p <= last; ++p) {
            out.push_back(PublishedPort{ip, p, protocol, at.pos});
        }
    }

    // Short syntax [[IP:]HOST:]CONTAINER[/PROTOCOL] (IPv6 in brackets), or the long syntax.
    void ports(const ComposeNode& n, std::vector<PublishedPort>& out) const {
        if (!n.is_sequence()) {
            fail(n, "ports must be a list");
        }
        for (const auto& item : n.items) {
            if (item.is_mapping()) {
                const auto* published = item.find("published");
                const auto* ip = item.find("host_ip");
                const auto* proto = item.find("protocol");
                add_ports(item, ip ? scalar(*ip, "host_ip") : "",
                          published ? scalar(*published, "published") : "",
                          proto ? scalar(*proto, "protocol") : "tcp", out);
                continue;
            }
            std::string spec = scalar(item, "a port");
            std::string protocol = "tcp";
            if (const auto slash = spec.find('/'); slash != std::string::npos) {
                protocol = spec.substr(slash + 1);
                spec.resize(slash);
            }
            std::string ip;
            if (spec.starts_with("[")) {
                const auto close = spec.find("]:");
                if (close == std::string::npos) {
                    fail(item, fmt::format("'{}' is not a port mapping", spec));
                }
                ip = spec.substr(1, close - 1);
                spec = spec.substr(close + 2);
            }
            const std::vector<std::string> parts = split(spec, ':');
            if (parts.size() == 1) {
                (void)port_range(item, parts[0]);
            } else if (parts.size() == 2) {
                add_ports(item, ip, parts[0], protocol, out);
            } else if (parts.size() == 3 && ip.empty()) {
                add_ports(item, parts[0], parts[1], protocol, out);
            } else {
                fail(item, fmt::format("'{}' is not a port mapping", scalar(item, "a port")));
            }
        }
    }

    void volumes(const ComposeNode& n, std::vector<VolumeMount>& out) const {
        if (!n.is_sequence()) {
            fail(n, "volumes must be a list");
        }
        for (const auto& item : n.items) {
            if (item.is_mapping()) {
                const auto* source = item.find("source");
                const auto* target = item.find("target");
                if (target == nullptr) {
                    fail(item, "a volume needs a target");
                }
                out.push_back(VolumeMount{source ? scalar(*source, "source") : "",
                                          scalar(*target, "target"), item.pos});
                continue;
            }
            const std::vector<std::string> parts = split(scalar(item, "a volume"), ':');
            if (parts.size() >= 2) {
                out.push_back(VolumeMount{parts[0], parts[1], item.pos});
            } else {
                out.push_back(VolumeMount{"", parts[0], item.pos}); // an anonymous volume
            }
        }
    }

    // A GPU device request: {driver, count, device_ids, capabilities}.
    void device_request(const ComposeNode& d, GpuAccess& gpu) const {
        bool is_gpu = false;
        if (const auto* caps = d.find("capabilities")) {
            for (const auto& c : list(*caps, "capabilities")) {
                is_gpu = is_gpu || c == "gpu";
            }
        }
        if (const auto* driver = d.find("driver")) {
            is_gpu = is_gpu || scalar(*driver, "driver") == "nvidia";
        }
        if (!is_gpu) {
            return;
        }
        gpu.granted = true;
        gpu.pos = d.pos;
        if (const auto* ids = d.find("device_ids")) {
            gpu.devices = list(*ids, "device_ids");
        }
        if (const auto* count = d.find("count")) {
            const std::string& c = scalar(*count, "count");
            const auto n = parse_integer(c);
            if (c == "all" || (n && *n == -1)) {
                gpu.count = -1;
            } else if (n && *n >= 0 && *n <= 1024) {
                gpu.count = static_cast<int>(*n);
            } else {
                fail(*count, fmt::format("count must be a number or all, found '{}'", c));
            }
        }
    }

    void gpu_access(const ComposeNode& n, ComposeService& s) const {
        const ComposeNode* devices = n.find("deploy");
        for (const char* key : {"resources", "reservations", "devices"}) {
            devices = devices != nullptr ? devices->find(key) : nullptr;
        }
        if (devices != nullptr) {
            if (!devices->is_sequence()) {
                fail(*devices, "devices must be a list");
            }
            for (const auto& d : devices->items) {
                device_request(d, s.gpu);
            }
            s.gpu.how = "deploy.resources.reservations.devices";
        }
        if (const auto* g = n.find("gpus"); g != nullptr && !s.gpu.granted) {
            if (g->is_scalar()) {
                if (g->scalar != "all") {
                    fail(*g, fmt::format("gpus must be all or a list, found '{}'", g->scalar));
                }
                s.gpu.granted = true;
                s.gpu.count = -1;
                s.gpu.pos = g->pos;
            } else if (g->is_sequence()) {
                for (const auto& d : g->items) {
                    device_request(d, s.gpu);
                }
            }
            s.gpu.how = "gpus";
        }
        if (const auto* r = n.find("runtime");
            r != nullptr && !s.gpu.granted && scalar(*r, "runtime") == "nvidia") {
            s.gpu.granted = true;
            s.gpu.how = "runtime: nvidia";
            s.gpu.pos = r->pos;
        }
        // The container toolkit's variables narrow or remove what was granted.
        if (auto it = s.environment.find("NVIDIA_VISIBLE_DEVICES"); it != s.environment.end()) {
            if (it->second == "none" || it->second == "void" || it->second.empty()) {
                s.gpu.granted = false;
            } else if (it->second != "all") {
                s.gpu.devices = split(it->second, ',');
            }
        }
        if (auto it = s.environment.find("CUDA_VISIBLE_DEVICES"); it != s.environment.end()) {
            if (it->second.empty() || it->second == "-1") {
                s.gpu.granted = false;
            }
        }
    }

    void memory_limit(const ComposeNode& n, ComposeService& s) const {
        const ComposeNode* limit = n.find("deploy");
        for (const char* key : {"resources", "limits", "memory"}) {
            limit = limit != nullptr ? limit->find(key) : nullptr;
        }
        if (limit == nullptr) {
            limit = n.find("mem_limit");
        }
        if (limit == nullptr) {
            return;
        }
        const std::string& text = scalar(*limit, "a memory limit");
        const auto bytes = parse_byte_size(text);
        if (!bytes) {
            fail(*limit, fmt::format("'{}' is not a memory size (such as 6144M or 6g)", text));
        }
        s.memory_limit = bytes;
        s.memory_limit_pos = limit->pos;
    }

    void replicas(const ComposeNode& n, ComposeService& s) const {
        const ComposeNode* r = n.find("deploy");
        r = r != nullptr ? r->find("replicas") : nullptr;
        if (r == nullptr) {
            r = n.find("scale");
        }
        if (r != nullptr) {
            const auto v = parse_unsigned(scalar(*r, "replicas"));
            if (!v || *v > 1024) {
                fail(*r, fmt::format("'{}' is not a replica count", r->scalar));
            }
            s.replicas = static_cast<std::uint32_t>(*v);
        }
    }

    const std::string& m_file;
    const std::filesystem::path& m_base_dir;
    const VariableLookup& m_lookup;
};

} // namespace

std::optional<std::uint64_t> parse_byte_size(std::string_view text) {
    std::string t = to_lower(text);
    while (!t.empty() && t.back() == ' ') {
        t.pop_back();
    }
    if (t.ends_with("b") && t.size() > 1 &&
        std::isdigit(static_cast<unsigned char>(t[t.size() - 2])) == 0) {
        t.pop_back(); // "gb" -> "g"
    }
    double unit = 1;
    if (!t.empty()) {
        switch (t.back()) {
        case 'k': unit = 1024.0; break;
        case 'm': unit = 1024.0 * 1024; break;
        case 'g': unit = 1024.0 * 1024 * 1024; break;
        case 't': unit = 1024.0 * 1024 * 1024 * 1024; break;
        case 'b': unit = 1; break;
        default: unit = 0;
        }
        if (unit != 0) {
            t.pop_back();
        } else {
            unit = 1;
        }
    }
    const auto n = parse_number(t);
    if (!n || *n < 0 || !std::isfinite(*n) || *n * unit > 1.8e19) {
        return std::nullopt;
    }
    return static_cast<std::uint64_t>(*n * unit);
}

LoadedCompose load_compose(const std::filesystem::path& compose_file,
                           const std::optional<std::filesystem::path>& env_file,
                           const VariableLookup& environment) {
    const std::filesystem::path base_dir = compose_file.parent_path();
    const std::filesystem::path env_path = env_file.value_or(base_dir / ".env");
    auto dotenv = std::make_shared<std::map<std::string, std::optional<std::string>>>();
    std::error_code ec;
    if (env_file || std::filesystem::exists(env_path, ec)) {
        for (auto& e : parse_dotenv(read_text_file(env_path), env_path.string(), environment)) {
            (*dotenv)[e.name] = std::move(e.value);
        }
    }
    LoadedCompose out;
    out.lookup = [environment, dotenv](std::string_view name) -> std::optional<std::string> {
        if (auto v = environment(name)) {
            return v;
        }
        if (auto it = dotenv->find(std::string(name)); it != dotenv->end()) {
            return it->second;
        }
        return std::nullopt;
    };
    out.document =
        parse_compose_yaml(read_text_file(compose_file), compose_file.string(), out.lookup);
    out.project = read_compose(out.document, base_dir, out.lookup);
    return out;
}

ComposeProject read_compose(const ComposeDocument& doc, const std::filesystem::path& base_dir,
                            const VariableLookup& lookup) {
    ComposeProject p;
    p.file = doc.source;
    p.unset = doc.unset;
    const ComposeNode* services = doc.root.find("services");
    if (services == nullptr || !services->is_mapping()) {
        throw Error(ErrorKind::data, format_location(doc.source, doc.root.pos),
                    "no 'services' mapping at the top of the compose file",
                    "a compose file lists its containers under 'services:'");
    }
    const ServiceReader reader(doc.source, base_dir, lookup);
    for (const auto& [name, node] : services->entries) {
        p.services.push_back(reader.read(name, node));
    }
    return p;
}

} // namespace vramplan
