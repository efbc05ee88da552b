#pragma once
// The .env file Docker Compose reads beside a compose file (or from --env-file): KEY=VALUE lines,
// comments, an optional `export` prefix, single quotes taken literally, double quotes with
// escapes, and interpolation of unquoted and double-quoted values. docs/check.md has the rules.

#include <vramplan/compose/interpolation.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vramplan {

struct EnvEntry {
    std::string name;
    std::optional<std::string> value; // nullopt: a bare KEY line (not set)
    int line = 0;
    std::vector<std::string> unset; // variables the value referred to that were not set
};

// `environment` resolves variables in values first (the process environment); names defined on
// earlier lines come next. Throws vramplan::Error (data) at source:line for a bad name, an
// unterminated quote or text after a closing quote.
std::vector<EnvEntry> parse_dotenv(std::string_view text, const std::string& source,
                                   const VariableLookup& environment);

} // namespace vramplan
