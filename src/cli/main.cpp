// The only try/catch of vramplan: maps vramplan::Error to a message and an exit code.

#include "app.hpp"
#include <unistd.h>

#include <vramplan/base/error.hpp>
#include <vramplan/base/strings.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>

namespace {

bool stderr_color() {
    const char* no_color = std::getenv("NO_COLOR");
    return (no_color == nullptr || *no_color == '\0') && ::isatty(STDERR_FILENO) == 1;
}

// Messages quote values from files, flags and servers. Most quote them with quote_value (their
// start, escaped); this is the net under all of them: one line each, and a bounded length.
std::string printable(const std::string& text) {
    constexpr std::size_t k_max = 2000;
    const std::string s = vramplan::escape_control(text);
    return s.size() <= k_max ? s : s.substr(0, k_max) + fmt::format("... ({} bytes)", s.size());
}

void report(const std::string& raw_message, const std::string& raw_hint) {
    const std::string message = printable(raw_message);
    const std::string hint = printable(raw_hint);
    const bool color = stderr_color();
    std::cerr << (color ? "\033[1;31mvramplan: error:\033[0m " : "vramplan: error: ") << message
              << "\n";
    if (!hint.empty()) {
        std::cerr << (color ? "\033[1mhint:\033[0m " : "hint: ") << hint << "\n";
    }
}

} // namespace

int main(int argc, char** argv) {
    try {
        return vramplan::cli::run(argc, argv);
    } catch (const vramplan::Error& e) {
        report(e.what(), e.hint());
        return vramplan::exit_code(e.kind());
    } catch (const std::filesystem::filesystem_error& e) {
        // The machine, not vramplan: a folder that cannot be read, a path that is a file.
        report(e.what(), "check the path and its permissions");
        return vramplan::k_exit_bad_input;
    } catch (const std::bad_alloc&) {
        report("out of memory", "this is a bug if the input was reasonable; please report it");
        return vramplan::k_exit_internal;
    } catch (const std::exception& e) {
        report(std::string("internal error: ") + e.what(),
               "this is a bug in vramplan; please report it with the command line you ran");
        return vramplan::k_exit_internal;
    }
}
