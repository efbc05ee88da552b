#include <vramplan/error.hpp>
#include <vramplan/text_file.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace vramplan {

std::string read_text_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw Error(ErrorKind::io, path.string(),
                    std::string("cannot read file: ") + std::strerror(errno));
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace vramplan
