#pragma once
// Reading the GPUs of this machine: memory in use per GPU and per process. NVML, loaded at run
// time with dlopen("libnvidia-ml.so.1") so that vramplan builds and runs without it, else
// nvidia-smi's CSV output. docs/verify.md.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vramplan {

struct GpuReading {
    std::uint32_t index = 0;
    std::string name; // "NVIDIA GeForce RTX 4050 Laptop GPU"
    std::uint64_t used_bytes = 0;
    std::uint64_t total_bytes = 0;
};

struct GpuProcess {
    std::uint32_t pid = 0;
    std::string name;                        // the program ("/app/llama-server")
    std::optional<std::uint64_t> used_bytes; // unknown where the driver does not say ([N/A])
    std::optional<std::uint32_t> gpu_index;  // unknown from nvidia-smi's process query
};

struct GpuSnapshot {
    std::string source; // "NVML" or "nvidia-smi"
    std::vector<GpuReading> gpus;
    std::vector<GpuProcess> processes;
};

class GpuReader {
public:
    virtual ~GpuReader() = default;
    virtual GpuSnapshot read() = 0;
    virtual std::string source() const = 0;
};

enum class GpuSource { automatic, nvml, nvidia_smi };

// "auto", "nvml" or "nvidia-smi"; throws ErrorKind::usage otherwise.
GpuSource parse_gpu_source(std::string_view name);

// The first reader that works: NVML, then nvidia-smi (for `automatic`). Throws
// ErrorKind::unavailable with what was tried and why each failed.
std::unique_ptr<GpuReader> open_gpu_reader(GpuSource source);

// The CSV nvidia-smi prints for
//   --query-gpu=index,name,memory.used,memory.total --format=csv,noheader,nounits
//   --query-compute-apps=pid,process_name,used_memory --format=csv,noheader,nounits
// (MiB). Throws ErrorKind::format naming `source` and the line of anything else.
std::vector<GpuReading> parse_smi_gpus(std::string_view csv, const std::string& source);
std::vector<GpuProcess> parse_smi_processes(std::string_view csv, const std::string& source);

} // namespace vramplan
