#pragma once
// The exact search behind `solve`: pick one option per service (a layer count, with its VRAM
// cost and its weighted speed) to maximize the total value within a budget; among equal values
// the cheaper plan (more headroom) wins. A dynamic program over Pareto frontiers of
// (cost, value): exact, and fast because dominated partial plans are dropped.

#include <cstdint>
#include <optional>
#include <vector>

namespace vramplan {

struct LayerOption {
    std::uint64_t cost = 0; // bytes of VRAM
    double value = 0;       // priority x speed as a fraction of full offload
};

// options[i] lists service i's options; returns the chosen index per service, or nullopt when even
// the cheapest combination exceeds `budget`.
std::optional<std::vector<std::size_t>>
choose_options(const std::vector<std::vector<LayerOption>>& options, std::uint64_t budget);

} // namespace vramplan
