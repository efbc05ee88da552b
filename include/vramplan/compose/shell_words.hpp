#pragma once
// Splitting a command written as one string ("llama-server -m '/models/a b.gguf' -c 1024") into
// words as a POSIX shell does, without expansions: what Docker Compose does with a `command:` or
// `entrypoint:` string (compose-go uses go-shellwords, docker-compose 1.x Python's shlex).

#include <string>
#include <string_view>
#include <vector>

namespace vramplan {

// Blanks separate words; single quotes keep everything literally; double quotes keep all but
// \" \\ \$ \` and a backslash-newline; outside quotes a backslash escapes the next character.
// Throws vramplan::Error (data, no location) for an unclosed quote or a trailing backslash.
std::vector<std::string> split_shell_words(std::string_view text);

// `word` as one POSIX shell word that expands to exactly `word`: as it is when made only of
// characters no shell treats specially, else in single quotes (a ' inside as '\''). Control
// characters are kept: the result is for a shell, not a terminal (escape_control for that).
std::string shell_quote(std::string_view word);

// Words joined with spaces, each shell-quoted and with control characters written as \xNN: a
// command line that can be shown on one line (a comment in a written file) and, where it had
// no control characters, pasted back into a shell.
std::string render_command_line(const std::vector<std::string>& words);

} // namespace vramplan
