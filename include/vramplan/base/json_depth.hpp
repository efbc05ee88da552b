#pragma once
// A guard for JSON from outside (server replies, plan files): nlohmann's dump, comparison and
// copy recurse once per nesting level, so a document nested a million deep overflows the stack.
// Every place that parses untrusted JSON scans its depth first, in one linear pass, and treats a
// document deeper than the limit as malformed.

#include <cstddef>
#include <string_view>

namespace vramplan {

// Deeper than anything vramplan reads (a plan is 3 levels, a chat completion 4).
inline constexpr std::size_t k_json_max_depth = 64;

// True when no array or object in `text` is nested deeper than `max_depth` (brackets inside
// strings, escaped quotes included, do not count). Says nothing about whether `text` is JSON.
bool json_depth_within(std::string_view text, std::size_t max_depth = k_json_max_depth);

} // namespace vramplan
