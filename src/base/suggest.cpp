#include <vramplan/base/suggest.hpp>

#include <algorithm>
#include <cctype>

namespace vramplan {

namespace {

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// adjacent characters each cost 1, so "rtx4900" is one edit from "rtx4090".
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) {
        d[i][0] = i;
    }
    for (std::size_t j = 0; j <= b.size(); ++j) {
        d[0][j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
    }
    return d[a.size()][b.size()];
}

} // namespace

std::vector<std::string> closest_names(std::string_view query,
                                       std::span<const std::string> candidates, std::size_t max) {
    const std::string q = to_lower(query);
    std::vector<std::pair<std::size_t, std::string>> scored;
    for (const auto& c : candidates) {
        const std::string lc = to_lower(c);
        std::size_t d = edit_distance(q, lc);
        if (!q.empty() && lc.find(q) != std::string::npos) {
            d = 0; // containment ranks with an exact match
        }
        // Accept up to a third of the query's length in edits (at least 2).
        if (d <= std::max<std::size_t>(2, q.size() / 3)) {
            scored.emplace_back(d, c);
        }
    }
    std::stable_sort(scored.begin(), scored.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    std::vector<std::string> out;
    for (std::size_t i = 0; i < scored.size() && i < max; ++i) {
        out.push_back(scored[i].second);
    }
    return out;
}

std::string suggestion_hint(std::string_view query, std::span<const std::string> candidates) {
    const auto close = closest_names(query, candidates);
    std::string out;
    if (!close.empty()) {
        out = "did you mean ";
        for (std::size_t i = 0; i < close.size(); ++i) {
            out += (i == 0 ? "'" : ", '") + close[i] + "'";
        }
        return out + "?";
    }
    out = "known: ";
    for (std::size_t i = 0; i < candidates.size() && i < 8; ++i) {
        out += (i == 0 ? "" : ", ") + candidates[i];
    }
    if (candidates.size() > 8) {
        out += ", ...";
    }
    return out;
}

} // namespace vramplan
