#include <vramplan/base/json_output.hpp>
#include <vramplan/base/strings.hpp>
#include <vramplan/base/text_table.hpp>
#include <vramplan/base/units.hpp>
#include <vramplan/report/check_report.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace vramplan {

namespace {

std::string layers_cell(const CheckedService& s) {
    if (!s.estimate) {
        return "-";
    }
    return fmt::format("{}/{}", s.estimate->n_gpu_layers, s.estimate->layers_total);
}

std::string mib_cell(const CheckedService& s, std::uint64_t bytes) {
    return s.estimate ? format_mib(bytes) : "-";
}

std::string summary(const CheckResult& r, bool strict) {
    const std::size_t e = r.count(Severity::error);
    const std::size_t w = r.count(Severity::warning);
    return fmt::format("check {}: {} error{}, {} warning{}{}\n",
                       check_passed(r, strict) ? "passed" : "failed", e, e == 1 ? "" : "s", w,
                       w == 1 ? "" : "s", strict ? " (--strict: warnings fail too)" : "");
}

// GitHub's workflow-command escaping: data escapes % CR LF; properties also : and ,.
std::string escape_data(const std::string& s) {
    std::string out;
    for (const char c : s) {
        switch (c) {
        case '%': out += "%25"; break;
        case '\r': out += "%0D"; break;
        case '\n': out += "%0A"; break;
        default: out += c;
        }
    }
    return out;
}

std::string escape_property(const std::string& s) {
    std::string out;
    for (const char c : escape_data(s)) {
        switch (c) {
        case ':': out += "%3A"; break;
        case ',': out += "%2C"; break;
        default: out += c;
        }
    }
    return out;
}

// The text report runs in CI logs, where a runner such as GitHub Actions treats any output line
// beginning with "::" as a command to it. Values from the compose file have their control
// characters escaped (so they start no line); a line that still begins with "::" after its
// blanks gets its first colon escaped.
std::string defuse_workflow_commands(const std::string& text) {
    std::string out;
    for (const auto line : lines_of(text)) {
        const std::size_t start = line.find_first_not_of(" \t");
        if (start != std::string_view::npos && line.substr(start).starts_with("::")) {
            out +=
                std::string(line.substr(0, start)) + "\\x3a" + std::string(line.substr(start + 1));
        } else {
            out += line;
        }
        out += '\n';
    }
    return out;
}

} // namespace

bool check_passed(const CheckResult& r, bool strict) {
    return r.count(Severity::error) == 0 && (!strict || r.count(Severity::warning) == 0);
}

std::string render_check_text(const CheckResult& r, bool strict) {
    std::string out = fmt::format("compose   {}\ngpu       {} ({}, {} MiB); {} MiB reserved\n\n",
                                  escape_control(r.compose_file), r.gpu.name, r.gpu.display_name,
                                  r.gpu.memory_total_mib, r.reserve_bytes >> 20);
    TextTable t({{"service"},
                 {"model file"},
                 {"GPU"},
                 {"layers", TextTable::Align::right},
                 {"weights", TextTable::Align::right},
                 {"KV", TextTable::Align::right},
                 {"compute", TextTable::Align::right},
                 {"CUDA ctx", TextTable::Align::right},
                 {"VRAM MiB", TextTable::Align::right},
                 {"host MiB", TextTable::Align::right},
                 {"limit MiB", TextTable::Align::right}});
    for (const auto& s : r.services) {
        const MemoryEstimate* e = s.estimate ? &*s.estimate : nullptr;
        const auto gpu_bytes = [&](BufferKind k) { return e ? e->bytes_of(k, true) : 0; };
        t.add_row(
            {s.replicas > 1 ? fmt::format("{} (x{})", s.name, s.replicas) : s.name,
             s.model ? s.model->file : "-", s.gpu_device.empty() ? "none" : s.gpu_device,
             layers_cell(s), mib_cell(s, gpu_bytes(BufferKind::model)),
             mib_cell(s, gpu_bytes(BufferKind::kv)), mib_cell(s, gpu_bytes(BufferKind::compute)),
             mib_cell(s, gpu_bytes(BufferKind::runtime)), mib_cell(s, s.vram_bytes),
             mib_cell(s, s.host_bytes), s.memory_limit ? format_mib(*s.memory_limit) : "none"});
    }
    out += t.render();
    for (const auto& g : r.gpus) {
        const bool fits = g.vram_bytes <= g.budget_bytes;
        out += fmt::format(
            "  GPU {}     {} MiB of the {} MiB budget ({} MiB total - {} MiB "
            "reserved - {} MiB headroom): {}\n",
            g.device, format_mib(g.vram_bytes), g.budget_bytes >> 20, r.gpu.memory_total_mib,
            r.reserve_bytes >> 20, g.headroom_bytes >> 20,
            fits ? fmt::format("fits, {} MiB to spare", format_mib(g.budget_bytes - g.vram_bytes))
                 : fmt::format("over by {} MiB", format_mib(g.vram_bytes - g.budget_bytes)));
    }
    for (const auto& o : r.other_services) {
        out += fmt::format("  not checked {}\n", escape_control(o));
    }
    out += "\n";
    for (const auto& f : r.findings) {
        out += fmt::format("{}: {}{} [{}]\n  {}\n  fix: {}\n", severity_name(f.severity),
                           escape_control(format_location(r.compose_file, f.pos)),
                           f.service.empty() ? "" : " " + escape_control(f.service), f.rule,
                           escape_control(f.message), escape_control(f.fix));
    }
    out += summary(r, strict);
    return defuse_workflow_commands(out);
}

std::string render_check_json(const CheckResult& r, bool strict) {
    nlohmann::ordered_json j;
    j["compose_file"] = r.compose_file;
    j["pass"] = check_passed(r, strict);
    j["strict"] = strict;
    j["errors"] = r.count(Severity::error);
    j["warnings"] = r.count(Severity::warning);
    j["gpu"] = {{"name", r.gpu.name},
                {"total_bytes", r.gpu.total_bytes()},
                {"reserved_bytes", r.reserve_bytes}};
    j["gpus"] = nlohmann::ordered_json::array();
    for (const auto& g : r.gpus) {
        j["gpus"].push_back({{"device", g.device},
                             {"services", g.services},
                             {"vram_bytes", g.vram_bytes},
                             {"budget_bytes", g.budget_bytes},
                             {"headroom_bytes", g.headroom_bytes},
                             {"fits", g.vram_bytes <= g.budget_bytes}});
    }
    j["services"] = nlohmann::ordered_json::array();
    for (const auto& s : r.services) {
        nlohmann::ordered_json o;
        o["name"] = s.name;
        o["gpu_device"] =
            s.gpu_device.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(s.gpu_device);
        o["replicas"] = s.replicas;
        o["model"] = s.model ? nlohmann::ordered_json(s.model->label) : nlohmann::ordered_json();
        o["file"] = s.model ? nlohmann::ordered_json(s.model->file) : nlohmann::ordered_json();
        o["estimated"] = s.estimate.has_value();
        if (s.estimate) {
            o["n_gpu_layers"] = s.estimate->n_gpu_layers;
            o["layers_total"] = s.estimate->layers_total;
            o["n_ctx"] = s.estimate->context.n_ctx;
            o["vram_bytes"] = s.vram_bytes;
            o["host_bytes"] = s.host_bytes;
        }
        o["memory_limit_bytes"] =
            s.memory_limit ? nlohmann::ordered_json(*s.memory_limit) : nlohmann::ordered_json();
        j["services"].push_back(std::move(o));
    }
    j["not_checked"] = r.other_services;
    j["findings"] = nlohmann::ordered_json::array();
    for (const auto& f : r.findings) {
        j["findings"].push_back({{"severity", severity_name(f.severity)},
                                 {"rule", f.rule},
                                 {"service", f.service},
                                 {"file", r.compose_file},
                                 {"line", f.pos.line},
                                 {"column", f.pos.column},
                                 {"message", f.message},
                                 {"fix", f.fix}});
    }
    return json_output(j);
}

std::string render_check_github(const CheckResult& r, bool strict) {
    std::string out;
    for (const auto& f : r.findings) {
        std::string props = "file=" + escape_property(r.compose_file);
        if (f.pos.line > 0) {
            props += fmt::format(",line={},col={}", f.pos.line, f.pos.column);
        }
        props += ",title=" + escape_property(fmt::format("vramplan {}{}", f.rule,
                                                         f.service.empty() ? "" : " " + f.service));
        out += fmt::format("::{} {}::{}\n", severity_name(f.severity), props,
                           escape_data(f.message + ". Fix: " + f.fix));
    }
    out += summary(r, strict);
    return out;
}

} // namespace vramplan
