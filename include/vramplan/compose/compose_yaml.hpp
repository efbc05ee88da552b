#pragma once
// A compose file as Docker Compose sees it before it reads any service: the YAML tree with every
// scalar value interpolated (keys are not, as in Compose), merge keys (<<) applied, and the line
// and column of every node kept for findings. Hostile input is refused with a clear error:
// aliases that refer to themselves or expand without bound, and deep nesting.

#include <vramplan/compose/interpolation.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace vramplan {

struct SourcePos {
    int line = 0; // 1-based; 0 when unknown
    int column = 0;
};

// "file:line:column", or "file" when the position is unknown.
std::string format_location(const std::string& file, SourcePos pos);

struct ComposeEntry;

struct ComposeNode {
    enum class Kind { null, scalar, sequence, mapping };
    Kind kind = Kind::null;
    std::string scalar;                // interpolated
    std::vector<ComposeNode> items;    // a sequence
    std::vector<ComposeEntry> entries; // a mapping, in file order
    SourcePos pos;
    SourcePos key_pos; // a mapping value: where its key is written

    const ComposeNode* find(std::string_view key) const; // a mapping's value, or nullptr
    bool is_scalar() const { return kind == Kind::scalar; }
    bool is_sequence() const { return kind == Kind::sequence; }
    bool is_mapping() const { return kind == Kind::mapping; }
};

struct ComposeEntry {
    std::string key;
    ComposeNode value;
};

struct UnsetVariable {
    std::string name;
    SourcePos pos; // the first place it is used
};

struct ComposeDocument {
    std::string source;
    ComposeNode root;
    std::vector<UnsetVariable> unset; // used without a value (Compose warns and uses "")
};

struct ComposeLimits {
    std::size_t max_nodes = 1'000'000; // after alias expansion
    int max_depth = 64;
    // All scalars together after interpolation and alias expansion: an alias of a large string
    // repeated a million times, or ${BIG} in every item, is refused instead of filling memory.
    std::size_t max_scalar_bytes = std::size_t{64} << 20;
};

// Throws vramplan::Error (data) at source:line:column for invalid YAML, an invalid template or
// a required variable without a value, and for input past `limits`.
ComposeDocument parse_compose_yaml(std::string_view text, const std::string& source,
                                   const VariableLookup& lookup, const ComposeLimits& limits = {});

} // namespace vramplan
