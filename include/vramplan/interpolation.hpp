#pragma once
// Variable interpolation as the Compose specification defines it (compose-spec
// "interpolation.md", implemented by compose-go's template package): $VAR, ${VAR},
// ${VAR:-default}, ${VAR-default}, ${VAR:?message}, ${VAR?message}, ${VAR:+alt}, ${VAR+alt},
// nested inside defaults and messages, and $$ for a literal $. docs/check.md lists where
// vramplan differs from the docker-compose 1.29 that Debian ships.

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
Interpolated interpolate(std::string_view text, const VariableLookup& lookup);

// A name Compose accepts after $: [A-Za-z_][A-Za-z0-9_]*.
bool is_variable_name(std::string_view name);

} // namespace vramplan
