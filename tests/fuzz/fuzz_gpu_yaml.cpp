// libFuzzer target for GPU profiles (profiles/gpus/*.yaml): any text must load or raise
// vramplan::Error.

#include <vramplan/base/error.hpp>
#include <vramplan/model/gpu_profile.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        (void)vramplan::parse_gpu_profile(text, "fuzz.yaml");
    } catch (const vramplan::Error&) {
    }
    return 0;
}
