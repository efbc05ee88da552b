#include <vramplan/plan/layer_search.hpp>

#include <algorithm>
#include <cmath>

namespace vramplan {

namespace {

struct Partial {
    std::uint64_t cost = 0;
    double value = 0;
    std::vector<std::size_t> choice;
};

// Values closer than this count as equal, so that floating-point noise never beats headroom.
constexpr double k_value_epsilon = 1e-9;

} // namespace

std::optional<std::vector<std::size_t>>
choose_options(const std::vector<std::vector<LayerOption>>& options, std::uint64_t budget) {
    std::vector<Partial> frontier{Partial{}};
    for (const auto& service : options) {
        std::vector<Partial> next;
        next.reserve(frontier.size() * service.size());
        for (const auto& p : frontier) {
            for (std::size_t k = 0; k < service.size(); ++k) {
                const std::uint64_t cost = p.cost + service[k].cost;
                if (cost > budget || cost < p.cost) {
                    continue;
                }
                Partial q{cost, p.value + service[k].value, p.choice};
                q.choice.push_back(k);
                next.push_back(std::move(q));
            }
        }
        // Keep the Pareto frontier: by rising cost, only plans of strictly higher value.
        std::sort(next.begin(), next.end(), [](const Partial& a, const Partial& b) {
            return a.cost != b.cost ? a.cost < b.cost : a.value > b.value;
        });
        frontier.clear();
        double best = -1;
        for (auto& p : next) {
            if (p.value > best + k_value_epsilon) {
                best = p.value;
                frontier.push_back(std::move(p));
            }
        }
        if (frontier.empty()) {
            return std::nullopt;
        }
    }
    // The frontier's last plan has the highest value at the lowest cost for that value.
    return frontier.back().choice;
}

} // namespace vramplan
