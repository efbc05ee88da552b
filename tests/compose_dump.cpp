// Prints the interpolated `services` of a compose file as JSON, for the differential test
// against `docker-compose config` (tests/compose_diff/run.py). Usage:
//   vramplan_compose_dump COMPOSE_FILE [ENV_FILE]
// Exit 0 with JSON on stdout, or 2 with vramplan's error on stderr.

#include <vramplan/base/error.hpp>
#include <vramplan/compose/compose.hpp>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <iostream>

namespace {

nlohmann::ordered_json to_json(const vramplan::ComposeNode& n) {
    using Kind = vramplan::ComposeNode::Kind;
    switch (n.kind) {
    case Kind::scalar: return n.scalar;
    case Kind::sequence: {
        auto a = nlohmann::ordered_json::array();
        for (const auto& item : n.items) {
            a.push_back(to_json(item));
        }
        return a;
    }
    case Kind::mapping: {
        auto o = nlohmann::ordered_json::object();
        for (const auto& [k, v] : n.entries) {
            o[k] = to_json(v);
        }
        return o;
    }
    default: return nullptr;
    }
}

std::optional<std::string> process_env(std::string_view name) {
    const char* v = std::getenv(std::string(name).c_str());
    return v == nullptr ? std::nullopt : std::optional<std::string>(v);
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        std::cerr << "usage: vramplan_compose_dump COMPOSE_FILE [ENV_FILE]\n";
        return 2;
    }
    try {
        const std::optional<std::filesystem::path> env =
            argc == 3 ? std::optional<std::filesystem::path>(argv[2]) : std::nullopt;
        const auto loaded = vramplan::load_compose(argv[1], env, process_env);
        const vramplan::ComposeNode* services = loaded.document.root.find("services");
        std::cout << (services ? to_json(*services) : nlohmann::ordered_json::object()).dump(2)
                  << "\n";
        return 0;
    } catch (const vramplan::Error& e) {
        std::cerr << e.what() << "\n";
        return 2;
    }
}
