// libFuzzer target for catalog entries (models/*.yaml): any text must load or raise
// vramplan::Error; a loaded entry must also synthesize or raise vramplan::Error.

#include <vramplan/base/error.hpp>
#include <vramplan/model/catalog.hpp>
#include <vramplan/model/synth.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const vramplan::CatalogModel m = vramplan::parse_catalog_model(text, "fuzz.yaml");
        // Keep synthesis cheap: the fuzzer explores the loader, not huge shapes.
        if (m.arch.n_layer <= 8 && m.arch.n_embd <= 4096 && m.arch.n_vocab <= 4096 &&
            m.arch.n_ff <= 16384) {
            (void)vramplan::synthesize_model(m, vramplan::FileType::q4_k_m);
        }
    } catch (const vramplan::Error&) {
    }
    return 0;
}
