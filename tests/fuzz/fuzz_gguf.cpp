// libFuzzer target for the GGUF reader: any input must parse or raise vramplan::Error, never
// crash, hang or allocate without bound. A crash found here goes into tests/data/gguf/bad/.

#include <vramplan/base/error.hpp>
#include <vramplan/model/gguf.hpp>
#include <vramplan/model/model.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
    try {
        const vramplan::GgufFile f = vramplan::parse_gguf(bytes);
        const std::vector<vramplan::GgufFile> parts{f};
        const std::vector<std::string> paths{"fuzz.gguf"};
        (void)vramplan::model_from_gguf(parts, paths);
    } catch (const vramplan::Error&) {
    }
    return 0;
}
