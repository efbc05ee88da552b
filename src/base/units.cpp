#include <vramplan/base/units.hpp>

#include <fmt/format.h>

namespace vramplan {

std::string format_mib(std::uint64_t bytes) {
    return fmt::format("{:.2f}", static_cast<double>(bytes) / static_cast<double>(k_mib));
}

std::string format_bytes(std::uint64_t bytes) {
    std::string digits = std::to_string(bytes);
    std::string out;
    const std::size_t n = digits.size();
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back(digits[i]);
        if ((n - i - 1) % 3 == 0 && i + 1 < n) {
            out.push_back(',');
        }
    }
    return out;
}

std::string format_human(std::uint64_t bytes) {
    const auto b = static_cast<double>(bytes);
    if (bytes >= (std::uint64_t{1} << 30)) {
        return fmt::format("{:.2f} GiB", b / static_cast<double>(std::uint64_t{1} << 30));
    }
    if (bytes >= k_mib) {
        return fmt::format("{:.2f} MiB", b / static_cast<double>(k_mib));
    }
    if (bytes >= 1024) {
        return fmt::format("{:.2f} KiB", b / 1024.0);
    }
    return fmt::format("{} B", bytes);
}

} // namespace vramplan
