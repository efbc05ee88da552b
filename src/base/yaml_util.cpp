#include "yaml_util.hpp"

#include <vramplan/base/error.hpp>
#include <vramplan/base/numbers.hpp>
#include <vramplan/base/strings.hpp>

#include <fmt/format.h>

#include <set>

namespace vramplan::yaml {

namespace {

std::string mark_string(const std::string& source, const YAML::Mark& m) {
    if (m.line < 0) {
        return source;
    }
    return fmt::format("{}:{}:{}", source, m.line + 1, m.column + 1);
}

} // namespace

YAML::Node parse(std::string_view text, const std::string& source) {
    try {
        YAML::Node root = YAML::Load(std::string(text));
        if (!root.IsMap()) {
            throw Error(ErrorKind::data, source, "expected a mapping of keys to values at the top");
        }
        return root;
    } catch (const YAML::ParserException& e) {
        throw Error(ErrorKind::data, mark_string(source, e.mark), e.msg);
    }
}

std::string where(const std::string& source, const YAML::Node& node) {
    return mark_string(source, node.Mark());
}

MapReader::MapReader(const YAML::Node& map, std::string source)
    : m_map(map), m_source(std::move(source)) {
    if (!m_map.IsMap()) {
        fail(m_map, "expected a mapping of keys to values");
    }
    // yaml-cpp keeps both of two equal keys and lookups see the first: a file that sets a value
    // twice would silently use the one its author did not mean.
    std::set<std::string> keys;
    for (const auto& kv : m_map) {
        const std::string k = kv.first.IsScalar() ? kv.first.Scalar() : std::string{};
        if (!keys.insert(k).second) {
            fail(kv.first, fmt::format("duplicate key {}", quote_value(k)));
        }
    }
}

void MapReader::fail(const YAML::Node& at, const std::string& what) const {
    throw Error(ErrorKind::data, where(m_source, at), what);
}

void MapReader::only_keys(std::initializer_list<std::string_view> allowed) const {
    for (const auto& kv : m_map) {
        const std::string k = kv.first.Scalar();
        bool ok = false;
        for (auto a : allowed) {
            ok = ok || a == k;
        }
        if (!ok) {
            std::string list;
            for (auto a : allowed) {
                list += list.empty() ? "" : ", ";
                list += a;
            }
            fail(kv.first, fmt::format("unknown key '{}' (known keys: {})", k, list));
        }
    }
}

bool MapReader::has(const char* key) const {
    const YAML::Node n = m_map[key];
    return n.IsDefined() && !n.IsNull();
}

YAML::Node MapReader::node(const char* key) const {
    const YAML::Node n = m_map[key];
    if (!n.IsDefined() || n.IsNull()) {
        fail(m_map, fmt::format("missing required key '{}'", key));
    }
    return n;
}

std::string MapReader::string(const char* key) const {
    const YAML::Node n = node(key);
    if (!n.IsScalar()) {
        fail(n, fmt::format("'{}' must be a string", key));
    }
    return n.Scalar();
}

std::optional<std::string> MapReader::optional_string(const char* key) const {
    if (!has(key)) {
        return std::nullopt;
    }
    return string(key);
}

std::uint64_t MapReader::uint(const char* key, std::uint64_t min, std::uint64_t max) const {
    const YAML::Node n = node(key);
    const std::string s = n.IsScalar() ? n.Scalar() : std::string{};
    try {
        return checked_unsigned(s, min, max, key);
    } catch (const Error& e) {
        fail(n, fmt::format("'{}': {}", key, e.message()));
    }
}

std::optional<std::uint64_t> MapReader::optional_uint(const char* key, std::uint64_t min,
                                                      std::uint64_t max) const {
    if (!has(key)) {
        return std::nullopt;
    }
    return uint(key, min, max);
}

double MapReader::number(const char* key, double min, double max) const {
    const YAML::Node n = node(key);
    const std::string s = n.IsScalar() ? n.Scalar() : std::string{};
    try {
        return checked_number(s, min, max, key);
    } catch (const Error& e) {
        fail(n, fmt::format("'{}': {}", key, e.message()));
    }
}

std::optional<double> MapReader::optional_number(const char* key, double min, double max) const {
    if (!has(key)) {
        return std::nullopt;
    }
    return number(key, min, max);
}

bool MapReader::boolean(const char* key, bool fallback) const {
    if (!has(key)) {
        return fallback;
    }
    const YAML::Node n = node(key);
    const std::string s = n.IsScalar() ? n.Scalar() : std::string{};
    if (s == "true") {
        return true;
    }
    if (s == "false") {
        return false;
    }
    fail(n, fmt::format("'{}' must be true or false, found '{}'", key, s));
}

} // namespace vramplan::yaml
