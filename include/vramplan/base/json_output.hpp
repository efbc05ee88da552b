#pragma once
// JSON as every --json prints it: indented two spaces, ending in a newline, and never throwing
// on text that is not UTF-8 (a file name or a server's reply): such bytes become U+FFFD.

#include <string>

namespace vramplan {

template <typename Json> std::string json_output(const Json& j) {
    return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

// The same on one line, without the newline: a value quoted in a message or a request body.
template <typename Json> std::string json_compact(const Json& j) {
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

} // namespace vramplan
