// libFuzzer target for the text parsers under `vramplan check`: Compose interpolation, the
// shell-like splitting of a command string, and the .env syntax. Variables A (set), E (empty)
// and the names the .env defines resolve; any input must parse or raise vramplan::Error.

#include <vramplan/base/error.hpp>
#include <vramplan/compose/dotenv.hpp>
#include <vramplan/compose/interpolation.hpp>
#include <vramplan/compose/shell_words.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const vramplan::VariableLookup lookup = [](std::string_view n) -> std::optional<std::string> {
        if (n == "A") {
            return "value";
        }
        if (n == "E") {
            return "";
        }
        return std::nullopt;
    };
    try {
        (void)vramplan::interpolate(text, lookup);
    } catch (const vramplan::Error&) {
    }
    try {
        (void)vramplan::split_shell_words(text);
    } catch (const vramplan::Error&) {
    }
    try {
        (void)vramplan::parse_dotenv(text, ".env", lookup);
    } catch (const vramplan::Error&) {
    }
    return 0;
}
