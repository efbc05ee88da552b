#include <vramplan/base/error.hpp>
#include <vramplan/base/strings.hpp>
#include <vramplan/base/text_table.hpp>

#include <algorithm>

namespace vramplan {

TextTable::TextTable(std::vector<Column> columns, std::string indent)
    : m_columns(std::move(columns)), m_indent(std::move(indent)) {}

void TextTable::add_row(std::vector<std::string> cells) {
    if (cells.size() != m_columns.size()) {
        throw Error(ErrorKind::internal, {}, "table row has the wrong number of cells");
    }
    // Cells carry names from files and flags: a control character would break the row (or
    // restyle a terminal), so it is shown escaped in both renderings.
    for (auto& c : cells) {
        c = escape_control(c);
    }
    m_rows.push_back(std::move(cells));
}

std::string TextTable::render() const {
    std::vector<std::size_t> width(m_columns.size());
    for (std::size_t c = 0; c < m_columns.size(); ++c) {
        width[c] = m_columns[c].title.size();
        for (const auto& r : m_rows) {
            width[c] = std::max(width[c], r[c].size());
        }
    }
    std::string out;
    auto line = [&](const std::vector<std::string>& cells) {
        std::string l = m_indent;
        for (std::size_t c = 0; c < cells.size(); ++c) {
            const std::size_t pad = width[c] - cells[c].size();
            const bool last = c + 1 == cells.size();
            if (m_columns[c].align == Align::right) {
                l.append(pad, ' ');
                l += cells[c];
            } else {
                l += cells[c];
                if (!last) {
                    l.append(pad, ' ');
                }
            }
            if (!last) {
                l += "  ";
            }
        }
        while (!l.empty() && l.back() == ' ') {
            l.pop_back();
        }
        out += l + "\n";
    };
    std::vector<std::string> titles;
    for (const auto& col : m_columns) {
        titles.push_back(col.title);
    }
    line(titles);
    for (const auto& r : m_rows) {
        line(r);
    }
    return out;
}

std::string TextTable::render_markdown() const {
    const auto line = [](const auto& cells, auto&& text) {
        std::string l = "|";
        for (const auto& c : cells) {
            l += " " + text(c) + " |";
        }
        return l + "\n";
    };
    std::string out = line(m_columns, [](const Column& c) { return c.title; });
    out += line(m_columns, [](const Column&) { return std::string("---"); });
    for (const auto& r : m_rows) {
        out += line(r, [](const std::string& c) { // a | would end the cell
            std::string escaped;
            for (const char ch : c) {
                escaped += ch == '|' ? std::string("\\|") : std::string(1, ch);
            }
            return escaped;
        });
    }
    return out;
}

} // namespace vramplan
