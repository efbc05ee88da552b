// libFuzzer target for what vramplan writes: any value it writes into a .env file, a compose
// file or a shell command must read back as exactly that value (the readers Compose and a shell
// use, mirrored by vramplan's own), or be refused with vramplan::Error. A value that reads back
// differently, or that adds a line or a key, is a structure change: abort.

#include <vramplan/base/error.hpp>
#include <vramplan/compose/compose_yaml.hpp>
#include <vramplan/compose/dotenv.hpp>
#include <vramplan/compose/shell_words.hpp>
#include <vramplan/report/plan_report.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

std::optional<std::string> no_vars(std::string_view) {
    return std::nullopt;
}

// Valid UTF-8 without the characters YAML treats as line breaks (NEL, LS, PS): the values a
// compose file can carry at all.
bool yaml_text(const std::string& s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const std::size_t n = c < 0x80         ? 1
                              : (c >> 5) == 6  ? 2
                              : (c >> 4) == 14 ? 3
                              : (c >> 3) == 30 ? 4
                                               : 0;
        if (n == 0 || i + n > s.size()) {
            return false;
        }
        for (std::size_t k = 1; k < n; ++k) {
            if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) {
                return false;
            }
        }
        const std::string_view ch(s.data() + i, n);
        if (ch == "\xC2\x85" || ch == "\xE2\x80\xA8" || ch == "\xE2\x80\xA9" ||
            ch == "\xEF\xBB\xBF") {
            return false;
        }
        i += n;
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string value(reinterpret_cast<const char*>(data), size);
    try {
        const std::string line = "K=" + vramplan::env_file_value("K", value) + "\n";
        const auto entries = vramplan::parse_dotenv(line, ".env", no_vars);
        if (entries.size() != 1 || entries[0].name != "K" || entries[0].value != value) {
            std::abort();
        }
    } catch (const vramplan::Error&) {
    }
    if (yaml_text(value)) {
        const std::string yaml = "services:\n  a:\n    image: " + vramplan::compose_quoted(value) +
                                 "\n    command: [" + vramplan::compose_quoted(value, "${V}") +
                                 "]\n";
        const auto doc = vramplan::parse_compose_yaml(yaml, "compose.yml", [](std::string_view n) {
            return n == "V" ? std::optional<std::string>("v") : std::nullopt;
        });
        const auto* a = doc.root.find("services")->find("a");
        if (a == nullptr || a->entries.size() != 2 || a->find("image")->scalar != value ||
            a->find("command")->items.at(0).scalar != value + "v") {
            std::abort();
        }
    }
    const auto words = vramplan::split_shell_words("echo " + vramplan::shell_quote(value));
    if (words.size() != 2 || words[1] != value) {
        std::abort();
    }
    if (vramplan::render_command_line({"vramplan", value}).find('\n') != std::string::npos) {
        std::abort();
    }
    return 0;
}
