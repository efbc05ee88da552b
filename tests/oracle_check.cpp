// The oracle test's verdict: every case of a driver.mjs results file against vramplan's
// estimate for the same GGUF file (read from its header, as users' files are).
// Usage: vramplan_oracle_check RESULTS.json

#include "support/oracle_compare.hpp"

#include <vramplan/model/model.hpp>

#include <fmt/format.h>

#include <fstream>
#include <iostream>

using namespace vramplan;

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: vramplan_oracle_check RESULTS.json\n";
        return 2;
    }
    try {
        std::ifstream in(argv[1]);
        const auto results = nlohmann::json::parse(in);
        fmt::print("oracle: llama.cpp {} (node-llama-cpp {})\n",
                   results["llama_cpp_release"]["release"].get<std::string>(),
                   results["node_llama_cpp"].get<std::string>());
        int passed = 0;
        int failed = 0;
        for (const auto& c : results["cases"]) {
            const ModelSpec m = read_model(c["gguf"].get<std::string>());
            const test::OracleComparison r = test::compare_oracle_case(c, m);
            if (r.pass) {
                ++passed;
                continue;
            }
            ++failed;
            fmt::print("FAIL {}: {}\n", c["id"].get<std::string>(), r.error);
            for (const auto& [key, v] : r.cells) {
                if (v.first != v.second) {
                    fmt::print("  {:<24} llama.cpp {:>10}  vramplan {:>10}\n", key,
                               v.first.empty() ? "-" : v.first, v.second.empty() ? "-" : v.second);
                }
            }
        }
        fmt::print("{} passed, {} failed\n", passed, failed);
        return failed == 0 && passed >= 60 ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "vramplan_oracle_check: " << e.what() << "\n";
        return 3;
    }
}
