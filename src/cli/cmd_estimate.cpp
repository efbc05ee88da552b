// `vramplan estimate`: its own few options, everything else is a llama-server command line.

#include "app.hpp"

#include <vramplan/base/error.hpp>
#include <vramplan/model/model_source.hpp>
#include <vramplan/report/estimate_report.hpp>

namespace vramplan::cli {

namespace {

constexpr const char* k_help =
    R"(Estimate what llama.cpp allocates for a model and llama-server settings.

Usage:
  vramplan estimate -m MODEL [llama-server flags] [--gpu NAME|none] [--quant TYPE] [--json]
  vramplan estimate [--gpu NAME] [--json] -- llama-server -m MODEL.gguf -ngl 20 -c 1024 ...

MODEL is a .gguf file (read from its header), or a catalog name, role alias (chat:3b) or
published file name; catalog models are built from the llama-quantize recipe (--quant, default
Q4_K_M, or the type in the file name).

vramplan options:
  --gpu NAME|none   GPU profile (vramplan gpus); none: a CPU-only build (default: none)
  --quant TYPE      file type for a catalog model
  --json            print JSON
  -h, --help        this help

llama-server flags with an effect on memory (their defaults as in llama-server):
  -ngl, --n-gpu-layers N|auto|all   -c, --ctx-size N (0: training context)
  -b, --batch-size N (2048)         -ub, --ubatch-size N (512)
  -np, --parallel N (auto: 4)       -kvu, --kv-unified / -no-kvu
  -fa, --flash-attn on|off|auto     -ctk/-ctv, --cache-type-k/-v f16|q8_0|q4_0|...
  -nkvo, --no-kv-offload            --no-mmap    --swa-full    --no-repack
Other flags (--host, --port, -t ...) are accepted and listed as ignored.

Examples:
  vramplan estimate -m qwen2.5-7b-instruct -ngl 99 -c 4096 -np 1 --gpu rtx4050
  vramplan estimate --gpu rtx3060 -- llama-server -m Qwen2.5-3B-Instruct-Q4_K_M.gguf -c 1024
  vramplan estimate -m model.gguf -c 8192 -fa on -ctk q8_0 -ctv q8_0 --json
)";

} // namespace

int run_estimate(const Context& ctx, std::span<const std::string> argv) {
    std::string gpu_name = "none";
    std::optional<std::string> quant;
    bool json = false;
    std::vector<std::string> server;
    bool passthrough = false;
    for (std::size_t i = 0; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (passthrough) {
            server.push_back(a);
        } else if (a == "--") {
            passthrough = true;
        } else if (a == "-h" || a == "--help") {
            print(k_help);
            return k_exit_ok;
        } else if (a == "--json") {
            json = true;
        } else if (a == "--gpu" || a == "--quant") {
            if (i + 1 >= argv.size()) {
                throw Error(ErrorKind::usage, a, "expects a value",
                            "run 'vramplan estimate --help'");
            }
            (a == "--gpu" ? gpu_name : quant.emplace()) = argv[++i];
        } else {
            server.push_back(a);
        }
    }
    const ServerArgs args = parse_server_args(server);
    if (!args.model) {
        throw Error(ErrorKind::usage, "estimate", "no model given",
                    "pass -m MODEL (a .gguf file or a catalog name); see 'vramplan estimate "
                    "--help'");
    }

    const GpuProfiles gpus = gpu_name == "none" ? GpuProfiles{} : ctx.gpus();
    const GpuProfile* gpu = gpu_name == "none" ? nullptr : &gpus.resolve(gpu_name);

    EstimateSubject subject;
    subject.gpu = gpu;
    subject.n_gpu_layers_flag = args.settings.n_gpu_layers;
    const ResolvedModel model = resolve_model(ctx.catalog(), *args.model, {}, quant);
    subject.model = model.label;
    subject.source = model.source;
    subject.quant = model.quant;
    const ModelSpec& m = model.spec();
    const MemoryEstimate e = estimate_memory(m, args.settings, gpu);
    print(json ? render_estimate_json(m, subject, e, args)
               : render_estimate_text(m, subject, e, args));
    return k_exit_ok;
}

} // namespace vramplan::cli
