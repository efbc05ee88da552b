#pragma once
// llama.cpp's file types (llama_ftype, stored as general.file_type) and the per-tensor type each
// one chooses when llama-quantize writes a file (src/llama-quant.cpp: llama_tensor_get_type,
// llama_tensor_get_type_impl, tensor_type_fallback). docs/quant-recipes.md explains the rules.

#include <vramplan/model/ggml_types.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vramplan {

enum class FileType : std::uint32_t {
    all_f32 = 0,
    f16 = 1,
    q4_0 = 2,
    q4_1 = 3,
    q8_0 = 7,
    q5_0 = 8,
    q5_1 = 9,
    q2_k = 10,
    q3_k_s = 11,
    q3_k_m = 12,
    q3_k_l = 13,
    q4_k_s = 14,
    q4_k_m = 15,
    q5_k_s = 16,
    q5_k_m = 17,
    q6_k = 18,
    iq2_xxs = 19,
    iq2_xs = 20,
    q2_k_s = 21,
    iq3_xs = 22,
    iq3_xxs = 23,
    iq1_s = 24,
    iq4_nl = 25,
    iq3_s = 26,
    iq3_m = 27,
    iq2_s = 28,
    iq2_m = 29,
    iq4_xs = 30,
    iq1_m = 31,
    bf16 = 32,
    tq1_0 = 36,
    tq2_0 = 37,
    mxfp4_moe = 38,
};

struct FileTypeInfo {
    FileType file_type;
    std::string_view name; // as in published file names: "Q4_K_M", "IQ4_XS", "F16"
    GgmlType default_type; // llama_ftype_get_default_type
};

std::span<const FileTypeInfo> all_file_types();
const FileTypeInfo* find_file_type(std::uint32_t id);
const FileTypeInfo& info(FileType ft);
inline std::string_view file_type_name(FileType ft) {
    return info(ft).name;
}
// Case-insensitive: "q4_k_m", "Q4_K_M", "f16".
std::optional<FileType> parse_file_type(std::string_view name);

// What llama_tensor_get_type_impl reads of the model.
struct RecipeModel {
    std::string arch;        // "llama", "qwen2", "falcon", ...
    std::uint32_t n_layer;   // hparams.n_layer_all
    std::uint32_t n_head;    // layer 0, for n_gqa()
    std::uint32_t n_head_kv; // layer 0
    std::uint32_t n_expert = 0;
    bool is_70b = false; // llm_type == LLM_TYPE_70B (attn_v gets more bits)
};

struct RecipeOptions {
    bool imatrix = false; // an importance matrix was given (changes IQ and Q4_0/Q5_0 choices)
    bool pure = false;    // llama-quantize --pure
};

struct RecipeTensor {
    std::string_view name;
    std::array<std::uint64_t, 4> ne{1, 1, 1, 1};
    std::uint32_t n_dims = 1;
    GgmlType source_type = GgmlType::f32; // the type before quantizing
};

// Layer index llama.cpp parses from "blk.N.", or -1 (llama_model_loader::weight_name_comparer).
int weight_layer(std::string_view name);
// The order llama-quantize writes tensors in: by layer (-1 first), then by name.
bool weight_order_less(std::string_view a, std::string_view b);

// The type llama-quantize gives each tensor for `ft`; result[i] belongs to tensors[i]. The
// counters of llama-quant.cpp advance in write order, whatever the order of `tensors`.
std::vector<GgmlType> choose_tensor_types(FileType ft, const RecipeModel& model,
                                          std::span<const RecipeTensor> tensors,
                                          const RecipeOptions& options = {});

} // namespace vramplan
