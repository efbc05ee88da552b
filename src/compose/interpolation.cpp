#include <vramplan/base/error.hpp>
#include <vramplan/base/strings.hpp>
#include <vramplan/compose/interpolation.hpp>

#include <fmt/format.h>

namespace vramplan {

namespace {

bool name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool name_char(char c) {
    return name_start(c) || (c >= '0' && c <= '9');
}

// Nested templates deeper than this are refused (a stack-depth guard for hostile input).
constexpr int k_max_nesting = 64;

// A recursive-descent reader of one template. `evaluate` false checks the syntax of an operand
// that is not used (so errors in it are still reported) without looking variables up.
class Interpolator {
public:
    // `max_bytes`: what is left of a budget of `budget_total`.
    Interpolator(std::string_view text, const VariableLookup& lookup, std::size_t max_bytes,
                 std::size_t budget_total)
        : m_text(text), m_lookup(lookup), m_max_bytes(max_bytes), m_budget_total(budget_total) {}

    Interpolated run() {
        Interpolated out;
        out.value = read(true, false, 0);
        out.unset = std::move(m_unset);
        return out;
    }

private:
    [[noreturn]] void invalid(std::size_t at, std::string_view why) const {
        throw Error(
            ErrorKind::data, {},
            fmt::format("invalid interpolation in \"{}\" at character {}: {}", m_text, at + 1, why),
            "write $$ for a literal $; a variable is $NAME or ${NAME} with NAME made of "
            "letters, digits and _");
    }

    std::string name() {
        const std::size_t start = m_pos;
        while (m_pos < m_text.size() && name_char(m_text[m_pos])) {
            ++m_pos;
        }
        return std::string(m_text.substr(start, m_pos - start));
    }

    std::optional<std::string> value_of(const std::string& n, bool evaluate) {
        return evaluate ? m_lookup(n) : std::optional<std::string>{};
    }

    // Reads text up to the end, or up to the '}' closing the current ${...} when `in_braces`.
    std::string read(bool evaluate, bool in_braces, int depth) {
        if (depth > k_max_nesting) {
            invalid(m_pos, fmt::format("more than {} nested ${{...}}", k_max_nesting));
        }
        std::string out;
        while (m_pos < m_text.size()) {
            const char c = m_text[m_pos];
            if (in_braces && c == '}') {
                return out;
            }
            if (c != '$') {
                out += c;
                ++m_pos;
                continue;
            }
            out += dollar(evaluate, depth);
            if (out.size() > m_max_bytes) {
                throw Error(ErrorKind::data, {},
                            fmt::format("the values expand to more than {} bytes in all "
                                        "(here at \"{}\")",
                                        m_budget_total, escape_control(m_text.substr(0, 60))),
                            "a variable that doubles another on each line grows without bound; "
                            "check the .env file");
            }
        }
        if (in_braces) {
            invalid(m_text.size(), "a ${ without its closing }");
        }
        return out;
    }

    // At a '$': "$$", "$NAME" or "${...}".
    std::string dollar(bool evaluate, int depth) {
        const std::size_t at = m_pos++;
        if (m_pos >= m_text.size()) {
            invalid(at, "a $ at the end");
        }
        const char c = m_text[m_pos];
        if (c == '$') {
            ++m_pos;
            return "$";
        }
        if (name_start(c)) {
            return plain(name(), evaluate);
        }
        if (c != '{') {
            invalid(at, fmt::format("'$' followed by '{}'", c));
        }
        ++m_pos;
        if (m_pos >= m_text.size() || !name_start(m_text[m_pos])) {
            invalid(at, "${ must be followed by a variable name");
        }
        const std::string n = name();
        if (m_pos >= m_text.size()) {
            invalid(m_pos, "a ${ without its closing }");
        }
        if (m_text[m_pos] == '}') {
            ++m_pos;
            return plain(n, evaluate);
        }
        return braced_operator(n, evaluate, depth);
    }

    std::string plain(const std::string& n, bool evaluate) {
        if (!evaluate) {
            return {};
        }
        auto v = m_lookup(n);
        if (!v) {
            m_unset.push_back(n);
            return {};
        }
        return *v;
    }

    // ${NAME<op>operand}: op is one of :- - :? ? :+ +.
    std::string braced_operator(const std::string& n, bool evaluate, int depth) {
        const bool colon = m_text[m_pos] == ':';
        if (colon) {
            ++m_pos;
        }
        if (m_pos >= m_text.size() ||
            (m_text[m_pos] != '-' && m_text[m_pos] != '?' && m_text[m_pos] != '+')) {
            invalid(m_pos, fmt::format("expected }}, :-, -, :?, ?, :+ or + after ${{{}", n));
        }
        const char op = m_text[m_pos++];
        const auto value = value_of(n, evaluate);
        // Which operand is used: a set value for '+', a missing one for '-' and '?'; with ':',
        // an empty value counts as missing.
        const bool present = value && (!colon || !value->empty());
        const bool use_operand = evaluate && (op == '+' ? present : !present);
        std::string operand = read(use_operand, true, depth + 1);
        ++m_pos; // the closing '}'
        if (!evaluate) {
            return {};
        }
        switch (op) {
        case '-': return present ? *value : operand;
        case '+': return present ? operand : std::string{};
        default: // '?'
            if (!present) {
                throw Error(
                    ErrorKind::data, {},
                    operand.empty()
                        ? fmt::format("required variable {} is missing a value", n)
                        : fmt::format("required variable {} is missing a value: {}", n, operand),
                    fmt::format("set {} in the environment or the .env file", n));
            }
            return *value;
        }
    }

    std::string_view m_text;
    const VariableLookup& m_lookup;
    std::size_t m_max_bytes;
    std::size_t m_budget_total;
    std::size_t m_pos = 0;
    std::vector<std::string> m_unset;
};

} // namespace

bool is_variable_name(std::string_view name) {
    if (name.empty() || !name_start(name[0])) {
        return false;
    }
    for (const char c : name) {
        if (!name_char(c)) {
            return false;
        }
    }
    return true;
}

Interpolated interpolate(std::string_view text, const VariableLookup& lookup) {
    InterpolationBudget budget(std::size_t{16} << 20);
    return interpolate(text, lookup, budget);
}

Interpolated interpolate(std::string_view text, const VariableLookup& lookup,
                         InterpolationBudget& budget) {
    Interpolated v = text.find('$') == std::string_view::npos
                         ? Interpolated{std::string(text), {}}
                         : Interpolator(text, lookup, budget.left(), budget.total()).run();
    if (v.value.size() > budget.left()) { // a value without $ may be past it too
        throw Error(ErrorKind::data, {},
                    fmt::format("the values expand to more than {} bytes in all", budget.total()),
                    "an alias of a long value repeated many times grows without bound");
    }
    budget.spend(v.value.size());
    return v;
}

} // namespace vramplan
