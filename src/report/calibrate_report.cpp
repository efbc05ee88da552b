#include <vramplan/base/json_output.hpp>
#include <vramplan/base/text_table.hpp>
#include <vramplan/base/units.hpp>
#include <vramplan/report/calibrate_report.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <charconv>

namespace vramplan {

namespace {

// "+3.00", "-0.01" or "exact": predicted against logged, in MiB at llama.cpp's two decimals.
std::string difference(const CalibrationRow& r) {
    if (!r.logged_mib) {
        return "not logged";
    }
    if (!r.predicted) {
        return "not predicted";
    }
    if (r.exact()) {
        return "exact";
    }
    double logged = 0;
    std::from_chars(r.logged_mib->data(), r.logged_mib->data() + r.logged_mib->size(), logged);
    const double ours = std::stod(r.predicted_mib());
    return fmt::format("{:+.2f}", ours - logged);
}

std::string signed_mib(std::int64_t bytes) {
    const std::string m = format_mib(static_cast<std::uint64_t>(bytes < 0 ? -bytes : bytes));
    return bytes < 0 ? "-" + m : m;
}

std::string key(const CalibrationRow& r) {
    return std::string(buffer_kind_name(r.kind)) + " " + r.buffer;
}

} // namespace

std::string render_calibration_text(const Calibration& c, const CalibrationSubject& s) {
    std::string out;
    out += fmt::format("log       {} ({} of {} lines read)\n", s.log_name, s.log->lines_used,
                       s.log->lines);
    out += fmt::format("model     {} ({})\n", s.model, s.model_how);
    out += fmt::format("settings  {} (as the log reports them)\n", settings_flags(c.settings));
    if (!s.log->gpu_name.empty() || s.gpu != nullptr) {
        out += fmt::format("GPU       {}{}\n",
                           s.log->gpu_name.empty() ? "not named in the log" : s.log->gpu_name,
                           s.gpu != nullptr ? ": profile " + s.gpu->name : ": no profile");
    }
    out += "\n";
    TextTable t({{"buffer"},
                 {"logged MiB", TextTable::Align::right},
                 {"vramplan MiB", TextTable::Align::right},
                 {"difference", TextTable::Align::right}});
    std::size_t logged = 0;
    for (const auto& r : c.rows) {
        t.add_row({key(r), r.logged_mib.value_or("-"), r.predicted_mib(), difference(r)});
        logged += r.logged_mib ? 1U : 0U;
    }
    out += t.render();
    out += fmt::format("\n  {} of {} logged buffers exact", c.exact_rows(), logged);
    out += c.logged_gpu_bytes > 0
               ? fmt::format("; GPU buffers: logged {} MiB, vramplan {} MiB\n",
                             format_mib(c.logged_gpu_bytes), format_mib(c.predicted_gpu_bytes))
               : "\n";
    if (c.runtime_overhead_bytes) {
        out += fmt::format("  runtime overhead: {} MiB measured - {} MiB of GPU buffers = {} MiB "
                           "outside the buffers",
                           format_mib(*c.measured_bytes), format_mib(c.logged_gpu_bytes),
                           signed_mib(*c.runtime_overhead_bytes));
        if (s.gpu != nullptr) {
            out += fmt::format("; profile {} has {} MiB ({})", s.gpu->name,
                               s.gpu->runtime_overhead_mib,
                               s.gpu->runtime_overhead_measured ? "measured" : "estimated");
        }
        out += "\n";
        if (*c.runtime_overhead_bytes < 0) {
            out += "  the measurement is smaller than the logged buffers: was it read for this "
                   "process, after it loaded?\n";
        }
    } else if (c.logged_gpu_bytes > 0) {
        out += "  runtime overhead: not derived; give --measured-mib (what nvidia-smi shows for "
               "this process) or --pid\n";
    }
    if (!s.saved_to.empty()) {
        out += fmt::format("  saved to {}: plans for {} now use the measured overhead\n",
                           s.saved_to, s.gpu->name);
    }
    return out;
}

std::string render_calibration_json(const Calibration& c, const CalibrationSubject& s) {
    using json = nlohmann::ordered_json;
    json rows = json::array();
    for (const auto& r : c.rows) {
        rows.push_back({{"kind", buffer_kind_name(r.kind)},
                        {"buffer", r.buffer},
                        {"on_gpu", r.on_gpu},
                        {"logged_mib", r.logged_mib ? json(*r.logged_mib) : json(nullptr)},
                        {"vramplan_mib", r.predicted ? json(r.predicted_mib()) : json(nullptr)},
                        {"vramplan_bytes", r.predicted ? json(*r.predicted) : json(nullptr)},
                        {"exact", r.exact()}});
    }
    const auto opt = [](const auto& v) { return v ? json(*v) : json(nullptr); };
    const json j{{"log", s.log_name},
                 {"lines", s.log->lines},
                 {"lines_used", s.log->lines_used},
                 {"model", {{"name", s.model}, {"how", s.model_how}}},
                 {"settings", settings_flags(c.settings)},
                 {"gpu",
                  {{"logged_name", s.log->gpu_name},
                   {"profile", s.gpu != nullptr ? json(s.gpu->name) : json(nullptr)}}},
                 {"buffers", rows},
                 {"exact", c.exact_rows()},
                 {"gpu_buffers_logged_bytes", c.logged_gpu_bytes},
                 {"gpu_buffers_vramplan_bytes", c.predicted_gpu_bytes},
                 {"graph_nodes_logged", opt(c.logged_graph_nodes)},
                 {"measured_bytes", opt(c.measured_bytes)},
                 {"runtime_overhead_bytes", opt(c.runtime_overhead_bytes)},
                 {"saved_to", s.saved_to.empty() ? json(nullptr) : json(s.saved_to)}};
    return json_output(j);
}

} // namespace vramplan
