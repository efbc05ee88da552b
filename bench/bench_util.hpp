#pragma once
// Timing for the benchmarks: the median of repeated runs, in the unit asked for.

#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

namespace vramplan::bench {

template <typename Unit> double median(int iterations, const std::function<void()>& fn) {
    std::vector<double> t;
    for (int i = 0; i < iterations; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        fn();
        t.push_back(
            std::chrono::duration<double, Unit>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

} // namespace vramplan::bench
