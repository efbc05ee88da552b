#include <vramplan/base/error.hpp>
#include <vramplan/base/json_depth.hpp>
#include <vramplan/base/json_output.hpp>
#include <vramplan/base/text_file.hpp>
#include <vramplan/base/units.hpp>
#include <vramplan/compose/dotenv.hpp>
#include <vramplan/compose/shell_words.hpp>
#include <vramplan/model/model.hpp>
#include <vramplan/runtime/http_client.hpp>
#include <vramplan/runtime/subprocess.hpp>
#include <vramplan/runtime/verify.hpp>
#include <vramplan/runtime/vram_sampler.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <thread>

namespace vramplan {

namespace {

using json = nlohmann::json;
using clock = std::chrono::steady_clock;

// A field of the plan JSON, or an error naming it.
const json& field(const json& j, const char* key, const std::string& where,
                  const std::string& source) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        throw Error(ErrorKind::data, source, fmt::format("{}: no '{}'", where, key),
                    "write the plan with `vramplan solve ... --emit json`");
    }
    return *it;
}

template <typename T>
T number(const json& j, const char* key, const std::string& where, const std::string& source) {
    const json& v = field(j, key, where, source);
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() > std::numeric_limits<T>::max()) {
        throw Error(
            ErrorKind::data, source,
            fmt::format("{}: '{}' must be a whole number, found {}", where, key, json_compact(v)));
    }
    return static_cast<T>(v.get<std::uint64_t>());
}

std::string text(const json& j, const char* key, const std::string& where,
                 const std::string& source) {
    const json& v = field(j, key, where, source);
    if (!v.is_string() || v.get<std::string>().empty()) {
        throw Error(ErrorKind::data, source,
                    fmt::format("{}: '{}' must be a text, found {}", where, key, json_compact(v)));
    }
    return v.get<std::string>();
}

std::string mib(std::uint64_t bytes) {
    return format_mib(bytes) + " MiB";
}

std::string signed_mib(std::uint64_t from, std::uint64_t to) {
    return to >= from ? "+" + mib(to - from) : "-" + mib(from - to);
}

VerifyStep step(std::string id, std::string service, std::string title) {
    VerifyStep s;
    s.id = std::move(id);
    s.service = std::move(service);
    s.title = std::move(title);
    return s;
}

VerifyStep skipped(VerifyStep s, std::string why) {
    s.status = StepStatus::skip;
    s.detail = std::move(why);
    return s;
}

const GpuReading* find_gpu(const GpuSnapshot& snap, std::uint32_t index) {
    const auto it = std::find_if(snap.gpus.begin(), snap.gpus.end(),
                                 [&](const GpuReading& g) { return g.index == index; });
    return it == snap.gpus.end() ? nullptr : &*it;
}

// Reads the GPU `index`, or throws ErrorKind::unavailable saying which GPUs there are.
std::pair<GpuSnapshot, GpuReading> read_gpu(GpuReader& gpu, std::uint32_t index) {
    GpuSnapshot snap = gpu.read();
    const GpuReading* g = find_gpu(snap, index);
    if (g == nullptr) {
        throw Error(ErrorKind::unavailable, gpu.source(),
                    fmt::format("no GPU {} (this machine has {})", index, snap.gpus.size()),
                    "pick one with --gpu-index");
    }
    GpuReading copy = *g;
    return {std::move(snap), std::move(copy)};
}

std::set<std::uint32_t> pids_of(const GpuSnapshot& snap) {
    std::set<std::uint32_t> out;
    for (const GpuProcess& p : snap.processes) {
        out.insert(p.pid);
    }
    return out;
}

// Waits until the service answers /health with 200 (llama-server answers 503 while it loads).
// Returns "" when it did, else why not.
std::string wait_for_health(const VerifyService& s, const VerifyOptions& o) {
    const Endpoint e = service_endpoint(o.host, s.port);
    HttpClient client(e);
    const auto deadline = clock::now() + o.start_timeout;
    std::string last = "no answer";
    for (;;) {
        HttpRequest req;
        req.path = "/health";
        req.timeout =
            std::min<std::chrono::milliseconds>(o.start_timeout, std::chrono::seconds(10));
        const HttpResponse r = client.send(req);
        if (r.failure == HttpFailure::none && r.status == 200) {
            return {};
        }
        last = r.failure != HttpFailure::none ? r.message : fmt::format("HTTP {}", r.status);
        if (clock::now() + o.poll >= deadline) {
            return fmt::format(
                "{}/health did not answer 200 within {} s (last: {})", e.origin(),
                std::chrono::duration_cast<std::chrono::seconds>(o.start_timeout).count(), last);
        }
        std::this_thread::sleep_for(o.poll);
    }
}

// Starts (or waits for) one service and compares the memory it took with the prediction.
VerifyStep start_service(const VerifyService& s, const VerifyOptions& o, GpuReader& gpu,
                         const VerifyHooks& hooks) {
    VerifyStep st = step("start", s.name, fmt::format("{} starts within its prediction", s.name));
    st.predicted_bytes = s.vram_bytes;
    const auto [before_snap, before] = read_gpu(gpu, o.gpu_index);
    const std::set<std::uint32_t> before_pids = pids_of(before_snap);
    try {
        if (hooks.start) {
            hooks.start(s);
        }
    } catch (const Error& e) {
        st.status = StepStatus::fail;
        st.detail = fmt::format("could not start it: {}", e.what());
        return st;
    }
    if (hooks.status) {
        hooks.status(fmt::format("{}: waiting for {}/health{}", s.name,
                                 service_endpoint(o.host, s.port).origin(),
                                 hooks.start ? "" : " (start it now)"));
    }
    if (std::string why = wait_for_health(s, o); !why.empty()) {
        st.status = StepStatus::fail;
        st.detail = std::move(why);
        return st;
    }
    std::this_thread::sleep_for(o.settle);
    const auto [after_snap, after] = read_gpu(gpu, o.gpu_index);

    // Per process where the driver says: the processes that appeared since.
    std::uint64_t process_bytes = 0;
    std::vector<std::string> processes;
    bool per_process = false;
    for (const GpuProcess& p : after_snap.processes) {
        if (before_pids.count(p.pid) == 0 && (!p.gpu_index || *p.gpu_index == o.gpu_index)) {
            processes.push_back(fmt::format("pid {} {}: {}", p.pid, p.name,
                                            p.used_bytes ? mib(*p.used_bytes) : "[N/A]"));
            if (p.used_bytes) {
                process_bytes += *p.used_bytes;
                per_process = true;
            }
        }
    }
    const std::uint64_t increase =
        after.used_bytes > before.used_bytes ? after.used_bytes - before.used_bytes : 0;
    st.measured_bytes = per_process ? process_bytes : increase;
    st.detail = fmt::format("GPU {} -> {} ({})", mib(before.used_bytes), mib(after.used_bytes),
                            signed_mib(before.used_bytes, after.used_bytes));
    if (!processes.empty()) {
        st.detail += "; new process " + fmt::format("{}", fmt::join(processes, ", "));
    } else if (!after_snap.processes.empty() || !before_snap.processes.empty()) {
        st.detail += "; no new GPU process seen";
    }
    const bool ok = within_tolerance(s.vram_bytes, *st.measured_bytes, o);
    st.status = ok ? StepStatus::pass : StepStatus::fail;
    if (!ok) {
        st.detail += fmt::format("; {} {} than predicted (tolerance {})",
                                 signed_mib(s.vram_bytes, *st.measured_bytes),
                                 *st.measured_bytes > s.vram_bytes ? "more" : "less",
                                 mib(tolerance_for(s.vram_bytes, o)));
    }
    return st;
}

VerifyStep load_phase(const VerifyPlan& plan, const VerifyOptions& o, GpuReader& gpu,
                      VerifyResult& out, std::uint64_t baseline_bytes) {
    VerifyStep st = step("load", "", "under load: no failures, peak below the GPU minus headroom");
    LoadtestOptions lo = *o.load;
    lo.endpoints.clear();
    for (const VerifyService& s : plan.services) {
        lo.endpoints.push_back(service_endpoint(o.host, s.port));
    }
    std::uint64_t predicted = baseline_bytes;
    for (const VerifyService& s : plan.services) {
        predicted += s.vram_bytes;
    }
    st.predicted_bytes = predicted;
    LoadtestResult r = run_loadtest(lo, &gpu);
    const std::uint64_t limit =
        plan.total_bytes > plan.headroom_bytes ? plan.total_bytes - plan.headroom_bytes : 0;
    const auto peak = std::find_if(r.vram.begin(), r.vram.end(),
                                   [&](const VramPeak& p) { return p.gpu == o.gpu_index; });
    std::size_t failed = 0;
    std::map<std::string, std::size_t> kinds;
    for (const RequestRecord& rec : r.records) {
        if (rec.outcome != Outcome::ok) {
            ++failed;
            ++kinds[std::string(outcome_name(rec.outcome))];
        }
    }
    std::vector<std::string> parts;
    parts.push_back(fmt::format("{} requests, {} failed", r.records.size(), failed));
    for (const auto& [k, n] : kinds) {
        parts.push_back(fmt::format("{} {}", n, k));
    }
    bool ok = failed == 0;
    if (peak != r.vram.end()) {
        st.measured_bytes = peak->peak_used_bytes;
        parts.push_back(fmt::format("peak {} of {} allowed ({} readings)",
                                    mib(peak->peak_used_bytes), mib(limit), r.vram_samples));
        ok = ok && peak->peak_used_bytes <= limit;
    } else {
        parts.push_back("no VRAM reading" + (r.vram_note.empty() ? "" : ": " + r.vram_note));
        ok = false;
    }
    st.status = ok ? StepStatus::pass : StepStatus::fail;
    st.detail = fmt::format("{}", fmt::join(parts, "; "));
    out.load = std::move(r);
    out.load_options = std::move(lo);
    return st;
}

} // namespace

std::string_view step_status_name(StepStatus s) {
    switch (s) {
    case StepStatus::pass: return "pass";
    case StepStatus::fail: return "fail";
    case StepStatus::skip: return "skip";
    }
    return "fail";
}

bool VerifyResult::passed() const {
    return std::none_of(steps.begin(), steps.end(),
                        [](const VerifyStep& s) { return s.status == StepStatus::fail; });
}

std::uint64_t tolerance_for(std::uint64_t predicted, const VerifyOptions& o) {
    const auto fraction = static_cast<std::uint64_t>(
        std::llround(o.tolerance_fraction * static_cast<double>(predicted)));
    return std::max(o.tolerance_bytes, fraction);
}

bool within_tolerance(std::uint64_t predicted, std::uint64_t measured, const VerifyOptions& o) {
    const std::uint64_t diff = measured > predicted ? measured - predicted : predicted - measured;
    return diff <= tolerance_for(predicted, o);
}

Endpoint service_endpoint(const std::string& host, std::uint16_t port) {
    const bool v6 = host.find(':') != std::string::npos && !host.starts_with('[');
    return parse_endpoint(
        fmt::format("http://{}{}{}:{}", v6 ? "[" : "", host, v6 ? "]" : "", port));
}

VerifyPlan verify_plan_from_json(std::string_view text_in, const std::string& source) {
    // Checked before parsing: printing or comparing a value recurses once per level.
    if (!json_depth_within(text_in)) {
        throw Error(ErrorKind::data, source,
                    fmt::format("not a JSON plan: nested deeper than {} levels", k_json_max_depth),
                    "write one with `vramplan solve ... --emit json > plan.json`");
    }
    const json j = json::parse(text_in, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        throw Error(ErrorKind::data, source, "not a JSON plan",
                    "write one with `vramplan solve ... --emit json > plan.json`");
    }
    VerifyPlan plan;
    plan.source = source;
    const json& gpu = field(j, "gpu", "the plan", source);
    plan.gpu = gpu.contains("name") && gpu["name"].is_string() ? gpu["name"].get<std::string>()
                                                               : std::string();
    plan.total_bytes = number<std::uint64_t>(gpu, "total_bytes", "gpu", source);
    plan.headroom_bytes = number<std::uint64_t>(gpu, "headroom_bytes", "gpu", source);
    const json& services = field(j, "services", "the plan", source);
    if (!services.is_array() || services.empty()) {
        throw Error(ErrorKind::data, source, "'services' must be a list of planned services");
    }
    if (j.contains("fits") && j["fits"] == false) {
        throw Error(ErrorKind::data, source, "this plan does not fit its GPU",
                    "solve again until it fits (the plan lists the fixes), then verify that");
    }
    for (std::size_t i = 0; i < services.size(); ++i) {
        const json& s = services[i];
        const std::string where = fmt::format("services[{}]", i);
        VerifyService v;
        v.name = text(s, "name", where, source);
        v.file = text(s, "file", where, source);
        v.vram_bytes = number<std::uint64_t>(s, "vram_bytes", where, source);
        v.port = number<std::uint16_t>(s, "port", where, source);
        if (s.contains("file_bytes") && !s["file_bytes"].is_null()) {
            v.file_bytes = number<std::uint64_t>(s, "file_bytes", where, source);
        }
        if (s.contains("layers_total")) {
            const auto total = number<std::uint32_t>(s, "layers_total", where, source);
            if (total > 0) {
                v.n_layer = total - 1; // the output layer is counted as llama.cpp does
            }
        }
        if (s.contains("env")) {
            const json& env = s["env"];
            if (!env.is_object()) {
                throw Error(ErrorKind::data, source, where + ": 'env' must be an object");
            }
            for (const auto& [k, value] : env.items()) {
                v.env.emplace_back(k, value.is_string() ? value.get<std::string>()
                                                        : json_compact(value));
            }
        }
        plan.services.push_back(std::move(v));
    }
    return plan;
}

std::string up_command(std::string_view command, const VerifyService& s) {
    // The name goes into a shell command line: quoted, so that it is one word and nothing in it
    // (; $ ` ' spaces) is shell syntax, whatever checked it before.
    constexpr std::string_view placeholder = "{service}";
    const std::string quoted = shell_quote(s.name);
    std::string cmd;
    std::size_t from = 0;
    for (std::size_t at; (at = command.find(placeholder, from)) != std::string_view::npos;
         from = at + placeholder.size()) {
        cmd.append(command.substr(from, at - from)).append(quoted);
    }
    return cmd.append(command.substr(from));
}

VerifyPlan verify_plan_from_check(const CheckResult& r, const ComposeProject& project) {
    VerifyPlan plan;
    plan.source = r.compose_file;
    plan.gpu = r.gpu.name;
    plan.total_bytes = r.gpu.total_bytes();
    const std::string device = r.gpus.empty() ? std::string() : r.gpus.front().device;
    plan.headroom_bytes = r.gpus.empty() ? 0 : r.gpus.front().headroom_bytes;
    for (const CheckedService& c : r.services) {
        if (c.gpu_device != device || !c.estimate || !c.model) {
            continue; // CPU-only, another GPU, or not estimated (check reports why)
        }
        VerifyService v;
        v.name = c.name;
        v.file = c.model->file;
        if (c.model->source == "catalog") { // with --models-dir it was read from that file
            v.file_bytes = c.model->file_bytes;
        }
        v.n_layer = c.model->spec().n_layer;
        v.vram_bytes = c.vram_bytes * c.replicas;
        for (const ComposeService& s : project.services) {
            if (s.name == c.name && !s.ports.empty()) {
                v.port = static_cast<std::uint16_t>(s.ports.front().host_port);
            }
        }
        plan.services.push_back(std::move(v));
    }
    if (plan.services.empty()) {
        throw Error(ErrorKind::data, r.compose_file, "no llama-server service with a GPU to verify",
                    "`vramplan check` shows what was found and why");
    }
    return plan;
}

VerifyStep check_model_file(const VerifyService& s, const std::filesystem::path& models_dir) {
    VerifyStep st = step("model-file", s.name, fmt::format("model file {}", s.file));
    const std::filesystem::path path = models_dir / s.file;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        st.status = StepStatus::fail;
        st.detail = fmt::format("{} does not exist", path.string());
        return st;
    }
    const std::uint64_t size = std::filesystem::file_size(path, ec);
    if (s.file_bytes && size != *s.file_bytes) {
        st.status = StepStatus::fail;
        st.detail = fmt::format("{} bytes, the planned file has {} (another upload or a partial "
                                "download?)",
                                size, *s.file_bytes);
        return st;
    }
    try {
        const ModelSpec m = read_model(path);
        if (s.n_layer && m.n_layer != *s.n_layer) {
            st.status = StepStatus::fail;
            st.detail = fmt::format("{} layers in its header, the plan has {}: not the planned "
                                    "model",
                                    m.n_layer, *s.n_layer);
            return st;
        }
        st.detail = fmt::format(
            "{} bytes{}, GGUF header: {} {}, {} layers", size, s.file_bytes ? " as planned" : "",
            m.architecture, m.file_type ? file_type_name(*m.file_type) : "unknown type", m.n_layer);
    } catch (const Error& e) {
        st.status = StepStatus::fail;
        st.detail = e.what();
    }
    return st;
}

VerifyStep check_env_values(const VerifyPlan& plan, std::string_view env_text,
                            const std::string& source, const VariableLookup& environment) {
    VerifyStep st = step("env", "", fmt::format("{} holds the planned values", source));
    const VariableLookup none = [](std::string_view) { return std::optional<std::string>(); };
    std::map<std::string, std::string> values;
    for (const EnvEntry& e : parse_dotenv(env_text, source, environment ? environment : none)) {
        if (e.value) {
            values[e.name] = *e.value;
        }
    }
    std::vector<std::string> wrong;
    std::size_t checked = 0;
    for (const VerifyService& s : plan.services) {
        for (const auto& [key, want] : s.env) {
            ++checked;
            const auto it = values.find(key);
            if (it == values.end()) {
                wrong.push_back(fmt::format("{} is not set (planned {})", key, want));
            } else if (it->second != want) {
                wrong.push_back(fmt::format("{}={}, planned {}", key, it->second, want));
            }
        }
    }
    if (checked == 0) {
        return skipped(std::move(st), "the plan lists no .env values");
    }
    st.status = wrong.empty() ? StepStatus::pass : StepStatus::fail;
    st.detail = wrong.empty() ? fmt::format("{} values as planned", checked)
                              : fmt::format("{}", fmt::join(wrong, "; "));
    return st;
}

VerifyResult run_verify(const VerifyPlan& plan, const VerifyOptions& o, GpuReader* gpu,
                        const VerifyHooks& hooks) {
    VerifyResult out;
    out.plan_source = plan.source;

    // 1. The model files.
    for (const VerifyService& s : plan.services) {
        out.steps.push_back(
            o.models_dir ? check_model_file(s, *o.models_dir)
                         : skipped(step("model-file", s.name, "model file " + s.file),
                                   "pass --models-dir (the host folder mounted at /models)"));
    }
    // 2. The .env.
    const bool env_planned = std::any_of(plan.services.begin(), plan.services.end(),
                                         [](const VerifyService& s) { return !s.env.empty(); });
    if (o.env_file && env_planned) {
        out.steps.push_back(check_env_values(plan, read_text_file(*o.env_file),
                                             o.env_file->string(), o.environment));
    } else {
        out.steps.push_back(skipped(step("env", "", ".env holds the planned values"),
                                    env_planned ? "pass --env-file"
                                                : "the plan lists no .env values (a compose "
                                                  "file's plan is read from its .env)"));
    }
    if (o.files_only) {
        return out;
    }
    if (gpu == nullptr) {
        throw Error(ErrorKind::internal, {}, "run_verify needs a GPU reader");
    }
    out.gpu_source = gpu->source();

    // 3. The GPU the plan was made for, and what is in use before anything starts.
    std::optional<VramSampler> watch;
    if (hooks.on_reading) {
        watch.emplace(*gpu, std::chrono::milliseconds(1000), hooks.on_reading);
    }
    const auto [snap, baseline] = read_gpu(*gpu, o.gpu_index);
    out.gpu_name = baseline.name;
    VerifyStep g = step("gpu", "", "the GPU is the one planned for");
    g.predicted_bytes = plan.total_bytes;
    g.measured_bytes = baseline.total_bytes;
    const std::uint64_t diff = baseline.total_bytes > plan.total_bytes
                                   ? baseline.total_bytes - plan.total_bytes
                                   : plan.total_bytes - baseline.total_bytes;
    g.status = diff <= (16ULL << 20) ? StepStatus::pass : StepStatus::fail;
    g.detail = fmt::format(
        "GPU {} {}: {} in all{}", baseline.index, baseline.name, mib(baseline.total_bytes),
        g.status == StepStatus::pass
            ? std::string()
            : fmt::format(", the plan ({}) expects {}", plan.gpu.empty() ? "its GPU" : plan.gpu,
                          mib(plan.total_bytes)));
    out.steps.push_back(g);

    VerifyStep b = step("baseline", "", "VRAM in use before the services start");
    b.predicted_bytes = o.baseline_limit_bytes;
    b.measured_bytes = baseline.used_bytes;
    b.status = baseline.used_bytes < o.baseline_limit_bytes ? StepStatus::pass : StepStatus::fail;
    b.detail = fmt::format(
        "{} in use, the limit is {}{}", mib(baseline.used_bytes), mib(o.baseline_limit_bytes),
        b.status == StepStatus::pass ? ""
                                     : " (something else holds the GPU: stop it, or plan with "
                                       "--reserve)");
    out.steps.push_back(b);

    // 4. Each service, in the planned order.
    bool all_started = true;
    for (const VerifyService& s : plan.services) {
        VerifyStep st = start_service(s, o, *gpu, hooks);
        all_started = all_started && st.status != StepStatus::fail;
        out.steps.push_back(std::move(st));
    }

    // 5. Load.
    if (o.load) {
        if (all_started) {
            out.steps.push_back(load_phase(plan, o, *gpu, out, baseline.used_bytes));
        } else {
            out.steps.push_back(
                skipped(step("load", "", "under load"), "a service did not start as planned"));
        }
    }
    if (watch) {
        watch->stop();
    }
    return out;
}

} // namespace vramplan
