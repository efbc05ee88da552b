#include <vramplan/base/error.hpp>
#include <vramplan/base/strings.hpp>
#include <vramplan/compose/shell_words.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace vramplan {

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

[[noreturn]] void unclosed(char quote, std::size_t at) {
    throw Error(ErrorKind::data, {},
                fmt::format("the {} opened at character {} is never closed",
                            quote == '\'' ? "single quote" : "double quote", at + 1),
                "close the quote, or write the command as a YAML list");
}

} // namespace

std::vector<std::string> split_shell_words(std::string_view text) {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (is_space(c)) {
            if (in_word) {
                words.push_back(std::move(word));
                word.clear();
                in_word = false;
            }
            ++i;
            continue;
        }
        if (c == '\\' && i + 1 < text.size() && text[i + 1] == '\n') { // a line continuation
            i += 2;
            continue;
        }
        in_word = true;
        if (c == '\'') {
            const auto close = text.find('\'', i + 1);
            if (close == std::string_view::npos) {
                unclosed(c, i);
            }
            word.append(text.substr(i + 1, close - i - 1));
            i = close + 1;
        } else if (c == '"') {
            const std::size_t open = i++;
            while (true) {
                if (i >= text.size()) {
                    unclosed('"', open);
                }
                const char d = text[i++];
                if (d == '"') {
                    break;
                }
                if (d == '\\' && i < text.size()) {
                    const char n = text[i];
                    if (n == '"' || n == '\\' || n == '$' || n == '`') {
                        word += n;
                        ++i;
                        continue;
                    }
                    if (n == '\n') {
                        ++i;
                        continue;
                    }
                }
                word += d;
            }
        } else if (c == '\\') {
            if (i + 1 >= text.size()) {
                throw Error(ErrorKind::data, {}, "a backslash at the end of the command",
                            "remove it, or quote it as '\\\\'");
            }
            word += text[i + 1];
            i += 2;
        } else {
            word += c;
            ++i;
        }
    }
    if (in_word) {
        words.push_back(std::move(word));
    }
    return words;
}

} // namespace vramplan

namespace vramplan {

namespace {

// Characters that need no quoting in any POSIX shell word (not at a word's start only: '~' and
// '=' are left out, '#' too).
bool shell_safe(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || c == '/' || c == ':' || c == ',' || c == '+' || c == '@' ||
           c == '%';
}

} // namespace

std::string shell_quote(std::string_view word) {
    if (!word.empty() && std::all_of(word.begin(), word.end(), shell_safe)) {
        return std::string(word);
    }
    std::string out = "'";
    for (const char c : word) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

std::string render_command_line(const std::vector<std::string>& words) {
    std::vector<std::string> quoted;
    quoted.reserve(words.size());
    for (const auto& w : words) {
        quoted.push_back(escape_control(shell_quote(w)));
    }
    return join(quoted, " ");
}

} // namespace vramplan
