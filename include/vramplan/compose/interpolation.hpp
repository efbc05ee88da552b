#pragma once
// Variable interpolation as the Compose specification defines it (compose-spec
// "interpolation.md", implemented by compose-go's template package): $VAR, ${VAR},
// ${VAR:-default}, ${VAR-default}, ${VAR:?message}, ${VAR?message}, ${VAR:+alt}, ${VAR+alt},
// nested inside defaults and messages, and $$ for a literal $. docs/check.md lists where
// vramplan differs from the docker-compose 1.29 that Debian ships.

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vramplan {

// The value of a variable, or nullopt when it is not set (set-but-empty is "").
using VariableLookup = std::function<std::optional<std::string>(std::string_view name)>;

struct Interpolated {
    std::string value;
    std::vector<std::string> unset; // variables that were not set and became "" (Compose warns)
};

// Throws vramplan::Error (data, no location: the caller adds file and line) for an invalid
// template ("$", "${}", "${1}", an unclosed "${") and for a required variable without a value.
// Operands are evaluated only when used, as a shell does: ${A:-${B:?x}} needs B only if A is
// empty.
// What all the values of one file may expand to together, so that many lines each repeating a
// large variable are bounded too.
class InterpolationBudget {
public:
    explicit InterpolationBudget(std::size_t total) : m_total(total), m_left(total) {}
    std::size_t total() const { return m_total; }
    std::size_t left() const { return m_left; }
    void spend(std::size_t bytes) { m_left -= std::min(bytes, m_left); }

private:
    std::size_t m_total;
    std::size_t m_left;
};

// The value of `text`, within what is left of `budget` and then spent from it: ${A}${A} in every
// line of a .env doubles with each line, and 40 lines would ask for a terabyte. Past the budget
// the error names its total ("the values expand to more than 16777216 bytes in all").
Interpolated interpolate(std::string_view text, const VariableLookup& lookup,
                         InterpolationBudget& budget);
// One value on its own, within 16 MiB.
Interpolated interpolate(std::string_view text, const VariableLookup& lookup);

// A name Compose accepts after $: [A-Za-z_][A-Za-z0-9_]*.
bool is_variable_name(std::string_view name);

} // namespace vramplan
