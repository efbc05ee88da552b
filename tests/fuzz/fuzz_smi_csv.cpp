// libFuzzer target for the nvidia-smi CSV readers (--query-gpu and --query-compute-apps): any
// text must parse or raise vramplan::Error. The first byte picks the reader.

#include <vramplan/base/error.hpp>
#include <vramplan/runtime/gpu_reader.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::string_view csv(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        if (data[0] % 2 == 0) {
            (void)vramplan::parse_smi_gpus(csv, "nvidia-smi");
        } else {
            (void)vramplan::parse_smi_processes(csv, "nvidia-smi");
        }
    } catch (const vramplan::Error&) {
    }
    return 0;
}
