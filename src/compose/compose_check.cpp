#include <vramplan/base/error.hpp>
#include <vramplan/base/strings.hpp>
#include <vramplan/base/suggest.hpp>
#include <vramplan/base/units.hpp>
#include <vramplan/compose/compose_check.hpp>
#include <vramplan/compose/shell_words.hpp>
#include <vramplan/plan/deployment.hpp>
#include <vramplan/plan/services.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace vramplan {

namespace {

std::string base_name(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// An image reference split into its last path component and its tag, lower-cased.
std::pair<std::string, std::string> image_repo_tag(const std::string& image) {
    const std::string lower = to_lower(image);
    const auto slash = lower.rfind('/');
    const std::string last = slash == std::string::npos ? lower : lower.substr(slash + 1);
    const auto colon = last.find(':');
    return {last.substr(0, colon), colon == std::string::npos ? "" : last.substr(colon + 1)};
}

bool is_llama_server_image(const std::string& image) {
    const auto [repo, tag] = image_repo_tag(image);
    return (repo == "llama.cpp" && tag.starts_with("server")) ||
           repo.find("llama-server") != std::string::npos;
}

// llama.cpp's "full" images run tools.sh, whose --server (or -s) starts llama-server.
bool is_llama_full_image(const std::string& image) {
    const auto [repo, tag] = image_repo_tag(image);
    return repo == "llama.cpp" && tag.starts_with("full");
}

// The words after the llama-server program, looking inside `sh -c "..."` too.
std::optional<std::vector<std::string>> after_program(const std::vector<std::string>& words) {
    for (std::size_t i = 0; i < words.size(); ++i) {
        if (base_name(words[i]) == "llama-server") {
            return std::vector<std::string>(words.begin() + static_cast<long>(i) + 1, words.end());
        }
    }
    const std::set<std::string> shells{"sh", "bash", "dash", "ash"};
    if (words.size() >= 3 && shells.contains(base_name(words[0])) && words[1] == "-c") {
        try {
            return after_program(split_shell_words(words[2]));
        } catch (const Error&) {
            return std::nullopt;
        }
    }
    return std::nullopt;
}

std::string layers_text(int n) {
    return n == ServerSettings::k_layers_auto  ? "auto"
           : n == ServerSettings::k_layers_all ? "all"
                                               : std::to_string(n);
}

class Checker {
public:
    Checker(const ComposeProject& p, const Catalog& catalog, const CheckOptions& o)
        : m_project(p), m_catalog(catalog), m_options(o) {}

    CheckResult run() {
        m_result.compose_file = m_project.file;
        m_result.gpu = m_options.gpu;
        m_result.reserve_bytes = m_options.reserve_bytes;
        for (const auto& u : m_project.unset) {
            add(Severity::warning, "unset-variable", {}, u.pos,
                fmt::format("${{{}}} is not set; Compose uses an empty string", u.name),
                fmt::format("set {} in .env, or give a default: ${{{}:-value}}", u.name, u.name));
        }
        for (const auto& s : m_project.services) {
            service(s);
        }
        ports();
        gpu_groups();
        std::stable_sort(m_result.findings.begin(), m_result.findings.end(),
                         [](const Finding& a, const Finding& b) {
                             return a.severity == Severity::error && b.severity != Severity::error;
                         });
        return std::move(m_result);
    }

private:
    void add(Severity severity, std::string rule, std::string service, SourcePos pos,
             std::string message, std::string fix) {
        m_result.findings.push_back(Finding{severity, std::move(rule), std::move(service), pos,
                                            std::move(message), std::move(fix)});
    }

    bool active(const ComposeService& s) const {
        if (s.profiles.empty()) {
            return true;
        }
        return std::any_of(s.profiles.begin(), s.profiles.end(), [&](const std::string& p) {
            return std::find(m_options.profiles.begin(), m_options.profiles.end(), p) !=
                   m_options.profiles.end();
        });
    }

    void service(const ComposeService& s) {
        if (!active(s)) {
            m_result.other_services.push_back(
                fmt::format("{} (profile {} not active)", s.name, join(s.profiles, ", ")));
            return;
        }
        if (s.replicas == 0) {
            m_result.other_services.push_back(fmt::format("{} (0 replicas)", s.name));
            return;
        }
        m_started.push_back(&s);
        const auto words = llama_server_arguments(s);
        if (!words) {
            m_result.other_services.push_back(fmt::format("{} (not llama-server)", s.name));
            return;
        }
        CheckedService c;
        c.name = s.name;
        c.pos = s.pos;
        c.replicas = s.replicas;
        c.memory_limit = s.memory_limit;
        const SourcePos at = s.command_pos.line > 0 ? s.command_pos : s.pos;
        std::map<std::string, std::string> llama_env;
        for (const auto& [k, v] : s.environment) {
            if (k.starts_with("LLAMA_ARG_")) {
                llama_env[k] = v;
            }
        }
        try {
            c.args = parse_server_args(*words, llama_env);
        } catch (const Error& e) {
            add(Severity::error, "server-arguments", s.name, at,
                fmt::format("llama-server would refuse its arguments: {}", e.what()),
                e.hint().empty() ? "fix the flag; 'llama-server --help' lists them" : e.hint());
            m_result.services.push_back(std::move(c));
            return;
        }
        if (s.gpu.granted) {
            c.gpu_device = s.gpu.devices.empty() ? "0" : s.gpu.devices.front();
            if (s.gpu.devices.size() > 1 || s.gpu.count > 1) {
                add(Severity::warning, "multi-gpu", s.name, s.gpu.pos,
                    "the container gets several GPUs; llama.cpp would split the layers between "
                    "them, which vramplan does not model: everything is counted on GPU " +
                        c.gpu_device,
                    "give each llama-server one GPU (device_ids: [\"0\"])");
            }
        }
        c.model = model_of(s, c.args, at);
        if (c.model) {
            estimate(s, c, at);
        }
        m_result.services.push_back(std::move(c));
    }

    // The GGUF file behind -m: read under --models-dir, else matched to the catalog by name.
    std::optional<ResolvedModel> model_of(const ComposeService& s, const ServerArgs& a,
                                          SourcePos at) {
        if (!a.model) {
            add(Severity::error, "no-model", s.name, at,
                a.hf_repo ? fmt::format("the model comes from -hf {}, which vramplan cannot "
                                        "read before it is downloaded",
                                        *a.hf_repo)
                          : "llama-server is started without -m",
                "download the GGUF file into the models folder and pass -m /models/FILE.gguf");
            return std::nullopt;
        }
        const std::string file = base_name(*a.model);
        if (m_options.models_dir) {
            const std::filesystem::path host = host_path(s, *a.model);
            std::error_code ec;
            if (!std::filesystem::is_regular_file(host, ec)) {
                add(Severity::error, "model-missing", s.name, at,
                    fmt::format("-m {} is {} on this machine, which does not exist", *a.model,
                                host.string()),
                    fmt::format("put {} into {}, or pass --models-dir with the folder mounted "
                                "in the container",
                                file, host.parent_path().string()));
                return std::nullopt;
            }
            try {
                return resolve_model(m_catalog, host.string());
            } catch (const Error& e) {
                add(Severity::error, "model-unreadable", s.name, at, e.what(),
                    e.hint().empty() ? "check the file; 'vramplan inspect FILE' reads its header"
                                     : e.hint());
                return std::nullopt;
            }
        }
        try {
            return resolve_model(m_catalog, file);
        } catch (const Error& e) {
            std::string stem = to_lower(file);
            if (const auto dot = stem.rfind(".gguf"); dot != std::string::npos) {
                stem.resize(dot);
            }
            const auto names = m_catalog.names();
            const auto close = closest_names(stem.substr(0, stem.rfind('-')), names);
            add(Severity::error, "unknown-model", s.name, at,
                fmt::format("{} is not in the model catalog", file),
                (close.empty() ? std::string("no catalog entry is close")
                               : "closest catalog entries: " + join(close, ", ")) +
                    "; pass --models-dir to read the real file's header");
            return std::nullopt;
        }
    }

    // The container path of -m mapped through the bind mounts onto --models-dir.
    std::filesystem::path host_path(const ComposeService& s, const std::string& model) const {
        const VolumeMount* best = nullptr;
        for (const auto& v : s.volumes) {
            std::string target = v.target;
            while (target.size() > 1 && target.ends_with('/')) {
                target.pop_back();
            }
            if (model.starts_with(target + "/") &&
                (best == nullptr || v.target.size() > best->target.size())) {
                best = &v;
            }
        }
        if (best == nullptr) {
            return *m_options.models_dir / base_name(model);
        }
        std::string rel = model.substr(best->target.size());
        while (rel.starts_with('/')) {
            rel.erase(0, 1);
        }
        return *m_options.models_dir / rel;
    }

    void estimate(const ComposeService& s, CheckedService& c, SourcePos at) {
        const bool gpu = !c.gpu_device.empty();
        try {
            c.estimate =
                estimate_memory(c.model->spec(), c.args.settings, gpu ? &m_options.gpu : nullptr);
        } catch (const Error& e) {
            const bool v_cache = e.message().find("V cache") != std::string::npos;
            add(Severity::error, v_cache ? "quantized-v-cache" : "llama-refuses", s.name, at,
                fmt::format("llama.cpp would refuse to start: {}", e.message()),
                e.hint().empty() ? "change the setting named above" : e.hint());
            return;
        }
        c.vram_bytes = c.estimate->gpu_bytes();
        c.host_bytes = c.estimate->host_bytes();
        const ServerSettings& st = c.args.settings;
        if (c.memory_limit && c.host_bytes > *c.memory_limit) {
            add(Severity::error, "memory-limit", s.name, s.memory_limit_pos,
                fmt::format("llama-server keeps {} MiB in host RAM (weights of CPU layers, host "
                            "buffers, KV of CPU layers); the container's limit is {} MiB",
                            format_mib(c.host_bytes), format_mib(*c.memory_limit)),
                fmt::format("raise the memory limit to {}M, or put more layers on the GPU",
                            recommended_container_memory_mib(c.host_bytes, 0)));
        }
        if (!gpu && st.n_gpu_layers > 0) {
            add(Severity::warning, "no-gpu", s.name, at,
                fmt::format("-ngl {} asks for GPU layers but the container gets no GPU: it runs "
                            "on the CPU",
                            st.n_gpu_layers),
                "reserve a GPU (deploy.resources.reservations.devices with capabilities: "
                "[gpu]), or drop -ngl");
        }
        if (st.n_ctx == 0) {
            const std::uint64_t kv = c.estimate->bytes_of(BufferKind::kv, true) +
                                     c.estimate->bytes_of(BufferKind::kv, false);
            add(Severity::warning, "no-context", s.name, at,
                fmt::format("no -c: llama.cpp uses the model's training context, {} tokens "
                            "({} MiB of KV cache)",
                            c.estimate->context.n_ctx, format_mib(kv)),
                "set -c to the context the service needs (the KV cache grows with it)");
        }
    }

    void ports() {
        struct Claim {
            const ComposeService* service;
            const PublishedPort* port;
        };
        std::vector<Claim> claims;
        for (const ComposeService* s : m_started) {
            for (const auto& p : s->ports) {
                if (s->replicas > 1) {
                    add(Severity::error, "port-conflict", s->name, p.pos,
                        fmt::format("{} replicas cannot all publish host port {}", s->replicas,
                                    p.host_port),
                        "publish a port range, or leave the host port out");
                }
                for (const auto& other : claims) {
                    const bool same_ip = p.host_ip.empty() || other.port->host_ip.empty() ||
                                         p.host_ip == other.port->host_ip;
                    if (same_ip && p.host_port == other.port->host_port &&
                        p.protocol == other.port->protocol) {
                        add(Severity::error, "port-conflict", s->name, p.pos,
                            fmt::format("host port {}/{} is also published by {}", p.host_port,
                                        p.protocol, other.service->name),
                            "give each service its own host port");
                    }
                }
                claims.push_back(Claim{s, &p});
            }
        }
    }

    // Does `a` start after `b` (depends_on, followed transitively)?
    bool starts_after(const std::string& a, const std::string& b, int depth = 0) const {
        const ComposeService* s = find_service(a);
        if (s == nullptr || depth > 64) {
            return false;
        }
        for (const auto& d : s->depends_on) {
            if (d == b || starts_after(d, b, depth + 1)) {
                return true;
            }
        }
        return false;
    }

    const ComposeService* find_service(const std::string& name) const {
        for (const ComposeService* s : m_started) {
            if (s->name == name) {
                return s;
            }
        }
        return nullptr;
    }

    void gpu_groups() {
        // Services a finding left without an estimate still count for the headroom (a process
        // each), not for memory.
        std::map<std::string, std::vector<const CheckedService*>> groups;
        std::map<std::string, std::size_t> processes;
        for (const auto& c : m_result.services) {
            if (c.gpu_device.empty()) {
                continue;
            }
            processes[c.gpu_device] += c.replicas;
            if (c.estimate) {
                groups[c.gpu_device].push_back(&c);
            }
        }
        for (const auto& [device, members] : groups) {
            gpu_group(device, members, processes[device]);
        }
    }

    void gpu_group(const std::string& device, const std::vector<const CheckedService*>& members,
                   std::size_t processes) {
        const std::uint64_t total = m_options.gpu.total_bytes();
        GpuUsage g;
        g.device = device;
        std::vector<ServiceRequest> requests;
        for (const CheckedService* c : members) {
            g.services.push_back(c->name);
            g.vram_bytes += c->vram_bytes * c->replicas;
            for (std::uint32_t i = 0; i < c->replicas; ++i) {
                ServiceRequest r;
                r.name = c->name;
                r.role = c->name;
                r.model = *c->model;
                r.settings = c->args.settings;
                requests.push_back(std::move(r));
            }
        }
        g.headroom_bytes = headroom_bytes(m_options.headroom, total, processes);
        const std::uint64_t held = m_options.reserve_bytes + g.headroom_bytes;
        g.budget_bytes = held < total ? total - held : 0;

        // The fastest layer counts that fit, for the fixes (vramplan solve's own search).
        SolveOptions so;
        so.gpu = m_options.gpu;
        so.reserve_bytes = m_options.reserve_bytes;
        so.headroom_bytes = g.headroom_bytes;
        so.host = m_options.host;
        std::optional<Plan> plan;
        if (held < total) {
            plan = solve(requests, so);
        }
        const auto planned = [&](const std::string& name) -> std::optional<std::uint32_t> {
            if (!plan || !plan->fits) {
                return std::nullopt;
            }
            for (const auto& sp : plan->services) {
                if (sp.request.name == name) {
                    return sp.n_gpu_layers;
                }
            }
            return std::nullopt;
        };

        const std::string names = join(g.services, ", ");
        if (g.vram_bytes > g.budget_bytes) {
            std::string fix;
            if (plan && plan->fits) {
                std::vector<std::string> layers;
                for (const CheckedService* c : members) {
                    layers.push_back(fmt::format("{} -ngl {}", c->name, *planned(c->name)));
                }
                fix = fmt::format("use {} ({} MiB, the fastest layer counts that fit; vramplan "
                                  "solve writes the .env)",
                                  join(layers, ", "), format_mib(plan->vram_bytes));
            } else if (plan) {
                std::vector<std::string> fixes;
                for (std::size_t i = 0; i < plan->fixes.size() && i < 3; ++i) {
                    fixes.push_back(fmt::format("{} (frees {} MiB)", plan->fixes[i].change,
                                                format_mib(plan->fixes[i].frees_bytes)));
                }
                fixes.push_back("fewer services on this GPU");
                fix = fmt::format("even with no layers on the GPU they need {} MiB; try {}",
                                  format_mib(plan->vram_bytes), join(fixes, "; "));
            } else {
                fix = "a smaller --reserve or --headroom: together they take the whole GPU";
            }
            // Point at the service whose layers the fix lowers most (where the change is).
            const CheckedService* at = members.front();
            long most = 0;
            for (const CheckedService* c : members) {
                const auto n = planned(c->name);
                const long drop =
                    n ? static_cast<long>(c->estimate->n_gpu_layers) - static_cast<long>(*n) : 0;
                if (drop > most) {
                    most = drop;
                    at = c;
                }
            }
            add(Severity::error, "gpu-memory", at->name, at->pos,
                fmt::format("{} need {} MiB on GPU {}; the {} has {} MiB, less {} MiB reserved "
                            "and {} MiB headroom: {} MiB",
                            names, format_mib(g.vram_bytes), device, m_options.gpu.name,
                            total >> 20, m_options.reserve_bytes >> 20, g.headroom_bytes >> 20,
                            g.budget_bytes >> 20),
                fix);
        } else if (m_options.headroom.size() > 0 && total - m_options.reserve_bytes - g.vram_bytes <
                                                        headroom_bytes("", total, processes)) {
            add(Severity::warning, "headroom", members.front()->name, members.front()->pos,
                fmt::format("{} MiB stay free on GPU {}, less than the default margin of {} MiB "
                            "(--headroom lowered it): the estimate's error and other programs "
                            "can eat it",
                            format_mib(total - m_options.reserve_bytes - g.vram_bytes), device,
                            headroom_bytes("", total, processes) >> 20),
                "keep the default --headroom, or put fewer layers on the GPU");
        }

        for (const CheckedService* c : members) {
            const ServerSettings& st = c->args.settings;
            const auto n = planned(c->name);
            const std::string suggestion =
                n ? fmt::format("-ngl {} --fit off (the planned value)", *n)
                  : std::string("an explicit -ngl with --fit off (vramplan solve finds it)");
            if (st.n_gpu_layers == ServerSettings::k_layers_auto) {
                add(Severity::warning, "ngl-auto", c->name, c->pos,
                    "-ngl auto (or no -ngl): the layers llama-server's --fit places depend on "
                    "what else holds GPU memory when it starts",
                    "pass " + suggestion);
                continue;
            }
            if (c->args.fit == std::optional<bool>(false)) {
                continue;
            }
            // --fit on with an explicit -ngl: llama.cpp's fit gives up on a user-set layer count
            // (common/fit.cpp: "n_gpu_layers already set by user to N, abort") and the load
            // goes ahead as given. At start-up the GPU holds what started before.
            std::uint64_t before = m_options.reserve_bytes;
            for (const CheckedService* o : members) {
                if (o != c && starts_after(c->name, o->name)) {
                    before += o->vram_bytes * o->replicas;
                }
            }
            if (c->vram_bytes + before > total) {
                add(Severity::error, "fit-abort", c->name, c->pos,
                    fmt::format("--fit is on (llama-server's default) with -ngl {}, which needs "
                                "{} MiB while {} MiB of the GPU's {} MiB are free when it starts: "
                                "llama.cpp aborts the fit for a user-set -ngl and the load runs "
                                "out of memory",
                                layers_text(st.n_gpu_layers), format_mib(c->vram_bytes),
                                format_mib(before < total ? total - before : 0), total >> 20),
                    "pass " + suggestion);
            }
        }

        // Services that start together race for memory: each needs an order.
        for (std::size_t i = 0; i < members.size(); ++i) {
            for (std::size_t j = i + 1; j < members.size(); ++j) {
                const std::string& a = members[i]->name;
                const std::string& b = members[j]->name;
                if (!starts_after(a, b) && !starts_after(b, a)) {
                    add(Severity::warning, "start-order", b, members[j]->pos,
                        fmt::format("{} and {} share GPU {} and start at the same time", a, b,
                                    device),
                        fmt::format("add to {}: depends_on: {{{}: {{condition: "
                                    "service_healthy}}}}",
                                    b, a));
                }
            }
        }
        m_result.gpus.push_back(std::move(g));
    }

    const ComposeProject& m_project;
    const Catalog& m_catalog;
    const CheckOptions& m_options;
    CheckResult m_result;
    std::vector<const ComposeService*> m_started;
};

} // namespace

std::string_view severity_name(Severity s) {
    return s == Severity::error ? "error" : "warning";
}

std::size_t CheckResult::count(Severity s) const {
    return static_cast<std::size_t>(std::count_if(
        findings.begin(), findings.end(), [s](const Finding& f) { return f.severity == s; }));
}

std::optional<std::vector<std::string>> llama_server_arguments(const ComposeService& s) {
    std::vector<std::string> words = s.entrypoint.value_or(std::vector<std::string>{});
    const auto& command = s.command.value_or(std::vector<std::string>{});
    words.insert(words.end(), command.begin(), command.end());
    if (auto args = after_program(words)) {
        return args;
    }
    if (s.image && is_llama_server_image(*s.image) && !s.entrypoint) {
        return command; // the image's entrypoint is llama-server
    }
    if (s.image && is_llama_full_image(*s.image) && !s.entrypoint && !command.empty() &&
        (command[0] == "--server" || command[0] == "-s")) {
        return std::vector<std::string>(command.begin() + 1, command.end());
    }
    // An image of the user's own (built from a Dockerfile, say) configured the way only
    // llama-server is: by LLAMA_ARG_MODEL.
    if (!s.entrypoint && s.environment.contains("LLAMA_ARG_MODEL")) {
        return command;
    }
    return std::nullopt;
}

CheckResult check_compose(const ComposeProject& project, const Catalog& catalog,
                          const CheckOptions& options) {
    return Checker(project, catalog, options).run();
}

} // namespace vramplan
