#include <vramplan/base/error.hpp>

namespace vramplan {

namespace {

std::string join_where(const std::string& where, const std::string& what) {
    return where.empty() ? what : where + ": " + what;
}

} // namespace

int exit_code(ErrorKind kind) {
    return kind == ErrorKind::internal ? k_exit_internal : k_exit_bad_input;
}

Error::Error(ErrorKind kind, std::string where, const std::string& what, std::string hint)
    : std::runtime_error(join_where(where, what)), m_kind(kind), m_where(std::move(where)),
      m_message(what), m_hint(std::move(hint)) {}

Error Error::within(const std::string& outer) const {
    std::string w = m_where.empty() ? outer : outer + ": " + m_where;
    return Error(m_kind, std::move(w), m_message, m_hint);
}

} // namespace vramplan
