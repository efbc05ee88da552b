#include <vramplan/base/atomic_file.hpp>
#include <vramplan/base/error.hpp>
#include <vramplan/base/json_output.hpp>
#include <vramplan/base/strings.hpp>
#include <vramplan/base/text_table.hpp>
#include <vramplan/base/units.hpp>
#include <vramplan/plan/services.hpp>
#include <vramplan/report/plan_report.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

#ifndef VRAMPLAN_VERSION
#define VRAMPLAN_VERSION "dev"
#endif

namespace vramplan {

namespace {

std::uint64_t sum_of(const ServicePlan& s, BufferKind kind, bool gpu) {
    return s.estimate.bytes_of(kind, gpu);
}

std::string percent(double f) {
    return fmt::format("{:.0f}%", f * 100.0);
}

std::string prompt_speed(const SpeedEstimate& s) {
    return s.prompt_tokens_per_s > 0 ? fmt::format("{:.0f}", s.prompt_tokens_per_s)
                                     : std::string("n/a");
}

// Where the printed speeds come from: the peak rates and each service's typical request.
std::string speed_basis(const Plan& p, const PlanContext& c) {
    std::vector<std::string> requests;
    for (const auto& s : p.services) {
        requests.push_back(fmt::format("{} {}+{}", s.request.name, s.speed.workload.prompt_tokens,
                                       s.speed.workload.generated_tokens));
    }
    std::string out = fmt::format(
        "speeds: upper bounds from peak rates, to compare plans (docs/solver.md). Generation: "
        "memory bandwidth (GPU {:.0f} GB/s, host {:.1f} GB/s).\n",
        c.rates.gpu_bandwidth_gb_s, c.rates.host_bandwidth_gb_s);
    if (c.rates.gpu_tflops > 0) {
        out += fmt::format("  prompts: GPU tensor compute ({:.1f} TFLOPS FP16), the weights of "
                           "layers left in host RAM copied over PCIe ({:.1f} GB/s) per "
                           "micro-batch.\n",
                           c.rates.gpu_tflops, c.rates.pcie_gb_s);
    } else {
        out += "  prompts: not estimated (the GPU profile has no compute figures).\n";
    }
    out += fmt::format("  'of full': one request (prompt+generated tokens: {}) with all layers "
                       "on the GPU, over the time it takes in this plan.\n",
                       join(requests, ", "));
    return out;
}

std::string header(const PlanContext& c, const Plan& p) {
    return fmt::format("{} {}: {}\n# GPU {} MiB; planned VRAM {} MiB; headroom left {} MiB\n",
                       k_written_by, VRAMPLAN_VERSION, escape_control(c.command),
                       p.total_bytes >> 20, format_mib(p.vram_bytes),
                       p.fits ? format_mib(p.budget_bytes - p.vram_bytes) : std::string("none"));
}

std::uint64_t container_memory_mib(const ServicePlan& s, const PlanContext& c) {
    const std::uint64_t base = c.deployment != nullptr ? c.deployment->container_memory_mib : 0;
    return recommended_container_memory_mib(s.host_bytes, base);
}

} // namespace

// A .env value as both Compose's .env reader (compose-go) and vramplan's read it back unchanged:
// bare when made of characters no reader treats specially, else in single quotes (literal for
// both, no interpolation). What neither can hold literally (a ' or \ inside quotes, a control
// character such as a newline, which would start a line of its own) is refused.
std::string env_file_value(const std::string& key, const std::string& value) {
    const auto bare = [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '.' || ch == '_' ||
               ch == '-' || ch == '/' || ch == ':' || ch == '@' || ch == '%' || ch == '+' ||
               ch == ',' || ch == '=';
    };
    if (!value.empty() && std::all_of(value.begin(), value.end(), bare)) {
        return value;
    }
    const bool quotable = std::none_of(value.begin(), value.end(), [](char ch) {
        const auto u = static_cast<unsigned char>(ch);
        return ch == '\'' || ch == '\\' || u < 0x20 || u == 0x7f;
    });
    if (!quotable) {
        throw Error(
            ErrorKind::usage, key,
            fmt::format("{} cannot be written to a .env file unchanged", quote_value(value)),
            "rename the file without quotes, backslashes or control characters");
    }
    return "'" + value + "'";
}

// A YAML double-quoted scalar for a compose file: `literal` with its $ doubled, so that Compose's
// interpolation gives it back unchanged, then `reference` (a ${VAR} Compose is to interpolate).
// Control characters are escaped, never written raw.
std::string compose_quoted(std::string_view literal, std::string_view reference) {
    std::string out = "\"";
    for (const char ch : literal) {
        const auto u = static_cast<unsigned char>(ch);
        if (ch == '"' || ch == '\\') {
            out += '\\';
            out += ch;
        } else if (ch == '$') {
            out += "$$";
        } else if (u < 0x20 || u == 0x7f) {
            out += fmt::format("\\x{:02x}", u);
        } else {
            out += ch;
        }
    }
    return out + std::string(reference) + "\"";
}

PlanContext plan_context(const SolveOptions& options, const Deployment* deployment,
                         std::string command) {
    PlanContext c;
    c.deployment = deployment;
    c.command = std::move(command);
    c.rates = compute_rates(options, ServiceRequest{});
    c.reserve_bytes = options.reserve_bytes;
    c.headroom_bytes = options.headroom_bytes;
    c.gpu_name = options.gpu.name;
    c.gpu_display_name = options.gpu.display_name;
    return c;
}

std::vector<std::string> server_flags(const ServicePlan& s, const PlanContext& c) {
    const ServiceRequest& r = s.request;
    const std::string models = c.deployment != nullptr ? c.deployment->models_dir : "/models";
    std::vector<std::string> f{"--host",
                               "0.0.0.0",
                               "--port",
                               std::to_string(r.port),
                               "--model",
                               models + "/" + r.model.file,
                               "--n-gpu-layers",
                               std::to_string(s.n_gpu_layers),
                               "-c",
                               std::to_string(s.estimate.context.n_ctx),
                               "-b",
                               std::to_string(r.settings.n_batch)};
    if (r.threads > 0) {
        f.insert(f.end(), {"-t", std::to_string(r.threads)});
    }
    f.insert(f.end(), {"--parallel", std::to_string(s.estimate.context.n_seq_max)});
    if (r.cont_batching) {
        f.emplace_back("--cont-batching");
    }
    if (r.settings.type_k != GgmlType::f16 || r.settings.type_v != GgmlType::f16) {
        f.insert(f.end(), {"-fa", "on", "-ctk", std::string(type_name(r.settings.type_k)), "-ctv",
                           std::string(type_name(r.settings.type_v))});
    }
    f.insert(f.end(), {"--fit", "off"}); // keep the planned layers
    return f;
}

std::string render_plan_text(const Plan& p, const PlanContext& c) {
    std::string out;
    out += fmt::format("GPU budget  {} MiB = {} MiB total - {} MiB reserved - {} MiB headroom\n\n",
                       p.budget_bytes >> 20, p.total_bytes >> 20, c.reserve_bytes >> 20,
                       c.headroom_bytes >> 20);
    TextTable t({{"service"},
                 {"model file"},
                 {"layers", TextTable::Align::right},
                 {"weights", TextTable::Align::right},
                 {"KV", TextTable::Align::right},
                 {"compute", TextTable::Align::right},
                 {"CUDA ctx", TextTable::Align::right},
                 {"VRAM MiB", TextTable::Align::right},
                 {"host MiB", TextTable::Align::right},
                 {"gen tok/s", TextTable::Align::right},
                 {"prompt tok/s", TextTable::Align::right},
                 {"of full", TextTable::Align::right}});
    for (const auto& s : p.services) {
        t.add_row({s.request.name, s.request.model.file,
                   fmt::format("{}/{}", s.n_gpu_layers, s.estimate.layers_total),
                   format_mib(sum_of(s, BufferKind::model, true)),
                   format_mib(sum_of(s, BufferKind::kv, true)),
                   format_mib(sum_of(s, BufferKind::compute, true)),
                   format_mib(sum_of(s, BufferKind::runtime, true)), format_mib(s.vram_bytes),
                   format_mib(s.host_bytes), fmt::format("{:.1f}", s.speed.tokens_per_s),
                   prompt_speed(s.speed), percent(s.speed.fraction_of_full())});
    }
    out += t.render() + "\n";
    for (const auto& s : p.services) {
        for (const auto& change : s.changes) {
            out +=
                fmt::format("  changed     {}: {} (allowed by --allow)\n", s.request.name, change);
        }
    }
    if (p.fits) {
        out += fmt::format("  GPU total   {} MiB of the {} MiB budget: fits, {} MiB headroom left "
                           "beyond the {} MiB kept free\n",
                           format_mib(p.vram_bytes), p.budget_bytes >> 20,
                           format_mib(p.budget_bytes - p.vram_bytes), c.headroom_bytes >> 20);
        out += fmt::format("  nvidia-smi  about {} MiB in use with every service up ({} MiB of "
                           "services + {} MiB reserved), plus what llama.cpp's CUDA pool grows "
                           "to under load\n",
                           format_mib(p.vram_bytes + c.reserve_bytes), format_mib(p.vram_bytes),
                           c.reserve_bytes >> 20);
    } else {
        out += fmt::format("  DOES NOT FIT: at their minimum the services need {} MiB; the GPU "
                           "offers {} MiB ({} MiB more needed)\n",
                           format_mib(p.vram_bytes), p.budget_bytes >> 20,
                           format_mib(p.vram_bytes - p.budget_bytes));
        if (!p.fixes.empty()) {
            out += "  changes that free VRAM (at the minimum layers), largest first:\n";
            for (const auto& f : p.fixes) {
                out +=
                    fmt::format("    {:<48} frees {} MiB\n", f.change, format_mib(f.frees_bytes));
            }
        }
        out += "  or: a smaller model, a smaller --headroom (less safety margin), or a GPU with "
               "more memory\n";
    }
    out += "\n" + speed_basis(p, c);
    return out;
}

std::string render_plan_json(const Plan& p, const PlanContext& c) {
    using json = nlohmann::ordered_json;
    json services = json::array();
    for (const auto& s : p.services) {
        json env = json::object();
        for (const auto& [key, value] : plan_env_values(s)) {
            env[key] = value;
        }
        services.push_back(
            {{"name", s.request.name},
             {"role", s.request.role},
             {"model", s.request.model.label},
             {"quant", s.request.model.quant},
             {"file", s.request.model.file},
             {"file_bytes",
              s.request.model.file_bytes ? json(*s.request.model.file_bytes) : json(nullptr)},
             {"port", s.request.port},
             {"n_gpu_layers", s.n_gpu_layers},
             {"layers_total", s.estimate.layers_total},
             {"vram_bytes", s.vram_bytes},
             {"host_bytes", s.host_bytes},
             {"weights_gpu_bytes", sum_of(s, BufferKind::model, true)},
             {"kv_gpu_bytes", sum_of(s, BufferKind::kv, true)},
             {"compute_gpu_bytes", sum_of(s, BufferKind::compute, true)},
             {"runtime_bytes", sum_of(s, BufferKind::runtime, true)},
             {"tokens_per_s", s.speed.tokens_per_s},
             {"prompt_tokens_per_s", s.speed.prompt_tokens_per_s},
             {"speed_vs_full", s.speed.fraction_of_full()},
             {"generation_vs_full", s.speed.generation_fraction_of_full()},
             {"prompt_vs_full", s.speed.prompt_fraction_of_full()},
             {"request",
              {{"prompt_tokens", s.speed.workload.prompt_tokens},
               {"generated_tokens", s.speed.workload.generated_tokens},
               {"seconds", s.speed.request_seconds},
               {"full_offload_seconds", s.speed.full_offload_request_seconds}}},
             {"container_memory_mib", container_memory_mib(s, c)},
             {"changes", s.changes},
             {"flags", server_flags(s, c)},
             {"env", env}});
    }
    json fixes = json::array();
    for (const auto& f : p.fixes) {
        fixes.push_back({{"change", f.change}, {"frees_bytes", f.frees_bytes}});
    }
    const json j{{"gpu",
                  {{"name", c.gpu_name},
                   {"display_name", c.gpu_display_name},
                   {"total_bytes", p.total_bytes},
                   {"reserved_bytes", c.reserve_bytes},
                   {"headroom_bytes", c.headroom_bytes},
                   {"budget_bytes", p.budget_bytes}}},
                 {"services", services},
                 {"vram_bytes_total", p.vram_bytes},
                 {"fits", p.fits},
                 {"fixes", fixes}};
    return json_output(j);
}

std::vector<std::pair<std::string, std::string>> plan_env_values(const ServicePlan& s) {
    const std::string v = env_prefix(s.request);
    return {{v + "_MODEL", s.request.model.file},
            {v + "_N_GPU_LAYERS", std::to_string(s.n_gpu_layers)},
            {v + "_CTX_SIZE", std::to_string(s.estimate.context.n_ctx)}};
}

std::string render_plan_env(const Plan& p, const PlanContext& c) {
    std::string out = header(c, p);
    for (const auto& s : p.services) {
        for (const auto& [key, value] : plan_env_values(s)) {
            out += fmt::format("{}={}\n", key, env_file_value(key, value));
        }
    }
    // Settings a user adds below this line (a token, an override) survive the next --out-dir.
    return out + std::string(k_user_lines_marker) + "\n";
}

std::string render_plan_compose(const Plan& p, const PlanContext& c) {
    std::string out = header(c, p);
    out += "# Variables come from .env (the same command with --emit env); --fit off keeps the\n"
           "# planned layers. Start order: the first service before the others.\n";
    out += "services:\n";
    const std::string image =
        c.deployment != nullptr ? c.deployment->image : "ghcr.io/ggml-org/llama.cpp:server-cuda";
    const std::string models = c.deployment != nullptr ? c.deployment->models_dir : "/models";
    for (std::size_t i = 0; i < p.services.size(); ++i) {
        const ServicePlan& s = p.services[i];
        const std::string v = env_prefix(s.request);
        // The name was checked on the way in (service_name.hpp): it is a plain YAML key.
        out += fmt::format("  {}:\n    image: {}\n    command:\n", s.request.name,
                           compose_quoted(image));
        // The values the .env carries are referenced, not repeated.
        const std::vector<std::string> flags = server_flags(s, c);
        for (std::size_t k = 0; k < flags.size(); ++k) {
            const std::string& prev = k > 0 ? flags[k - 1] : std::string();
            std::string f = compose_quoted(flags[k]);
            if (prev == "--model") {
                f = compose_quoted(models + "/", "${" + v + "_MODEL}");
            } else if (prev == "--n-gpu-layers") {
                f = compose_quoted("", "${" + v + "_N_GPU_LAYERS}");
            } else if (prev == "-c") {
                f = compose_quoted("", "${" + v + "_CTX_SIZE}");
            }
            out += fmt::format("      - {}\n", f);
        }
        out += fmt::format("    ports:\n      - \"{0}:{0}\"\n", s.request.port);
        out +=
            fmt::format("    volumes:\n      - {}\n", compose_quoted("./models:" + models + ":ro"));
        out += "    deploy:\n      resources:\n        limits:\n";
        if (c.deployment != nullptr && c.deployment->container_cpus > 0) {
            out += fmt::format("          cpus: \"{}\"\n", c.deployment->container_cpus);
        }
        out += fmt::format("          memory: {}M\n", container_memory_mib(s, c));
        out += "        reservations:\n          devices:\n            - driver: nvidia\n"
               "              count: 1\n              capabilities: [gpu]\n";
        out += fmt::format("    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", "
                           "\"http://localhost:{}/health\"]\n      interval: 10s\n      timeout: "
                           "5s\n      retries: 30\n      start_period: 30s\n",
                           s.request.port);
        if (i > 0) {
            out += fmt::format("    depends_on:\n      {}:\n        condition: service_healthy\n",
                               p.services[0].request.name);
        }
    }
    return out;
}

std::string render_plan_markdown(const Plan& p, const PlanContext& c) {
    TextTable t({{"service"},
                 {"model file"},
                 {"layers on GPU"},
                 {"VRAM MiB"},
                 {"host MiB"},
                 {"gen tok/s (bound)"},
                 {"prompt tok/s (bound)"},
                 {"of full offload"}});
    for (const auto& s : p.services) {
        t.add_row({s.request.name, s.request.model.file,
                   fmt::format("{}/{}", s.n_gpu_layers, s.estimate.layers_total),
                   format_mib(s.vram_bytes), format_mib(s.host_bytes),
                   fmt::format("{:.1f}", s.speed.tokens_per_s), prompt_speed(s.speed),
                   percent(s.speed.fraction_of_full())});
    }
    std::string out = t.render_markdown();
    out += fmt::format("\nGPU {} MiB, budget {} MiB after {} MiB reserved and {} MiB headroom; "
                       "planned {} MiB: {}.\n",
                       p.total_bytes >> 20, p.budget_bytes >> 20, c.reserve_bytes >> 20,
                       c.headroom_bytes >> 20, format_mib(p.vram_bytes),
                       p.fits ? "fits" : "does not fit");
    return out;
}

} // namespace vramplan
