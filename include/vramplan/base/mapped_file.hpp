#pragma once
// A read-only memory map of a whole file. Mapping costs address space, not reads: parsing a GGUF
// header touches only the header's pages, so a 20 GB model costs what its header costs.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>

namespace vramplan {

class MappedFile {
public:
    // Throws ErrorKind::io naming the path and the system's reason.
    static std::shared_ptr<const MappedFile> open(const std::filesystem::path& path);

    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    std::span<const std::byte> bytes() const { return {m_data, m_size}; }

private:
    MappedFile(const std::byte* data, std::size_t size) : m_data(data), m_size(size) {}
    const std::byte* m_data;
    std::size_t m_size;
};

} // namespace vramplan
