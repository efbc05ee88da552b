#include <vramplan/base/user_config.hpp>

#include <catch2/catch.hpp>

#include <map>

using namespace vramplan;

namespace {

EnvironmentLookup env(std::map<std::string, std::string> vars) {
    return [vars](std::string_view n) -> std::optional<std::string> {
        const auto it = vars.find(std::string(n));
        return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
}

} // namespace

TEST_CASE("the configuration folder comes from the environment the caller passes") {
    CHECK(user_config_dir(env({{"XDG_CONFIG_HOME", "/x"}, {"HOME", "/h"}})) == "/x/vramplan");
    // A relative or empty XDG_CONFIG_HOME is ignored, as the XDG specification says.
    CHECK(user_config_dir(env({{"XDG_CONFIG_HOME", "rel"}, {"HOME", "/h"}})) ==
          "/h/.config/vramplan");
    CHECK(user_config_dir(env({{"XDG_CONFIG_HOME", ""}, {"HOME", "/h"}})) == "/h/.config/vramplan");
    CHECK_FALSE(user_config_dir(env({})));
}
