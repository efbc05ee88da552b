#pragma once
// Comparing one oracle case (what the real llama.cpp logged, tests/oracle/driver.mjs) with
// vramplan's estimate for the same model and settings.

#include <vramplan/base/error.hpp>
#include <vramplan/base/units.hpp>
#include <vramplan/estimate/estimate.hpp>
#include <vramplan/estimate/server_args.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <map>
#include <string>

namespace vramplan::test {

// The llama-server settings equivalent to what node-llama-cpp passed llama.cpp: contextSize per
// sequence times the sequences, n_batch and n_ubatch as llama.cpp logged them, one stream each.
inline ServerSettings oracle_settings(const nlohmann::json& c) {
    ServerSettings s;
    const std::uint32_t seqs = c["seqs"];
    const std::uint32_t ctx = c["ctx"];
    s.n_ctx = (ctx + seqs - 1) / seqs * seqs;
    s.n_parallel = static_cast<int>(seqs);
    s.kv_unified = false;
    const auto& lc = c["context"];
    s.n_batch = lc.contains("n_batch")
                    ? static_cast<std::uint32_t>(std::stoul(lc["n_batch"].get<std::string>()))
                    : c["ubatch"].get<std::uint32_t>();
    s.n_ubatch = lc.contains("n_ubatch")
                     ? static_cast<std::uint32_t>(std::stoul(lc["n_ubatch"].get<std::string>()))
                     : c["ubatch"].get<std::uint32_t>();
    s.flash_attn = c["fa"].get<bool>() ? FlashAttn::on : FlashAttn::off;
    s.type_k = parse_cache_type(c["ctk"].get<std::string>()).value();
    s.type_v = parse_cache_type(c["ctv"].get<std::string>()).value();
    return s;
}

struct OracleComparison {
    bool pass = true;
    std::map<std::string, std::pair<std::string, std::string>> cells; // key -> (logged, ours)
    std::string error; // a message when they disagree on refusing the context
};

inline OracleComparison compare_oracle_case(const nlohmann::json& c, const ModelSpec& m) {
    OracleComparison out;
    const bool refused = !c["error"].is_null();
    MemoryEstimate e;
    try {
        e = estimate_memory(m, oracle_settings(c), nullptr);
    } catch (const Error& err) {
        out.pass = refused;
        out.error = refused ? "" : std::string("vramplan refused: ") + err.what();
        return out;
    }
    if (refused) {
        out.pass = false;
        out.error = "llama.cpp refused the context; vramplan did not";
        return out;
    }
    for (const auto& b : c["buffers"]) {
        // An iSWA model logs a second KV buffer line for the sliding-window cache.
        std::string key = b["kind"].get<std::string>() + " " + b["buffer"].get<std::string>();
        if (b["kind"] == "kv" && out.cells.count(key) != 0) {
            key += " (SWA)";
        }
        out.cells[key].first = b["mib"].get<std::string>();
    }
    for (const auto& b : e.buffers) {
        out.cells[std::string(buffer_kind_name(b.kind)) + " " + b.buffer].second =
            format_mib(b.bytes);
    }
    for (const auto& [key, v] : out.cells) {
        out.pass = out.pass && v.first == v.second;
    }
    // The same graph, node for node (llama.cpp logs "graph: nodes = N" for its reservation).
    if (c.contains("graph_nodes") && !c["graph_nodes"].is_null()) {
        const auto ours = build_llm_graph(m, prompt_graph_shape(e.context)).nodes().size();
        out.cells["graph nodes"] = {std::to_string(c["graph_nodes"].get<std::size_t>()),
                                    std::to_string(ours)};
        out.pass = out.pass && out.cells["graph nodes"].first == out.cells["graph nodes"].second;
    }
    return out;
}

} // namespace vramplan::test
