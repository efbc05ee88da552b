#include <vramplan/base/error.hpp>
#include <vramplan/base/text_file.hpp>
#include <vramplan/compose/dotenv.hpp>

#include <fmt/format.h>

#include <map>

namespace vramplan {

namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

class DotEnvReader {
public:
    DotEnvReader(std::string_view text, std::string source, const VariableLookup& environment)
        : m_text(text), m_source(std::move(source)), m_environment(environment) {
        if (m_text.starts_with("\xEF\xBB\xBF")) { // a UTF-8 byte order mark
            m_text.remove_prefix(3);
        }
    }

    std::vector<EnvEntry> run() {
        std::vector<EnvEntry> out;
        while (m_pos < m_text.size()) {
            skip_blanks();
            if (at_end_of_line()) {
                skip_line();
                continue;
            }
            if (m_text[m_pos] == '#') {
                skip_line();
                continue;
            }
            out.push_back(entry());
            m_defined[out.back().name] = out.back().value;
        }
        return out;
    }

private:
    [[noreturn]] void fail(int line, const std::string& what) const {
        throw Error(ErrorKind::data, fmt::format("{}:{}", m_source, line), what,
                    "a .env line is KEY=VALUE; quote values with spaces or # in them");
    }

    bool at_end_of_line() const { return m_pos >= m_text.size() || m_text[m_pos] == '\n'; }
    void skip_blanks() {
        while (m_pos < m_text.size() && is_blank(m_text[m_pos])) {
            ++m_pos;
        }
    }
    void skip_line() {
        while (!at_end_of_line()) {
            ++m_pos;
        }
        if (m_pos < m_text.size()) {
            ++m_pos;
            ++m_line;
        }
    }

    EnvEntry entry() {
        EnvEntry e;
        e.line = m_line;
        if (m_text.substr(m_pos).starts_with("export") && m_pos + 6 < m_text.size() &&
            is_blank(m_text[m_pos + 6])) {
            m_pos += 6;
            skip_blanks();
        }
        const std::size_t start = m_pos;
        while (!at_end_of_line() && m_text[m_pos] != '=' && !is_blank(m_text[m_pos])) {
            ++m_pos;
        }
        e.name = std::string(m_text.substr(start, m_pos - start));
        for (const char c : e.name) {
            if (!(std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' ||
                  c == '-')) {
                fail(e.line, fmt::format("'{}' is not a variable name", e.name));
            }
        }
        if (e.name.empty()) {
            fail(e.line, "a line with a value but no name");
        }
        skip_blanks();
        if (at_end_of_line()) { // a bare KEY: declared, not set
            skip_line();
            return e;
        }
        if (m_text[m_pos] != '=') {
            fail(e.line, fmt::format("expected = after {}", e.name));
        }
        ++m_pos;
        skip_blanks();
        const VariableLookup lookup = [this](std::string_view n) -> std::optional<std::string> {
            if (auto v = m_environment(n)) {
                return v;
            }
            if (auto it = m_defined.find(std::string(n)); it != m_defined.end()) {
                return it->second;
            }
            return std::nullopt;
        };
        std::string raw;
        if (!at_end_of_line() && (m_text[m_pos] == '\'' || m_text[m_pos] == '"')) {
            const char quote = m_text[m_pos];
            raw = quoted(quote, e.line);
            if (quote == '\'') {
                e.value = raw;
                finish_line(e.line);
                return e;
            }
            finish_line(e.line);
        } else {
            raw = unquoted();
        }
        Interpolated v;
        try {
            v = interpolate(raw, lookup, m_budget);
        } catch (const Error& err) {
            throw err.within(fmt::format("{}:{}", m_source, e.line));
        }
        e.value = std::move(v.value);
        e.unset = std::move(v.unset);
        return e;
    }

    // An unquoted value: to the end of the line; " #" starts a comment; trailing blanks go.
    std::string unquoted() {
        const std::size_t start = m_pos;
        std::size_t end = m_pos;
        while (!at_end_of_line()) {
            if (m_text[m_pos] == '#' && m_pos > start && is_blank(m_text[m_pos - 1])) {
                break;
            }
            ++m_pos;
            if (!is_blank(m_text[m_pos - 1])) {
                end = m_pos;
            }
        }
        std::string value(m_text.substr(start, end - start));
        skip_line();
        return value;
    }

    // A quoted value, which may span lines. Single quotes: only \' is an escape. Double quotes:
    // \n \r \t \\ \" \' and \$ (a literal $, kept as $$ for the interpolation that follows).
    std::string quoted(char quote, int line) {
        ++m_pos;
        std::string out;
        while (true) {
            if (m_pos >= m_text.size()) {
                fail(line, fmt::format("the value's opening {} is never closed", quote));
            }
            const char c = m_text[m_pos++];
            if (c == quote) {
                return out;
            }
            if (c == '\n') {
                ++m_line;
            }
            if (c != '\\' || m_pos >= m_text.size()) {
                out += c;
                continue;
            }
            const char n = m_text[m_pos];
            if (quote == '\'') {
                out += n == '\'' ? "'" : "\\";
                m_pos += n == '\'' ? 1 : 0;
                continue;
            }
            ++m_pos;
            switch (n) {
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case '\\': out += '\\'; break;
            case '"': out += '"'; break;
            case '\'': out += '\''; break;
            case '$': out += "$$"; break;
            default: out += '\\'; out += n;
            }
        }
    }

    // After a closing quote: blanks and a comment only.
    void finish_line(int line) {
        skip_blanks();
        if (!at_end_of_line() && m_text[m_pos] != '#') {
            fail(line, "unexpected text after the closing quote");
        }
        skip_line();
    }

    std::string_view m_text;
    std::string m_source;
    const VariableLookup& m_environment;
    std::size_t m_pos = 0;
    int m_line = 1;
    std::map<std::string, std::optional<std::string>> m_defined;
    // What all values may expand to together: the file's own size limit (text_file.hpp).
    InterpolationBudget m_budget{k_max_text_file_bytes};
};

} // namespace

std::vector<EnvEntry> parse_dotenv(std::string_view text, const std::string& source,
                                   const VariableLookup& environment) {
    return DotEnvReader(text, source, environment).run();
}

} // namespace vramplan
