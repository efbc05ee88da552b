#pragma once
// Reading our YAML data files with positions in every error ("models/x.yaml:7:3: ...").
// Internal to the core: yaml-cpp stays out of the public headers.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace vramplan::yaml {

// Parses `text`; a syntax error becomes ErrorKind::data at source:line:column.
YAML::Node parse(std::string_view text, const std::string& source);

// "source:line:column" of a node (1-based), or just source when the node has no mark.
std::string where(const std::string& source, const YAML::Node& node);

// Accessors for a mapping `map` read from `source`. Each throws ErrorKind::data naming the key
// and its position when the value is missing (required) or of the wrong kind.
class MapReader {
public:
    MapReader(const YAML::Node& map, std::string source);

    // Rejects keys outside `allowed`, so that a typo is an error rather than a silent default.
    void only_keys(std::initializer_list<std::string_view> allowed) const;

    bool has(const char* key) const;
    YAML::Node node(const char* key) const; // required
    std::string string(const char* key) const;
    std::optional<std::string> optional_string(const char* key) const;
    std::uint64_t uint(const char* key, std::uint64_t min = 0,
                       std::uint64_t max = UINT64_MAX) const;
    std::optional<std::uint64_t> optional_uint(const char* key, std::uint64_t min = 0,
                                               std::uint64_t max = UINT64_MAX) const;
    double number(const char* key, double min, double max) const;
    std::optional<double> optional_number(const char* key, double min, double max) const;
    bool boolean(const char* key, bool fallback) const;

    const std::string& source() const { return m_source; }
    [[noreturn]] void fail(const YAML::Node& at, const std::string& what) const;

private:
    YAML::Node m_map;
    std::string m_source;
};

} // namespace vramplan::yaml
