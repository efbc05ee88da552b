// libFuzzer target for the llama.cpp log reader and what calibrate builds on it: any text must
// parse (unknown lines are skipped), and rebuilding the model and estimating its buffers must
// succeed or raise vramplan::Error.

#include <vramplan/base/error.hpp>
#include <vramplan/model/catalog.hpp>
#include <vramplan/runtime/calibrate.hpp>
#include <vramplan/runtime/llama_log.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const vramplan::Catalog catalog = vramplan::Catalog::load(VRAMPLAN_SOURCE_DIR "/models");
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const vramplan::LlamaLog log = vramplan::parse_llama_log(text);
    try {
        (void)vramplan::log_settings(log);
        const vramplan::LogModel model = vramplan::model_from_log(log, catalog);
        (void)vramplan::calibrate(log, model.model.spec(), nullptr, std::nullopt);
    } catch (const vramplan::Error&) {
    }
    return 0;
}
