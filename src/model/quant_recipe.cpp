// Mirrors src/llama-quant.cpp of llama.cpp (tensor_allows_quantization, tensor_get_category,
// llama_tensor_get_type_impl, tensor_type_fallback, init_quantize_state_counters). The branch
// structure below follows the source so that a reader can check it rule by rule.

#include <vramplan/base/error.hpp>
#include <vramplan/model/quant_recipe.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <numeric>

namespace vramplan {

namespace {

using FT = FileType;
using GT = GgmlType;

constexpr std::array k_file_types{
    FileTypeInfo{FT::all_f32, "F32", GT::f32},
    FileTypeInfo{FT::f16, "F16", GT::f16},
    FileTypeInfo{FT::bf16, "BF16", GT::bf16},
    FileTypeInfo{FT::q4_0, "Q4_0", GT::q4_0},
    FileTypeInfo{FT::q4_1, "Q4_1", GT::q4_1},
    FileTypeInfo{FT::q5_0, "Q5_0", GT::q5_0},
    FileTypeInfo{FT::q5_1, "Q5_1", GT::q5_1},
    FileTypeInfo{FT::q8_0, "Q8_0", GT::q8_0},
    FileTypeInfo{FT::q2_k, "Q2_K", GT::q2_k},
    FileTypeInfo{FT::q2_k_s, "Q2_K_S", GT::q2_k},
    FileTypeInfo{FT::q3_k_s, "Q3_K_S", GT::q3_k},
    FileTypeInfo{FT::q3_k_m, "Q3_K_M", GT::q3_k},
    FileTypeInfo{FT::q3_k_l, "Q3_K_L", GT::q3_k},
    FileTypeInfo{FT::q4_k_s, "Q4_K_S", GT::q4_k},
    FileTypeInfo{FT::q4_k_m, "Q4_K_M", GT::q4_k},
    FileTypeInfo{FT::q5_k_s, "Q5_K_S", GT::q5_k},
    FileTypeInfo{FT::q5_k_m, "Q5_K_M", GT::q5_k},
    FileTypeInfo{FT::q6_k, "Q6_K", GT::q6_k},
    FileTypeInfo{FT::iq2_xxs, "IQ2_XXS", GT::iq2_xxs},
    FileTypeInfo{FT::iq2_xs, "IQ2_XS", GT::iq2_xs},
    FileTypeInfo{FT::iq2_s, "IQ2_S", GT::iq2_xs},
    FileTypeInfo{FT::iq2_m, "IQ2_M", GT::iq2_s},
    FileTypeInfo{FT::iq3_xxs, "IQ3_XXS", GT::iq3_xxs},
    FileTypeInfo{FT::iq3_xs, "IQ3_XS", GT::iq3_s},
    FileTypeInfo{FT::iq3_s, "IQ3_S", GT::iq3_s},
    FileTypeInfo{FT::iq3_m, "IQ3_M", GT::iq3_s},
    FileTypeInfo{FT::iq1_s, "IQ1_S", GT::iq1_s},
    FileTypeInfo{FT::iq1_m, "IQ1_M", GT::iq1_m},
    FileTypeInfo{FT::iq4_nl, "IQ4_NL", GT::iq4_nl},
    FileTypeInfo{FT::iq4_xs, "IQ4_XS", GT::iq4_xs},
    FileTypeInfo{FT::tq1_0, "TQ1_0", GT::tq1_0},
    FileTypeInfo{FT::tq2_0, "TQ2_0", GT::tq2_0},
    FileTypeInfo{FT::mxfp4_moe, "MXFP4_MOE", GT::mxfp4},
};

enum class Category {
    token_embd,
    attention_q,
    attention_v,
    attention_k,
    attention_qkv,
    attention_kv_b,
    attention_output,
    ffn_up,
    ffn_gate,
    ffn_down,
    output,
    other,
};

bool contains(std::string_view s, std::string_view part) {
    return s.find(part) != std::string_view::npos;
}

// tensor_get_category
Category category_of(std::string_view name) {
    if (name == "output.weight") {
        return Category::output;
    }
    if (name == "token_embd.weight" || name == "per_layer_token_embd.weight") {
        return Category::token_embd;
    }
    if (contains(name, "attn_qkv.weight")) {
        return Category::attention_qkv;
    }
    if (contains(name, "attn_kv_b.weight")) {
        return Category::attention_kv_b;
    }
    if (contains(name, "attn_v.weight")) {
        return Category::attention_v;
    }
    if (contains(name, "attn_k.weight")) {
        return Category::attention_k;
    }
    if (contains(name, "attn_q.weight")) {
        return Category::attention_q;
    }
    if (contains(name, "attn_output.weight")) {
        return Category::attention_output;
    }
    if (contains(name, "ffn_up")) {
        return Category::ffn_up;
    }
    if (contains(name, "ffn_gate")) {
        return Category::ffn_gate;
    }
    if (contains(name, "ffn_down")) {
        return Category::ffn_down;
    }
    return Category::other;
}

bool is_attn_v(Category c) {
    return c == Category::attention_v || c == Category::attention_qkv ||
           c == Category::attention_kv_b;
}

// tensor_allows_quantization, for the tensors that exist in text models.
bool allows_quantization(const RecipeTensor& t) {
    if (t.n_dims < 2) {
        return false;
    }
    const std::string_view n = t.name;
    bool q = n.size() >= 6 && n.substr(n.size() - 6) == "weight";
    for (std::string_view never : {"_norm.weight",
                                   "ffn_gate_inp.weight",
                                   "ffn_gate_tid2eid.weight",
                                   "altup",
                                   "laurel",
                                   "per_layer_model_proj",
                                   "ssm_conv1d",
                                   "shortconv.conv.weight",
                                   "indexer.k_proj.weight",
                                   "indexer.q_proj.weight",
                                   "time_mix_first.weight",
                                   "time_mix_w0.weight",
                                   "time_mix_w1.weight",
                                   "time_mix_w2.weight",
                                   "time_mix_v0.weight",
                                   "time_mix_v1.weight",
                                   "time_mix_v2.weight",
                                   "time_mix_a0.weight",
                                   "time_mix_a1.weight",
                                   "time_mix_a2.weight",
                                   "time_mix_g1.weight",
                                   "time_mix_g2.weight",
                                   "time_mix_decay_w1.weight",
                                   "time_mix_decay_w2.weight",
                                   "time_mix_lerp_fused.weight",
                                   "attn_rel_b.weight",
                                   ".position_embd",
                                   ".patch_embd",
                                   ".patch_merger",
                                   ".rel_pos"}) {
        q = q && !contains(n, never);
    }
    q = q && n != "position_embd.weight" && n != "token_types.weight";
    return q;
}

std::uint64_t block_of(GT t) {
    return traits(t).block_elems;
}

// tensor_type_fallback: a row length the chosen type's block does not divide.
GT fallback(const RecipeTensor& t, GT target) {
    const std::uint64_t ncols = t.ne[0];
    if (ncols % block_of(target) == 0) {
        return target;
    }
    GT r{};
    switch (target) {
    case GT::iq1_s:
    case GT::iq1_m:
    case GT::iq2_xxs:
    case GT::iq2_xs:
    case GT::iq2_s:
    case GT::iq3_xxs:
    case GT::iq3_s:
    case GT::iq4_xs: r = GT::iq4_nl; break;
    case GT::q2_0:
    case GT::q2_k:
    case GT::q3_k:
    case GT::tq1_0:
    case GT::tq2_0: r = GT::q4_0; break;
    case GT::q4_k: r = GT::q5_0; break;
    case GT::q5_k: r = GT::q5_1; break;
    case GT::q6_k: r = GT::q8_0; break;
    default:
        throw Error(ErrorKind::data, std::string(t.name),
                    "llama.cpp defines no fallback for type " + std::string(type_name(target)) +
                        " with " + std::to_string(ncols) + " columns");
    }
    return ncols % block_of(r) == 0 ? r : GT::f16;
}

struct State {
    const RecipeModel& model;
    const RecipeOptions& options;
    int n_attention_wv = 0;
    int n_ffn = 0; // n_ffn_down = n_ffn_gate = n_ffn_up = n_layer_all
    int i_attention_wv = 0;
    int i_ffn_down = 0;
    int i_ffn_gate = 0;
    int i_ffn_up = 0;
    bool tied = true; // until output.weight is seen

    std::uint32_t n_gqa() const {
        return model.n_head_kv == 0 ? 0 : model.n_head / model.n_head_kv;
    }
    // layer_info: MoE models take the layer from the name, dense ones from the counter.
    int layer(int counter, std::string_view name) const {
        if (model.n_expert > 1) {
            const int l = weight_layer(name);
            if (l < 0 || l >= n_ffn) {
                throw Error(ErrorKind::data, std::string(name), "cannot determine the layer");
            }
            return l;
        }
        return counter;
    }
};

bool use_more_bits(int i, int n) {
    return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
}

bool is_one_of(FT ft, std::initializer_list<FT> set) {
    return std::find(set.begin(), set.end(), ft) != set.end();
}

// llama_tensor_get_type_impl
GT type_impl(State& qs, GT new_type, const RecipeTensor& t, FT ft, Category cat) {
    const bool falcon = qs.model.arch == "falcon";
    const std::uint32_t n_expert = qs.model.n_expert;
    const std::string_view name = t.name;

    if (cat == Category::output || (qs.tied && cat == Category::token_embd)) {
        if (ft == FT::mxfp4_moe) {
            new_type = GT::q8_0;
        } else if (falcon || t.ne[0] % block_of(new_type) != 0) {
            new_type = GT::q8_0;
        } else if (is_one_of(ft, {FT::iq2_xxs, FT::iq2_xs, FT::iq3_xxs, FT::iq1_s, FT::iq2_s,
                                  FT::iq2_m, FT::iq1_m})) {
            new_type = GT::q5_k;
        } else if (new_type != GT::q8_0) {
            new_type = GT::q6_k;
        }
    } else if (ft == FT::mxfp4_moe) {
        new_type = t.ne[2] > 1 ? GT::mxfp4 : GT::q8_0;
    } else if (cat == Category::token_embd) {
        if (is_one_of(ft, {FT::iq2_xxs, FT::iq2_xs, FT::iq1_s, FT::iq1_m})) {
            new_type = GT::q2_k;
        } else if (is_one_of(ft, {FT::iq2_s, FT::iq2_m, FT::iq3_xxs})) {
            new_type = GT::iq3_s;
        } else if (is_one_of(ft, {FT::tq1_0, FT::tq2_0})) {
            new_type = GT::q4_k;
        }
    } else if (is_one_of(ft,
                         {FT::iq2_xxs, FT::iq2_xs, FT::iq1_s, FT::iq2_s, FT::iq2_m, FT::iq1_m})) {
        const bool iq2_sm = ft == FT::iq2_s || ft == FT::iq2_m;
        if (is_attn_v(cat)) {
            if (qs.n_gqa() >= 4 || n_expert >= 4) {
                new_type = GT::q4_k;
            } else {
                new_type = iq2_sm ? GT::iq3_s : GT::q2_k;
            }
            ++qs.i_attention_wv;
        } else if (n_expert == 8 && cat == Category::attention_k) {
            new_type = GT::q4_k;
        } else if (cat == Category::ffn_down) {
            if (qs.i_ffn_down < qs.n_ffn / 8) {
                new_type = iq2_sm ? GT::iq3_s : GT::q2_k;
            }
            ++qs.i_ffn_down;
        } else if (cat == Category::attention_output) {
            if (n_expert == 8) {
                new_type = GT::q5_k;
            } else if (ft == FT::iq1_s || ft == FT::iq1_m) {
                new_type = GT::iq2_xxs;
            } else if (iq2_sm) {
                new_type = GT::iq3_s;
            }
        }
    } else if (is_attn_v(cat)) {
        const bool gqa4 = qs.n_gqa() >= 4;
        if (ft == FT::q2_k) {
            new_type = gqa4 ? GT::q4_k : GT::q3_k;
        } else if (ft == FT::q2_k_s && gqa4) {
            new_type = GT::q4_k;
        } else if (ft == FT::iq3_xxs) {
            new_type = gqa4 ? GT::q4_k : (!qs.options.imatrix ? GT::iq3_s : GT::iq3_xxs);
        } else if ((ft == FT::iq3_xs || ft == FT::iq3_s) && gqa4) {
            new_type = GT::q4_k;
        } else if (ft == FT::iq3_m) {
            new_type = GT::q4_k;
        } else if (ft == FT::q3_k_m) {
            new_type = qs.i_attention_wv < 2 ? GT::q5_k : GT::q4_k;
        } else if (ft == FT::q3_k_l) {
            new_type = GT::q5_k;
        } else if ((ft == FT::iq4_nl || ft == FT::iq4_xs) && gqa4) {
            new_type = GT::q5_k;
        } else if ((ft == FT::q4_k_m || ft == FT::q5_k_m) &&
                   use_more_bits(qs.i_attention_wv, qs.n_attention_wv)) {
            new_type = GT::q6_k;
        } else if (ft == FT::q4_k_s && qs.i_attention_wv < 4) {
            new_type = GT::q5_k;
        }
        if (qs.model.is_70b && (new_type == GT::q3_k || new_type == GT::q4_k)) {
            new_type = GT::q5_k;
        }
        if (n_expert == 8) {
            new_type = GT::q8_0;
        }
        ++qs.i_attention_wv;
    } else if (cat == Category::attention_k) {
        if (n_expert == 8) {
            new_type = GT::q8_0;
        } else if (ft == FT::iq3_xs) {
            new_type = GT::iq3_xxs;
        } else if (ft == FT::iq3_xxs) {
            new_type = GT::iq2_s;
        }
    } else if (cat == Category::attention_q) {
        if (ft == FT::iq3_xs) {
            new_type = GT::iq3_xxs;
        } else if (ft == FT::iq3_xxs) {
            new_type = GT::iq2_s;
        }
    } else if (cat == Category::ffn_down) {
        const int i = qs.layer(qs.i_ffn_down, name);
        const int n = qs.n_ffn;
        if (ft == FT::q2_k) {
            new_type = GT::q3_k;
        } else if (ft == FT::q2_k_s) {
            if (i < n / 8) {
                new_type = GT::q4_k;
            }
        } else if (ft == FT::iq3_xxs && !qs.options.imatrix) {
            new_type = i < n / 8 ? GT::q4_k : GT::q3_k;
        } else if (ft == FT::q3_k_m) {
            new_type = i < n / 16 ? GT::q5_k : !falcon || use_more_bits(i, n) ? GT::q4_k : GT::q3_k;
        } else if (ft == FT::iq3_m && (i < n / 8 || (n_expert == 8 && use_more_bits(i, n)))) {
            new_type = GT::q4_k;
        } else if (ft == FT::q3_k_l) {
            new_type = falcon ? GT::q4_k : GT::q5_k;
        } else if (ft == FT::q4_k_m) {
            if (falcon) {
                new_type = i < n / 16 ? GT::q6_k : use_more_bits(i, n) ? GT::q5_k : GT::q4_k;
            } else if (use_more_bits(i, n)) {
                new_type = GT::q6_k;
            }
        } else if (i < n / 8 && (ft == FT::iq4_nl || ft == FT::iq4_xs) && !qs.options.imatrix) {
            new_type = GT::q5_k;
        } else if (ft == FT::q5_k_m && use_more_bits(i, n)) {
            new_type = GT::q6_k;
        } else if (ft == FT::q4_k_s && !falcon && i < n / 8) {
            new_type = GT::q5_k;
        } else if ((ft == FT::q4_0 || ft == FT::q5_0) && qs.options.imatrix && i < n / 8) {
            new_type = ft == FT::q4_0 ? GT::q4_1 : GT::q5_1;
        }
        ++qs.i_ffn_down;
    } else if (cat == Category::attention_output) {
        if (!falcon) {
            if (n_expert == 8) {
                if (is_one_of(ft, {FT::q2_k, FT::iq3_xs, FT::iq3_xxs, FT::q3_k_s, FT::q3_k_m,
                                   FT::iq4_nl, FT::q4_k_s, FT::q4_k_m, FT::iq3_s, FT::iq3_m,
                                   FT::iq4_xs})) {
                    new_type = GT::q5_k;
                }
            } else if (ft == FT::q2_k) {
                new_type = GT::q3_k;
            } else if (ft == FT::iq3_xxs) {
                new_type = GT::iq3_s;
            } else if (ft == FT::q3_k_m) {
                new_type = GT::q4_k;
            } else if (ft == FT::q3_k_l) {
                new_type = GT::q5_k;
            } else if (ft == FT::iq3_m) {
                new_type = GT::q4_k;
            }
        } else if (ft == FT::q3_k_l) {
            new_type = GT::q4_k;
        }
    } else if (cat == Category::attention_qkv) {
        // Unreachable in the source too: attn_qkv is attn_v-like and handled above.
        if (is_one_of(ft, {FT::q3_k_m, FT::q3_k_l, FT::iq3_m})) {
            new_type = GT::q4_k;
        } else if (ft == FT::q4_k_m) {
            new_type = GT::q5_k;
        } else if (ft == FT::q5_k_m) {
            new_type = GT::q6_k;
        }
    } else if (cat == Category::ffn_gate || cat == Category::ffn_up) {
        int& counter = cat == Category::ffn_gate ? qs.i_ffn_gate : qs.i_ffn_up;
        const int i = qs.layer(counter, name);
        if (ft == FT::iq3_xs && i >= qs.n_ffn / 8 && i < 7 * qs.n_ffn / 8) {
            new_type = GT::iq3_xxs;
        }
        ++counter;
    }
    return new_type;
}

} // namespace

std::span<const FileTypeInfo> all_file_types() {
    return k_file_types;
}

const FileTypeInfo* find_file_type(std::uint32_t id) {
    for (const auto& f : k_file_types) {
        if (static_cast<std::uint32_t>(f.file_type) == id) {
            return &f;
        }
    }
    return nullptr;
}

const FileTypeInfo& info(FileType ft) {
    const FileTypeInfo* f = find_file_type(static_cast<std::uint32_t>(ft));
    if (f == nullptr) {
        throw Error(ErrorKind::internal, {}, "file type without info");
    }
    return *f;
}

std::optional<FileType> parse_file_type(std::string_view name) {
    for (const auto& f : k_file_types) {
        if (f.name.size() == name.size() &&
            std::equal(name.begin(), name.end(), f.name.begin(), [](char a, char b) {
                return std::toupper(static_cast<unsigned char>(a)) == b;
            })) {
            return f.file_type;
        }
    }
    return std::nullopt;
}

int weight_layer(std::string_view name) {
    constexpr std::string_view prefix = "blk.";
    if (name.substr(0, prefix.size()) != prefix) {
        return -1;
    }
    std::size_t i = prefix.size();
    bool negative = false;
    if (i < name.size() && (name[i] == '-' || name[i] == '+')) {
        negative = name[i] == '-';
        ++i;
    }
    long value = 0;
    bool any = false;
    while (i < name.size() && std::isdigit(static_cast<unsigned char>(name[i])) != 0 &&
           value < 1'000'000'000L) {
        value = value * 10 + (name[i] - '0');
        any = true;
        ++i;
    }
    if (!any) {
        return -1;
    }
    return static_cast<int>(negative ? -value : value);
}

bool weight_order_less(std::string_view a, std::string_view b) {
    const int la = weight_layer(a);
    const int lb = weight_layer(b);
    if (la != lb) {
        return la < lb;
    }
    return a < b;
}

std::vector<GgmlType> choose_tensor_types(FileType ft, const RecipeModel& model,
                                          std::span<const RecipeTensor> tensors,
                                          const RecipeOptions& options) {
    const GgmlType default_type = info(ft).default_type;

    std::vector<std::size_t> order(tensors.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return weight_order_less(tensors[a].name, tensors[b].name);
    });

    State qs{model, options};
    qs.n_ffn = static_cast<int>(model.n_layer);
    for (const auto& t : tensors) { // init_quantize_state_counters
        const Category c = category_of(t.name);
        qs.n_attention_wv += is_attn_v(c) ? 1 : 0;
        qs.tied = qs.tied && c != Category::output;
    }

    std::vector<GgmlType> out(tensors.size());
    for (std::size_t idx : order) {
        const RecipeTensor& t = tensors[idx];
        if (!allows_quantization(t)) {
            out[idx] = t.source_type;
            continue;
        }
        GgmlType type = default_type;
        if (traits(default_type).quantized) {
            if (!options.pure) {
                type = type_impl(qs, type, t, ft, category_of(t.name));
            }
            type = fallback(t, type);
        }
        out[idx] = type;
    }
    return out;
}

} // namespace vramplan
