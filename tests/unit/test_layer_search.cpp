#include <vramplan/plan/layer_search.hpp>

#include <catch2/catch.hpp>

#include <random>

using namespace vramplan;

namespace {

// All combinations: the best value, then the lowest cost.
std::optional<std::pair<double, std::uint64_t>>
brute_force(const std::vector<std::vector<LayerOption>>& o, std::uint64_t budget) {
    std::optional<std::pair<double, std::uint64_t>> best;
    std::vector<std::size_t> idx(o.size(), 0);
    while (true) {
        std::uint64_t cost = 0;
        double value = 0;
        for (std::size_t i = 0; i < o.size(); ++i) {
            cost += o[i][idx[i]].cost;
            value += o[i][idx[i]].value;
        }
        if (cost <= budget && (!best || value > best->first + 1e-9 ||
                               (std::abs(value - best->first) <= 1e-9 && cost < best->second))) {
            best = {value, cost};
        }
        std::size_t i = 0;
        while (i < o.size() && ++idx[i] == o[i].size()) {
            idx[i++] = 0;
        }
        if (i == o.size()) {
            return best;
        }
    }
}

} // namespace

TEST_CASE("the layer search finds the brute-force optimum on random instances") {
    std::mt19937 rng(12345);
    for (int round = 0; round < 300; ++round) {
        const std::size_t services = 1 + rng() % 4;
        std::vector<std::vector<LayerOption>> o(services);
        for (auto& s : o) {
            // Layer counts: cost and value both grow with the count, as in real services.
            const std::size_t n = 1 + rng() % 6;
            std::uint64_t cost = 100 + rng() % 200;
            double value = 0;
            for (std::size_t k = 0; k < n; ++k) {
                s.push_back({cost, value});
                cost += 1 + rng() % 300;
                value += static_cast<double>(1 + rng() % 5) / 10.0;
            }
        }
        const std::uint64_t budget = rng() % 2000;
        const auto want = brute_force(o, budget);
        const auto got = choose_options(o, budget);
        INFO("round " << round);
        REQUIRE(want.has_value() == got.has_value());
        if (got) {
            double value = 0;
            std::uint64_t cost = 0;
            for (std::size_t i = 0; i < o.size(); ++i) {
                value += o[i][(*got)[i]].value;
                cost += o[i][(*got)[i]].cost;
            }
            CHECK(value == Approx(want->first));
            CHECK(cost == want->second);
        }
    }
}

TEST_CASE("equal speed: the plan with more headroom wins") {
    const std::vector<std::vector<LayerOption>> o{{{100, 0.0}, {200, 1.0}, {300, 1.0}}};
    CHECK(choose_options(o, 1000) == std::vector<std::size_t>{1});
    CHECK_FALSE(choose_options(o, 99).has_value());
}
