// libFuzzer target for the llama-server argument parser: the input, split at NUL bytes and
// newlines, is a command line; the first line may also carry LLAMA_ARG_* assignments. Any
// input must parse or raise vramplan::Error.

#include <vramplan/base/error.hpp>
#include <vramplan/estimate/server_args.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<std::string> args(1);
    for (std::size_t i = 0; i < size; ++i) {
        const char c = static_cast<char>(data[i]);
        if (c == '\0' || c == '\n') {
            args.emplace_back();
        } else {
            args.back().push_back(c);
        }
    }
    std::map<std::string, std::string> env;
    if (const auto eq = args.front().find('='); eq != std::string::npos) {
        env[args.front().substr(0, eq)] = args.front().substr(eq + 1);
        args.erase(args.begin());
    }
    try {
        (void)vramplan::parse_server_args(args, env);
    } catch (const vramplan::Error&) {
    }
    return 0;
}
