#pragma once
// Small string helpers shared by the renderers and the name lookups.

#include <string>
#include <string_view>
#include <vector>

namespace vramplan {

std::string to_lower(std::string_view s);
// "a, b, c" with `sep` between the items.
std::string join(const std::vector<std::string>& items, std::string_view sep);

} // namespace vramplan
