#pragma once
// Aligned plain-text tables: a header row, then rows; numbers right-aligned.

#include <string>
#include <vector>

namespace vramplan {

class TextTable {
public:
    enum class Align { left, right };
    struct Column {
        std::string title;
        Align align = Align::left;
    };

    explicit TextTable(std::vector<Column> columns, std::string indent = "  ");
    void add_row(std::vector<std::string> cells);
    std::string render() const;
    // The same table in Markdown: "| a | b |", a "| --- |" rule, one line per row.
    std::string render_markdown() const;

private:
    std::vector<Column> m_columns;
    std::vector<std::vector<std::string>> m_rows;
    std::string m_indent;
};

} // namespace vramplan
