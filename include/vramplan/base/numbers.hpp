#pragma once
// The one checked conversion of user-given numbers: every command-line flag and every number in
// a data file (plan, scenario, GPU and host profiles, --service specs, llama-server flags) goes
// through these, so that NaN, infinity, a sign where none belongs and out-of-range values are
// refused the same way everywhere instead of wrapping or saturating.

#include <cstdint>
#include <string>
#include <string_view>

namespace vramplan {

// A whole number in [min, max]. Throws vramplan::Error (usage, at `what`) naming the range.
std::uint64_t checked_unsigned(std::string_view text, std::uint64_t min, std::uint64_t max,
                               const std::string& what);
long long checked_integer(std::string_view text, long long min, long long max,
                          const std::string& what);
// A finite number in [min, max] (decimals and exponents accepted; nan and inf never).
double checked_number(std::string_view text, double min, double max, const std::string& what);

} // namespace vramplan
