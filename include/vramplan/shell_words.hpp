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

} // namespace vramplan
