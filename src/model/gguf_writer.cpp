#include <vramplan/base/atomic_file.hpp>
#include <vramplan/base/error.hpp>
#include <vramplan/model/gguf_writer.hpp>

#include <bit>
#include <cstring>

namespace vramplan {

namespace {

template <typename T> void put(std::vector<std::byte>& out, T v) {
    static_assert(std::endian::native == std::endian::little);
    const auto* p = reinterpret_cast<const std::byte*>(&v);
    out.insert(out.end(), p, p + sizeof(T));
}

void put_string(std::vector<std::byte>& out, std::string_view s) {
    put<std::uint64_t>(out, s.size());
    const auto* p = reinterpret_cast<const std::byte*>(s.data());
    out.insert(out.end(), p, p + s.size());
}

std::uint64_t pad(std::uint64_t x, std::uint64_t align) {
    return (x + align - 1) / align * align;
}

} // namespace

GgufWriter::GgufWriter(std::uint32_t alignment) : m_alignment(alignment) {
    if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
        throw Error(ErrorKind::internal, {}, "GGUF alignment must be a power of two");
    }
    if (alignment != k_gguf_default_alignment) {
        add_u32("general.alignment", alignment);
    }
}

void GgufWriter::key(std::string_view k, GgufValueType type) {
    put_string(m_kvs, k);
    put<std::uint32_t>(m_kvs, static_cast<std::uint32_t>(type));
    ++m_kv_count;
}

void GgufWriter::add_u16(std::string_view k, std::uint16_t v) {
    key(k, GgufValueType::u16);
    put(m_kvs, v);
}
void GgufWriter::add_u32(std::string_view k, std::uint32_t v) {
    key(k, GgufValueType::u32);
    put(m_kvs, v);
}
void GgufWriter::add_i32(std::string_view k, std::int32_t v) {
    key(k, GgufValueType::i32);
    put(m_kvs, v);
}
void GgufWriter::add_u64(std::string_view k, std::uint64_t v) {
    key(k, GgufValueType::u64);
    put(m_kvs, v);
}
void GgufWriter::add_f32(std::string_view k, float v) {
    key(k, GgufValueType::f32);
    put(m_kvs, v);
}
void GgufWriter::add_bool(std::string_view k, bool v) {
    key(k, GgufValueType::boolean);
    put<std::uint8_t>(m_kvs, v ? 1 : 0);
}
void GgufWriter::add_string(std::string_view k, std::string_view v) {
    key(k, GgufValueType::string);
    put_string(m_kvs, v);
}

void GgufWriter::add_string_array(std::string_view k, std::span<const std::string> values) {
    key(k, GgufValueType::array);
    put<std::uint32_t>(m_kvs, static_cast<std::uint32_t>(GgufValueType::string));
    put<std::uint64_t>(m_kvs, values.size());
    for (const auto& s : values) {
        put_string(m_kvs, s);
    }
}

void GgufWriter::add_i32_array(std::string_view k, std::span<const std::int32_t> values) {
    key(k, GgufValueType::array);
    put<std::uint32_t>(m_kvs, static_cast<std::uint32_t>(GgufValueType::i32));
    put<std::uint64_t>(m_kvs, values.size());
    for (auto v : values) {
        put(m_kvs, v);
    }
}

void GgufWriter::add_f32_array(std::string_view k, std::span<const float> values) {
    key(k, GgufValueType::array);
    put<std::uint32_t>(m_kvs, static_cast<std::uint32_t>(GgufValueType::f32));
    put<std::uint64_t>(m_kvs, values.size());
    for (auto v : values) {
        put(m_kvs, v);
    }
}

void GgufWriter::append_raw_kv(std::span<const std::byte> encoded) {
    m_kvs.insert(m_kvs.end(), encoded.begin(), encoded.end());
    ++m_kv_count;
}

void GgufWriter::add_tensor(std::string_view name, GgmlType type,
                            std::span<const std::uint64_t> ne) {
    if (ne.empty() || ne.size() > k_ggml_max_dims) {
        throw Error(ErrorKind::internal, std::string(name), "a tensor has 1 to 4 dimensions");
    }
    put_string(m_tensors, name);
    put<std::uint32_t>(m_tensors, static_cast<std::uint32_t>(ne.size()));
    for (auto d : ne) {
        put<std::uint64_t>(m_tensors, d);
    }
    put<std::uint32_t>(m_tensors, static_cast<std::uint32_t>(type));
    put<std::uint64_t>(m_tensors, m_data_bytes);
    ++m_tensor_count;
    m_data_bytes = pad(m_data_bytes + tensor_bytes(type, ne), m_alignment);
}

std::vector<std::byte> GgufWriter::header() const {
    std::vector<std::byte> out;
    out.reserve(24 + m_kvs.size() + m_tensors.size() + m_alignment);
    put<std::uint32_t>(out, 0x46554747); // "GGUF"
    put<std::uint32_t>(out, 3);
    put<std::uint64_t>(out, m_tensor_count);
    put<std::uint64_t>(out, m_kv_count);
    out.insert(out.end(), m_kvs.begin(), m_kvs.end());
    out.insert(out.end(), m_tensors.begin(), m_tensors.end());
    out.resize(static_cast<std::size_t>(pad(out.size(), m_alignment)), std::byte{0});
    return out;
}

void write_sparse_gguf(const GgufWriter& writer, const std::filesystem::path& path,
                       bool overwrite) {
    const std::vector<std::byte> head = writer.header();
    write_file_atomically(path, head, head.size() + writer.data_bytes(), overwrite);
}

} // namespace vramplan
