// GGUF header reader. Follows the file format as ggml's gguf.cpp (gguf_init_from_file_impl) reads
// it, and rejects what it rejects: bad magic or version, duplicate keys or tensor names,
// alignment that is not a power of two, names of GGML_MAX_NAME or more bytes, more than
// GGML_MAX_DIMS dimensions, rows that split a block, and tensor offsets that are not packed in
// table order. Every count is compared with the bytes left before anything is allocated.

#include <vramplan/base/byte_reader.hpp>
#include <vramplan/base/error.hpp>
#include <vramplan/base/mapped_file.hpp>
#include <vramplan/model/gguf.hpp>

#include <fmt/format.h>

#include <unordered_set>

namespace vramplan {

std::string format_offset(std::uint64_t offset) {
    return fmt::format("offset {:#x} ({})", offset, offset);
}

void throw_format_error(std::uint64_t offset, const std::string& what) {
    throw Error(ErrorKind::format, format_offset(offset), what);
}

void throw_overflow_error(std::uint64_t offset, const char* what) {
    throw_format_error(offset, fmt::format("{} overflows 64 bits", what));
}

void throw_truncated_error(std::uint64_t offset, const char* what, std::uint64_t need,
                           std::uint64_t left) {
    throw_format_error(offset, fmt::format("unexpected end of file reading {}: needs {} bytes, "
                                           "{} left",
                                           what, need, left));
}

std::string_view gguf_type_name(GgufValueType type) {
    switch (type) {
    case GgufValueType::u8: return "u8";
    case GgufValueType::i8: return "i8";
    case GgufValueType::u16: return "u16";
    case GgufValueType::i16: return "i16";
    case GgufValueType::u32: return "u32";
    case GgufValueType::i32: return "i32";
    case GgufValueType::f32: return "f32";
    case GgufValueType::boolean: return "bool";
    case GgufValueType::string: return "string";
    case GgufValueType::array: return "array";
    case GgufValueType::u64: return "u64";
    case GgufValueType::i64: return "i64";
    case GgufValueType::f64: return "f64";
    }
    return "unknown";
}

namespace {

constexpr std::uint32_t k_magic = 0x46554747; // "GGUF" read as a little-endian u32

// Size of one element of a fixed-size type; 0 for string and array.
std::uint64_t fixed_size(GgufValueType t) {
    switch (t) {
    case GgufValueType::u8:
    case GgufValueType::i8:
    case GgufValueType::boolean: return 1;
    case GgufValueType::u16:
    case GgufValueType::i16: return 2;
    case GgufValueType::u32:
    case GgufValueType::i32:
    case GgufValueType::f32: return 4;
    case GgufValueType::u64:
    case GgufValueType::i64:
    case GgufValueType::f64: return 8;
    case GgufValueType::string:
    case GgufValueType::array: return 0;
    }
    return 0;
}

// The fewest bytes one element can occupy: a string is at least its 8-byte length, an array at
// least its type and count. Used to reject counts the remaining bytes cannot hold.
std::uint64_t min_encoded_size(GgufValueType t) {
    if (t == GgufValueType::string) {
        return 8;
    }
    if (t == GgufValueType::array) {
        return 12;
    }
    return fixed_size(t);
}

bool is_integer_type(GgufValueType t) {
    switch (t) {
    case GgufValueType::u8:
    case GgufValueType::i8:
    case GgufValueType::u16:
    case GgufValueType::i16:
    case GgufValueType::u32:
    case GgufValueType::i32:
    case GgufValueType::u64:
    case GgufValueType::i64: return true;
    default: return false;
    }
}

class HeaderParser {
public:
    explicit HeaderParser(std::span<const std::byte> bytes) : m_in(bytes) {}

    GgufValueType read_type(const char* what) {
        const std::uint64_t at = m_in.offset();
        const std::uint32_t raw = m_in.u32();
        if (raw > static_cast<std::uint32_t>(GgufValueType::f64)) {
            throw_format_error(at, fmt::format("unknown {} type {}", what, raw));
        }
        return static_cast<GgufValueType>(raw);
    }

    std::string_view read_string(const char* what) {
        const std::uint64_t at = m_in.offset();
        const std::uint64_t len = m_in.u64();
        if (len > m_in.remaining()) {
            throw_format_error(at, fmt::format("{} length {} exceeds the {} bytes left", what, len,
                                               m_in.remaining()));
        }
        auto b = m_in.bytes(len, what);
        return {reinterpret_cast<const char*>(b.data()), b.size()};
    }

    // Reads a count and checks that `count` elements of at least `min_size` bytes fit in what is
    // left, so that no vector is ever sized from an unchecked number.
    std::uint64_t read_count(const char* what, std::uint64_t min_size) {
        const std::uint64_t at = m_in.offset();
        const std::uint64_t count = m_in.u64();
        const std::uint64_t left = m_in.remaining();
        if (min_size > 0 && count > left / min_size) {
            throw_format_error(at, fmt::format("{} {} cannot fit in the {} bytes left (at least {} "
                                               "bytes each)",
                                               what, count, left, min_size));
        }
        return count;
    }

    GgufValue read_value(GgufValueType type, int depth) {
        GgufValue v;
        v.type = type;
        switch (type) {
        case GgufValueType::u8: v.data = std::uint64_t{m_in.u8()}; break;
        case GgufValueType::u16: v.data = std::uint64_t{m_in.u16()}; break;
        case GgufValueType::u32: v.data = std::uint64_t{m_in.u32()}; break;
        case GgufValueType::u64: v.data = m_in.u64(); break;
        case GgufValueType::i8: v.data = std::int64_t{m_in.i8()}; break;
        case GgufValueType::i16: v.data = std::int64_t{m_in.i16()}; break;
        case GgufValueType::i32: v.data = std::int64_t{m_in.i32()}; break;
        case GgufValueType::i64: v.data = m_in.i64(); break;
        case GgufValueType::f32: v.data = double{m_in.f32()}; break;
        case GgufValueType::f64: v.data = m_in.f64(); break;
        case GgufValueType::boolean: {
            const std::uint64_t at = m_in.offset();
            const std::uint8_t b = m_in.u8();
            if (b > 1) {
                throw_format_error(at, fmt::format("boolean value {} is neither 0 nor 1", b));
            }
            v.data = b == 1;
            break;
        }
        case GgufValueType::string: v.data = read_string("string"); break;
        case GgufValueType::array: v.data = read_array(depth + 1); break;
        }
        return v;
    }

    GgufArray read_array(int depth) {
        const std::uint64_t at = m_in.offset();
        if (depth > k_gguf_max_array_depth) {
            throw_format_error(
                at, fmt::format("arrays nested deeper than {} levels", k_gguf_max_array_depth));
        }
        GgufArray arr;
        arr.elem_type = read_type("array element");
        arr.count = read_count("array length", min_encoded_size(arr.elem_type));
        const std::uint64_t size = fixed_size(arr.elem_type);
        if (size > 0) {
            arr.raw = m_in.bytes(arr.count * size, "array data"); // product checked above
        } else if (arr.elem_type == GgufValueType::string) {
            arr.strings.reserve(static_cast<std::size_t>(arr.count));
            for (std::uint64_t i = 0; i < arr.count; ++i) {
                arr.strings.push_back(read_string("array string"));
            }
        } else {
            arr.arrays.reserve(static_cast<std::size_t>(arr.count));
            for (std::uint64_t i = 0; i < arr.count; ++i) {
                GgufValue nested;
                nested.type = GgufValueType::array;
                nested.data = read_array(depth + 1);
                arr.arrays.push_back(std::move(nested));
            }
        }
        return arr;
    }

    GgufTensorInfo read_tensor_info() {
        GgufTensorInfo ti;
        ti.info_offset = m_in.offset();
        ti.name = read_string("tensor name");
        if (ti.name.size() >= k_ggml_max_name) {
            throw_format_error(
                ti.info_offset,
                fmt::format("tensor name '{}...' is {} bytes; ggml allows at most {}",
                            ti.name.substr(0, 32), ti.name.size(), k_ggml_max_name - 1));
        }
        const std::uint64_t dims_at = m_in.offset();
        ti.n_dims = m_in.u32();
        if (ti.n_dims == 0 || ti.n_dims > k_ggml_max_dims) {
            throw_format_error(dims_at, fmt::format("tensor '{}' has {} dimensions; ggml allows 1 "
                                                    "to {}",
                                                    ti.name, ti.n_dims, k_ggml_max_dims));
        }
        std::uint64_t elems = 1;
        for (std::uint32_t d = 0; d < ti.n_dims; ++d) {
            const std::uint64_t at = m_in.offset();
            const std::int64_t ne = m_in.i64();
            if (ne < 0) {
                throw_format_error(
                    at, fmt::format("tensor '{}' dimension {} is negative ({})", ti.name, d, ne));
            }
            ti.ne[d] = static_cast<std::uint64_t>(ne);
            // ggml keeps element counts in int64_t; reject what would overflow it.
            elems = checked_mul(elems, ti.ne[d], at, "tensor element count");
            if (elems > static_cast<std::uint64_t>(INT64_MAX)) {
                throw_format_error(at,
                                   fmt::format("tensor '{}' has more than 2^63 elements", ti.name));
            }
        }
        const std::uint64_t type_at = m_in.offset();
        const std::uint32_t type_id = m_in.u32();
        const GgmlTypeTraits* traits = find_ggml_type(type_id);
        if (traits == nullptr) {
            throw_format_error(
                type_at, fmt::format("tensor '{}' has unknown ggml type id {}", ti.name, type_id));
        }
        ti.type = traits->type;
        if (ti.ne[0] % traits->block_elems != 0) {
            throw_format_error(type_at,
                               fmt::format("tensor '{}' of type {} has {} elements per row, not a "
                                           "multiple of the block size {}",
                                           ti.name, traits->name, ti.ne[0], traits->block_elems));
        }
        ti.bytes = checked_mul(ti.ne[0] / traits->block_elems, traits->block_bytes, type_at,
                               "tensor size");
        for (std::uint32_t d = 1; d < ti.n_dims; ++d) {
            ti.bytes = checked_mul(ti.bytes, ti.ne[d], type_at, "tensor size");
        }
        ti.offset = m_in.u64();
        return ti;
    }

    ByteReader& in() { return m_in; }

private:
    ByteReader m_in;
};

std::uint64_t pad_to(std::uint64_t x, std::uint64_t align, std::uint64_t at) {
    return checked_add(x, (align - x % align) % align, at, "padded offset");
}

} // namespace

bool GgufValue::is_integer() const {
    return is_integer_type(type);
}

std::uint64_t GgufValue::as_uint(std::string_view key) const {
    if (const auto* u = std::get_if<std::uint64_t>(&data)) {
        return *u;
    }
    if (const auto* i = std::get_if<std::int64_t>(&data); i != nullptr && *i >= 0) {
        return static_cast<std::uint64_t>(*i);
    }
    throw Error(ErrorKind::format, std::string(key),
                fmt::format("expected a non-negative integer, found {}", gguf_type_name(type)));
}

double GgufValue::as_float(std::string_view key) const {
    if (const auto* d = std::get_if<double>(&data)) {
        return *d;
    }
    if (is_integer()) {
        if (const auto* i = std::get_if<std::int64_t>(&data)) {
            return static_cast<double>(*i);
        }
        return static_cast<double>(std::get<std::uint64_t>(data));
    }
    throw Error(ErrorKind::format, std::string(key),
                fmt::format("expected a number, found {}", gguf_type_name(type)));
}

bool GgufValue::as_bool(std::string_view key) const {
    if (const auto* b = std::get_if<bool>(&data)) {
        return *b;
    }
    throw Error(ErrorKind::format, std::string(key),
                fmt::format("expected a bool, found {}", gguf_type_name(type)));
}

std::string_view GgufValue::as_string(std::string_view key) const {
    if (const auto* s = std::get_if<std::string_view>(&data)) {
        return *s;
    }
    throw Error(ErrorKind::format, std::string(key),
                fmt::format("expected a string, found {}", gguf_type_name(type)));
}

const GgufArray& GgufValue::as_array(std::string_view key) const {
    if (const auto* a = std::get_if<GgufArray>(&data)) {
        return *a;
    }
    throw Error(ErrorKind::format, std::string(key),
                fmt::format("expected an array, found {}", gguf_type_name(type)));
}

std::uint64_t GgufArray::uint_at(std::uint64_t i) const {
    const std::uint64_t size = fixed_size(elem_type);
    if (!is_integer_type(elem_type) || i >= count) {
        throw Error(
            ErrorKind::format, {},
            fmt::format("array of {} has no integer element {}", gguf_type_name(elem_type), i));
    }
    ByteReader r(raw.subspan(static_cast<std::size_t>(i * size), static_cast<std::size_t>(size)));
    std::int64_t value = 0;
    switch (elem_type) {
    case GgufValueType::u8: return r.u8();
    case GgufValueType::u16: return r.u16();
    case GgufValueType::u32: return r.u32();
    case GgufValueType::u64: return r.u64();
    case GgufValueType::i8: value = r.i8(); break;
    case GgufValueType::i16: value = r.i16(); break;
    case GgufValueType::i32: value = r.i32(); break;
    default: value = r.i64(); break;
    }
    if (value < 0) {
        throw Error(ErrorKind::format, {}, fmt::format("array element {} is negative", i));
    }
    return static_cast<std::uint64_t>(value);
}

bool GgufArray::bool_at(std::uint64_t i) const {
    if (elem_type == GgufValueType::boolean && i < count) {
        return raw[static_cast<std::size_t>(i)] != std::byte{0};
    }
    return uint_at(i) != 0;
}

const GgufValue* GgufFile::find(std::string_view key) const {
    for (const auto& kv : kvs) {
        if (kv.key == key) {
            return &kv.value;
        }
    }
    return nullptr;
}

GgufFile parse_gguf(std::span<const std::byte> bytes, std::optional<std::uint64_t> file_size) {
    HeaderParser p(bytes);
    ByteReader& in = p.in();
    GgufFile f;
    f.file_size = file_size.value_or(bytes.size());

    const std::uint32_t magic = in.u32();
    if (magic != k_magic) {
        throw_format_error(
            0, fmt::format("not a GGUF file: magic is {:#010x}, expected 'GGUF'", magic));
    }
    f.version = in.u32();
    if (f.version == 1) {
        throw_format_error(4, "GGUF version 1 is not supported (llama.cpp dropped it in 2023); "
                              "convert the file again");
    }
    if (f.version != 2 && f.version != 3) {
        // A big-endian file reads its version byte-swapped: 0x02000000 or 0x03000000.
        if (f.version == 0x02000000U || f.version == 0x03000000U) {
            throw_format_error(4, "big-endian GGUF files are not supported");
        }
        throw_format_error(4, fmt::format("unsupported GGUF version {}", f.version));
    }

    // Minimum encoded sizes: a tensor info is name length, n_dims, one dim, type and offset.
    const std::uint64_t n_tensors = p.read_count("tensor count", 8 + 4 + 8 + 4 + 8);
    const std::uint64_t n_kv = p.read_count("metadata count", 8 + 4 + 1);

    f.kvs.reserve(static_cast<std::size_t>(n_kv));
    std::unordered_set<std::string_view> seen;
    seen.reserve(static_cast<std::size_t>(n_kv));
    for (std::uint64_t i = 0; i < n_kv; ++i) {
        GgufKv kv;
        kv.offset = in.offset();
        kv.key = p.read_string("metadata key");
        if (!seen.insert(kv.key).second) {
            throw_format_error(kv.offset, fmt::format("duplicate metadata key '{}'", kv.key));
        }
        const GgufValueType type = p.read_type("metadata value");
        kv.value = p.read_value(type, 0);
        if (kv.key == "general.alignment") {
            if (type != GgufValueType::u32) {
                throw_format_error(kv.offset, fmt::format("general.alignment must be u32, found {}",
                                                          gguf_type_name(type)));
            }
            const std::uint64_t a = std::get<std::uint64_t>(kv.value.data);
            if (a == 0 || (a & (a - 1)) != 0) {
                throw_format_error(kv.offset,
                                   fmt::format("general.alignment {} is not a power of two", a));
            }
            f.alignment = static_cast<std::uint32_t>(a);
        }
        f.kvs.push_back(std::move(kv));
    }

    f.tensors.reserve(static_cast<std::size_t>(n_tensors));
    seen.clear();
    seen.reserve(static_cast<std::size_t>(n_tensors));
    for (std::uint64_t i = 0; i < n_tensors; ++i) {
        GgufTensorInfo ti = p.read_tensor_info();
        if (!seen.insert(ti.name).second) {
            throw_format_error(ti.info_offset, fmt::format("duplicate tensor name '{}'", ti.name));
        }
        f.tensors.push_back(ti);
    }

    const std::uint64_t header_end = in.offset();
    f.data_offset = pad_to(header_end, f.alignment, header_end);

    // ggml requires each tensor at the running sum of the padded sizes before it.
    std::uint64_t expected = 0;
    for (const auto& ti : f.tensors) {
        if (ti.offset != expected) {
            throw_format_error(ti.info_offset,
                               fmt::format("tensor '{}' has data offset {}, expected {} (tensors "
                                           "must be packed in table order)",
                                           ti.name, ti.offset, expected));
        }
        const std::uint64_t end =
            checked_add(checked_add(f.data_offset, ti.offset, ti.info_offset, "tensor offset"),
                        ti.bytes, ti.info_offset, "tensor end");
        if (end > f.file_size) {
            throw_format_error(f.file_size,
                               fmt::format("file is truncated: tensor '{}' ends at byte {} but the "
                                           "file has {} bytes",
                                           ti.name, end, f.file_size));
        }
        expected = pad_to(checked_add(expected, ti.bytes, ti.info_offset, "data size"), f.alignment,
                          ti.info_offset);
    }
    f.data_bytes = expected;
    return f;
}

GgufFile parse_gguf(std::vector<std::byte>&& bytes) {
    auto owned = std::make_shared<const std::vector<std::byte>>(std::move(bytes));
    GgufFile f = parse_gguf(std::span<const std::byte>(*owned));
    f.storage = owned;
    return f;
}

GgufFile read_gguf(const std::filesystem::path& path) {
    auto mapping = MappedFile::open(path);
    try {
        GgufFile f = parse_gguf(mapping->bytes());
        f.storage = mapping;
        return f;
    } catch (const Error& e) {
        throw e.within(path.string());
    }
}

} // namespace vramplan
