// libFuzzer target for reading a compose file: YAML with merge keys and aliases, interpolation
// of every value, the services (command, environment, ports, volumes, GPUs, limits), and the
// recognition of llama-server. Any input must be read or raise vramplan::Error.

#include <vramplan/base/error.hpp>
#include <vramplan/compose/compose.hpp>
#include <vramplan/compose/compose_check.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const vramplan::VariableLookup lookup = [](std::string_view n) -> std::optional<std::string> {
        return n == "CHAT_MODEL" ? std::optional<std::string>("a.gguf") : std::nullopt;
    };
    try {
        const auto doc = vramplan::parse_compose_yaml(text, "compose.yml", lookup);
        // env_file paths resolve under a folder that does not exist: an Error, never a read.
        const auto project = vramplan::read_compose(doc, "/nonexistent-vramplan-fuzz", lookup);
        for (const auto& s : project.services) {
            (void)vramplan::llama_server_arguments(s);
        }
    } catch (const vramplan::Error&) {
    }
    return 0;
}
