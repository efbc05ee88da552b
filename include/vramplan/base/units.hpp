#pragma once
// Byte sizes as vramplan prints them. MiB figures use llama.cpp's own rounding (%.2f of
// bytes / 2^20), so a printed figure can be compared with a log line digit for digit.

#include <cstdint>
#include <string>

namespace vramplan {

inline constexpr std::uint64_t k_mib = std::uint64_t{1} << 20;

std::string format_mib(std::uint64_t bytes);   // "4168.09"
std::string format_bytes(std::uint64_t bytes); // "4,677,120,000"
std::string format_human(std::uint64_t bytes); // "4.36 GiB", "812.00 MiB", "512 B"

} // namespace vramplan
