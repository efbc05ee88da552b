#pragma once
// "Did you mean" suggestions for unknown names (ninja's hint, by edit distance).

#include <vramplan/base/strings.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vramplan {

// Up to `max` candidates closest to `query` (case-insensitive edit distance; a candidate that
// contains the query counts as close), best first; none when nothing is reasonably close.
std::vector<std::string>
closest_names(std::string_view query, std::span<const std::string> candidates, std::size_t max = 3);

// "did you mean 'a', 'b'?" or, when nothing is close, "known: a, b, c ...".
std::string suggestion_hint(std::string_view query, std::span<const std::string> candidates);

} // namespace vramplan
