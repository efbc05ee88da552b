#pragma once
// A bounded little-endian cursor over bytes, with checked arithmetic. Every read checks the bytes
// left first and throws ErrorKind::format naming the absolute offset, so a hostile file can make
// a read fail but never read out of bounds (bloaty's ReadFixed/CheckedAdd, in our words).

#include <vramplan/base/error.hpp>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace vramplan {

std::string format_offset(std::uint64_t offset); // "offset 0x1a (26)"

[[noreturn]] void throw_format_error(std::uint64_t offset, const std::string& what);
// The messages are built out of line: GCC 12 misreports string concatenation inlined here
// (-Warray-bounds) once these headers are precompiled.
[[noreturn]] void throw_overflow_error(std::uint64_t offset, const char* what);
[[noreturn]] void throw_truncated_error(std::uint64_t offset, const char* what, std::uint64_t need,
                                        std::uint64_t left);

inline std::uint64_t checked_add(std::uint64_t a, std::uint64_t b, std::uint64_t at,
                                 const char* what) {
    std::uint64_t r = 0;
    if (__builtin_add_overflow(a, b, &r)) {
        throw_overflow_error(at, what);
    }
    return r;
}

inline std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b, std::uint64_t at,
                                 const char* what) {
    std::uint64_t r = 0;
    if (__builtin_mul_overflow(a, b, &r)) {
        throw_overflow_error(at, what);
    }
    return r;
}

class ByteReader {
public:
    explicit ByteReader(std::span<const std::byte> bytes) : m_bytes(bytes) {}

    std::uint64_t offset() const { return m_pos; }
    std::uint64_t remaining() const { return m_bytes.size() - m_pos; }

    std::uint8_t u8() { return read_le<std::uint8_t>("u8"); }
    std::uint16_t u16() { return read_le<std::uint16_t>("u16"); }
    std::uint32_t u32() { return read_le<std::uint32_t>("u32"); }
    std::uint64_t u64() { return read_le<std::uint64_t>("u64"); }
    std::int8_t i8() { return std::bit_cast<std::int8_t>(u8()); }
    std::int16_t i16() { return std::bit_cast<std::int16_t>(u16()); }
    std::int32_t i32() { return std::bit_cast<std::int32_t>(u32()); }
    std::int64_t i64() { return std::bit_cast<std::int64_t>(u64()); }
    float f32() { return std::bit_cast<float>(u32()); }
    double f64() { return std::bit_cast<double>(u64()); }

    // `n` bytes as a view into the underlying buffer.
    std::span<const std::byte> bytes(std::uint64_t n, const char* what) {
        require(n, what);
        auto out = m_bytes.subspan(static_cast<std::size_t>(m_pos), static_cast<std::size_t>(n));
        m_pos += n;
        return out;
    }

    void skip(std::uint64_t n, const char* what) { (void)bytes(n, what); }

    // Throws unless `n` more bytes are available.
    void require(std::uint64_t n, const char* what) const {
        if (n > remaining()) {
            throw_truncated_error(m_pos, what, n, remaining());
        }
    }

private:
    template <typename T> T read_le(const char* what) {
        static_assert(std::endian::native == std::endian::little,
                      "vramplan reads little-endian files on little-endian hosts only");
        require(sizeof(T), what);
        T value{};
        std::memcpy(&value, m_bytes.data() + m_pos, sizeof(T));
        m_pos += sizeof(T);
        return value;
    }

    std::span<const std::byte> m_bytes;
    std::uint64_t m_pos = 0;
};

} // namespace vramplan
