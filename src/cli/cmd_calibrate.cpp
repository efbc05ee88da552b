// `vramplan calibrate`: a llama.cpp log against the estimate, and the runtime overhead a measured
// total implies, saved as a user override of the GPU profile.

#include "app.hpp"

#include <vramplan/base/atomic_file.hpp>
#include <vramplan/base/error.hpp>
#include <vramplan/base/text_file.hpp>
#include <vramplan/base/units.hpp>
#include <vramplan/base/user_config.hpp>
#include <vramplan/report/calibrate_report.hpp>
#include <vramplan/runtime/gpu_reader.hpp>

#include <fmt/format.h>

#include <iostream>
#include <iterator>
#include <memory>

namespace vramplan::cli {

namespace {

struct Options {
    std::string log;
    std::string model;
    std::optional<std::string> quant;
    std::string gpu;
    double measured_mib = -1;
    std::uint32_t pid = 0;
    std::string gpu_source = "auto";
    bool save = false;
    bool json = false;
};

std::string read_log(const std::string& path) {
    if (path == "-") {
        return read_text_stream(std::cin, "standard input", k_max_log_bytes);
    }
    return read_text_file(path, k_max_log_bytes);
}

// What the process `pid` holds on its GPU, as NVML or nvidia-smi report it.
std::uint64_t process_bytes(std::uint32_t pid, const std::string& source) {
    const GpuSnapshot snap = open_gpu_reader(parse_gpu_source(source))->read();
    for (const auto& p : snap.processes) {
        if (p.pid == pid) {
            if (!p.used_bytes) {
                throw Error(
                    ErrorKind::unavailable, "--pid",
                    fmt::format("{} does not report the memory of process {}", snap.source, pid),
                    "read it another way and pass --measured-mib");
            }
            return *p.used_bytes;
        }
    }
    throw Error(ErrorKind::usage, "--pid",
                fmt::format("process {} holds no GPU memory according to {}", pid, snap.source),
                "'vramplan gpus --detect' lists the processes using a GPU");
}

int run(const Options& o, const Context& ctx) {
    const std::string text = read_log(o.log);
    const LlamaLog log = parse_llama_log(text);
    if (log.buffers.empty()) {
        throw Error(ErrorKind::data, o.log, "no llama.cpp buffer lines found",
                    "give the log of a llama-server or llama-cli start-up (with its 'buffer size "
                    "=' lines; llama-server -lv 4 prints them all)");
    }
    const Catalog catalog = ctx.catalog();
    ResolvedModel model;
    std::string how;
    if (!o.model.empty()) {
        model = resolve_model(catalog, o.model, {}, o.quant);
        how = "from -m " + o.model;
    } else {
        LogModel found = model_from_log(log, catalog);
        model = std::move(found.model);
        how = std::move(found.how);
    }
    const GpuProfiles gpus = ctx.gpus();
    const GpuProfile* gpu = !o.gpu.empty()         ? &gpus.resolve(o.gpu)
                            : log.gpu_name.empty() ? nullptr
                                                   : gpus.find_display_name(log.gpu_name);
    std::optional<std::uint64_t> measured;
    if (o.measured_mib >= 0) {
        measured = static_cast<std::uint64_t>(o.measured_mib * static_cast<double>(k_mib));
    } else if (o.pid != 0) {
        measured = process_bytes(o.pid, o.gpu_source);
    }
    const Calibration c = calibrate(log, model.spec(), gpu, measured);

    CalibrationSubject s{o.log, &log, model.label + " " + model.quant, how, gpu, {}};
    if (o.save) {
        if (!c.runtime_overhead_bytes || *c.runtime_overhead_bytes < 0) {
            throw Error(ErrorKind::usage, "--save",
                        "nothing to save: it needs a measured total (--measured-mib or --pid) "
                        "at least as large as the logged GPU buffers");
        }
        if (gpu == nullptr) {
            throw Error(ErrorKind::usage, "--save",
                        "which GPU profile should carry the overhead? The log names none that "
                        "vramplan knows",
                        "pass --gpu NAME");
        }
        const auto dir = user_config_dir(process_env);
        if (!dir) {
            throw Error(ErrorKind::usage, "--save", "no configuration folder",
                        "set XDG_CONFIG_HOME or HOME");
        }
        const std::uint64_t overhead_mib =
            (static_cast<std::uint64_t>(*c.runtime_overhead_bytes) + k_mib - 1) / k_mib;
        const std::string source =
            fmt::format("vramplan calibrate: {} MiB measured - {} MiB of GPU buffers in {}",
                        format_mib(*c.measured_bytes), format_mib(c.logged_gpu_bytes),
                        std::filesystem::path(o.log).filename().string());
        const std::filesystem::path path = *dir / "gpus" / (gpu->name + ".yaml");
        std::error_code ec;
        std::filesystem::create_directories(path.parent_path(), ec);
        if (ec) {
            throw Error(ErrorKind::io, path.parent_path().string(),
                        "cannot create the configuration folder: " + ec.message(),
                        "XDG_CONFIG_HOME (or HOME) must name a folder vramplan can write");
        }
        const std::string yaml = gpu_override_yaml(gpu->name, overhead_mib, source);
        write_file_atomically(path, std::as_bytes(std::span(yaml.data(), yaml.size())), yaml.size(),
                              /*overwrite=*/true);
        s.saved_to = path.string();
    }
    print(o.json ? render_calibration_json(c, s) : render_calibration_text(c, s));
    return k_exit_ok;
}

} // namespace

void register_calibrate(CLI::App& app, Context& ctx) {
    auto opt = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand(
        "calibrate",
        "Compare a llama.cpp log with vramplan's estimate; learn the runtime overhead");
    cmd->add_option("log", opt->log, "llama-server / llama-cli log file ('-': standard input)")
        ->required();
    cmd->add_option("-m,--model", opt->model,
                    "The model, when the log does not describe it (.gguf file or catalog name)");
    cmd->add_option("--quant", opt->quant, "File type for a catalog -m model");
    cmd->add_option("--gpu", opt->gpu,
                    "GPU profile (default: the one named like the log's device)");
    add_number_option(cmd, "--measured-mib", opt->measured_mib, 0, k_max_mib,
                      "What nvidia-smi shows for this server process, MiB");
    add_number_option(cmd, "--pid", opt->pid, 1, k_max_pid,
                      "Read the process's GPU memory now (NVML or nvidia-smi)");
    add_gpu_source_option(cmd, opt->gpu_source, "For --pid: auto, nvml, nvidia-smi");
    cmd->add_flag("--save", opt->save,
                  "Write the measured overhead to $XDG_CONFIG_HOME/vramplan/gpus/NAME.yaml");
    cmd->add_flag("--json", opt->json, "Print JSON");
    cmd->footer(
        "\nThe log's own lines give the model (architecture numbers and file type), the settings "
        "(n_ctx,\nn_batch, n_ubatch, n_seq_max, flash attention, KV types, layers offloaded) and "
        "every buffer;\nother text around them is skipped.\n\nExamples:\n"
        "  vramplan calibrate server.log\n"
        "  docker compose logs inference-code | vramplan calibrate - -m qwen2.5-coder-7b-instruct\n"
        "  vramplan calibrate server.log --measured-mib 4790 --save\n"
        "  vramplan calibrate server.log --pid $(pgrep -n llama-server) --save\n");
    cmd->callback([opt, &ctx] { ctx.action = [opt, &ctx] { return run(*opt, ctx); }; });
}

} // namespace vramplan::cli
