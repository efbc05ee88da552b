#include <vramplan/base/error.hpp>
#include <vramplan/compose/compose_yaml.hpp>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <set>

namespace vramplan {

namespace {

SourcePos pos_of(const YAML::Node& n) {
    const YAML::Mark m = n.Mark();
    return m.line < 0 ? SourcePos{} : SourcePos{m.line + 1, m.column + 1};
}

constexpr const char* k_alias_hint =
    "an alias (*name) must not sit inside its own anchor (&name), and one compose file needs "
    "only a few levels of nesting";

class TreeBuilder {
public:
    TreeBuilder(const std::string& source, const VariableLookup& lookup,
                const ComposeLimits& limits)
        : m_source(source), m_lookup(lookup), m_limits(limits), m_budget(limits.max_scalar_bytes) {}

    ComposeNode build(const YAML::Node& n, int depth) {
        if (++m_nodes > m_limits.max_nodes) {
            fail(n,
                 fmt::format("more than {} values once aliases are expanded (an alias that "
                             "expands without bound?)",
                             m_limits.max_nodes),
                 k_alias_hint);
        }
        if (depth > m_limits.max_depth) {
            fail(n,
                 fmt::format("nested deeper than {} levels (an alias that refers to itself?)",
                             m_limits.max_depth),
                 k_alias_hint);
        }
        ComposeNode out;
        out.pos = pos_of(n);
        switch (n.Type()) {
        case YAML::NodeType::Scalar:
            out.kind = ComposeNode::Kind::scalar;
            out.scalar = interpolated(n);
            break;
        case YAML::NodeType::Sequence:
            out.kind = ComposeNode::Kind::sequence;
            for (const auto& item : n) {
                out.items.push_back(build(item, depth + 1));
            }
            break;
        case YAML::NodeType::Map:
            out.kind = ComposeNode::Kind::mapping;
            mapping(n, out, depth);
            break;
        default: break;
        }
        return out;
    }

    std::vector<UnsetVariable> take_unset() { return std::move(m_unset); }

private:
    [[noreturn]] void fail(const YAML::Node& at, const std::string& what,
                           std::string hint = {}) const {
        throw Error(ErrorKind::data, format_location(m_source, pos_of(at)), what, std::move(hint));
    }

    std::string interpolated(const YAML::Node& n) {
        try {
            Interpolated v = interpolate(n.Scalar(), m_lookup, m_budget);
            for (auto& name : v.unset) {
                if (m_unset_names.insert(name).second) {
                    m_unset.push_back(UnsetVariable{std::move(name), pos_of(n)});
                }
            }
            return std::move(v.value);
        } catch (const Error& e) {
            throw e.within(format_location(m_source, pos_of(n)));
        }
    }

    // Keys as written; the values of "<<" (a mapping or a list of them) supply the keys the
    // mapping lacks, earlier merged mappings first (the YAML merge-key convention Compose
    // follows; yaml-cpp leaves it to us).
    void mapping(const YAML::Node& n, ComposeNode& out, int depth) {
        std::vector<ComposeNode> merged;
        for (const auto& kv : n) {
            if (!kv.first.IsScalar()) {
                fail(kv.first, "a mapping key must be a plain value");
            }
            const std::string& key = kv.first.Scalar();
            if (key == "<<" && kv.first.Tag() != "!") { // a quoted "<<" is a plain key
                ComposeNode m = build(kv.second, depth + 1);
                if (m.is_mapping()) {
                    merged.push_back(std::move(m));
                } else if (m.is_sequence()) {
                    for (auto& item : m.items) {
                        if (!item.is_mapping()) {
                            fail(kv.second, "<< takes a mapping or a list of mappings");
                        }
                        merged.push_back(std::move(item));
                    }
                } else {
                    fail(kv.second, "<< takes a mapping or a list of mappings");
                }
                continue;
            }
            if (out.find(key) != nullptr) {
                fail(kv.first, fmt::format("the key '{}' appears twice in this mapping", key));
            }
            ComposeNode value = build(kv.second, depth + 1);
            value.key_pos = pos_of(kv.first);
            out.entries.push_back(ComposeEntry{key, std::move(value)});
        }
        for (auto& m : merged) {
            for (auto& [key, value] : m.entries) {
                if (out.find(key) == nullptr) {
                    out.entries.push_back(ComposeEntry{key, std::move(value)});
                }
            }
        }
    }

    const std::string& m_source;
    const VariableLookup& m_lookup;
    const ComposeLimits& m_limits;
    InterpolationBudget m_budget;
    std::size_t m_nodes = 0;
    std::vector<UnsetVariable> m_unset;
    std::set<std::string> m_unset_names;
};

} // namespace

std::string format_location(const std::string& file, SourcePos pos) {
    return pos.line > 0 ? fmt::format("{}:{}:{}", file, pos.line, pos.column) : file;
}

const ComposeNode* ComposeNode::find(std::string_view key) const {
    for (const auto& [k, v] : entries) {
        if (k == key) {
            return &v;
        }
    }
    return nullptr;
}

ComposeDocument parse_compose_yaml(std::string_view text, const std::string& source,
                                   const VariableLookup& lookup, const ComposeLimits& limits) {
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::ParserException& e) {
        const SourcePos p =
            e.mark.line < 0 ? SourcePos{} : SourcePos{e.mark.line + 1, e.mark.column + 1};
        throw Error(ErrorKind::data, format_location(source, p), e.msg,
                    "fix the YAML syntax; 'docker compose config' shows the same error");
    }
    if (!root.IsMap()) {
        throw Error(ErrorKind::data, source,
                    "a compose file must be a mapping with a 'services' key at the top");
    }
    TreeBuilder builder(source, lookup, limits);
    ComposeDocument doc;
    doc.source = source;
    doc.root = builder.build(root, 0);
    doc.unset = builder.take_unset();
    return doc;
}

} // namespace vramplan
