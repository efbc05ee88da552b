// Graph builders mirroring llama.cpp v0.5.0. The order of ggml_build_forward_expand calls and of
// sources matters (it fixes the allocator's order), so each step below follows the source:
// build_inp_embd (both the token and the embedding input are expanded), the per-layer attention
// with Q, V, K expanded before the K and V stores (Q, K, V on the iSWA path), build_attn_mha
// with or without flash attention, build_ffn, and the output norm and logits.

#include <vramplan/base/error.hpp>
#include <vramplan/estimate/llm_graph.hpp>

#include <algorithm>

namespace vramplan {

namespace {

using graph::Graph;
using graph::k_no_tensor;
using Ne = Graph::Ne;

bool has_tensor(const ModelSpec& m, std::string_view name) {
    return std::any_of(m.tensors.begin(), m.tensors.end(),
                       [&](const TensorSpec& t) { return t.name == name; });
}

std::int64_t i64(std::uint64_t v) {
    return static_cast<std::int64_t>(v);
}
std::uint64_t u64(std::int64_t v) {
    return static_cast<std::uint64_t>(v);
}
std::uint64_t pad128(std::uint64_t v) {
    return (v + 127) / 128 * 128;
}

class Builder {
public:
    Builder(const ModelSpec& m, const GraphShape& s) : m_m(m), m_s(s) {
        m_gemma2 = m.architecture == "gemma2";
        m_phi3 = m.architecture == "phi3";
        m_qk_norm = m.architecture == "qwen3";
        m_bias = has_tensor(m, "blk.0.attn_q.bias");
        m_bo = has_tensor(m, "blk.0.attn_output.bias");
        m_rope_factors =
            has_tensor(m, "rope_freqs.weight") || has_tensor(m, "rope_factors_long.weight");
        m_iswa = m.n_swa > 0 &&
                 std::any_of(m.swa_layers.begin(), m.swa_layers.end(), [](bool b) { return b; });
    }

    Graph build() {
        const std::int64_t T = m_s.n_tokens;
        const std::int64_t E = m_m.n_embd;
        // build_inp_embd: token ids -> get_rows, and the alternative embeddings input.
        const int tok_embd = m_g.weight({E, m_m.n_vocab, 1, 1});
        const int tokens = m_g.input({T, 1, 1, 1}, GgmlType::i32);
        const int inp_embd = m_g.input({E, T, 1, 1}, GgmlType::f32);
        int inpL = m_g.get_rows(tok_embd, tokens);
        m_g.expand(inpL);
        m_g.expand(inp_embd);
        m_g.set_layer(0); // what follows the embedding lookup runs with the first layer
        if (m_gemma2) {
            inpL = m_g.scale(inpL); // embeddings * sqrt(n_embd)
        }
        m_pos = m_g.input({T, 1, 1, 1}, GgmlType::i32);
        m_out_ids = m_g.input({m_s.n_outputs, 1, 1, 1}, GgmlType::i32);
        if (m_rope_factors) {
            m_factors = m_g.weight({m_m.n_embd_head_k / 2, 1, 1, 1});
        }
        make_attention_inputs(false);
        if (m_iswa) {
            make_attention_inputs(true);
        }

        for (std::uint32_t il = 0; il < m_m.n_layer; ++il) {
            m_g.set_layer(static_cast<int>(il));
            inpL = layer(il, inpL);
        }
        m_g.set_layer(static_cast<int>(m_m.n_layer));
        int cur = m_g.mul(m_g.rms_norm(inpL), norm_weight());
        m_g.set_output(cur); // result_norm (t_embd)
        cur = m_g.mul_mat(m_g.weight({E, m_m.n_vocab, 1, 1}), cur);
        if (m_gemma2) { // final logit soft-capping
            cur = m_g.scale(m_g.unary(m_g.scale(cur)));
        }
        m_g.set_output(cur); // result_output (t_logits)
        m_g.expand(cur);
        return std::move(m_g);
    }

private:
    struct AttnInputs {
        int k_idxs = k_no_tensor;
        int v_idxs = k_no_tensor;
        int mask = k_no_tensor;
        int k_rot = k_no_tensor; // Hadamard rotations of a quantized cache
        int v_rot = k_no_tensor;
        std::int64_t n_kv = 0;
    };

    void make_attention_inputs(bool swa) {
        const std::int64_t T = m_s.n_tokens;
        const std::int64_t S = m_s.n_stream;
        AttnInputs& a = swa ? m_swa : m_base;
        a.n_kv = swa ? m_s.n_kv_swa : m_s.n_kv;
        a.k_idxs = m_g.input({T, 1, 1, 1}, GgmlType::i64);
        const std::int64_t v_rows =
            m_s.flash_attn ? T : T * i64(max_n_embd_v_gqa()); // transposed V: one per element
        a.v_idxs = m_g.input({v_rows, 1, 1, 1}, GgmlType::i64);
        a.mask = m_g.input({a.n_kv, T / S, 1, S}, m_s.flash_attn ? GgmlType::f16 : GgmlType::f32);
        // Each cache (base and sliding-window) has its own rotation inputs.
        const std::uint32_t rk = kv_rotation_size(m_m.n_embd_head_k);
        if (traits(m_s.type_k).quantized && rk != 0) {
            a.k_rot = m_g.input({rk, rk, 1, 1}, GgmlType::f32);
        }
        if (traits(m_s.type_v).quantized && kv_rotation_size(m_m.n_embd_head_v) != 0) {
            a.v_rot = m_g.input({64, 64, 1, 1}, GgmlType::f32);
        }
    }

    std::uint32_t max_n_embd_v_gqa() const {
        std::uint32_t mx = 0;
        for (std::uint32_t il = 0; il < m_m.n_layer; ++il) {
            mx = std::max(mx, m_m.n_embd_v_gqa(il));
        }
        return mx;
    }

    int norm_weight() { return m_g.weight({m_m.n_embd, 1, 1, 1}); }

    // llama_mul_mat_hadamard: rows of the rotation size, rotated, reshaped back.
    int hadamard(int x, int rot) {
        const auto n = m_g.at(rot).ne[0];
        const Ne ne = m_g.at(x).ne;
        const std::int64_t elems = ne[0] * ne[1] * ne[2] * ne[3];
        const int rows = m_g.reshape(x, {n, elems / n, 1, 1});
        return m_g.reshape(m_g.mul_mat(rot, rows), ne);
    }

    int layer(std::uint32_t il, int inpL) {
        const std::int64_t T = m_s.n_tokens;
        const std::int64_t E = m_m.n_embd;
        const std::int64_t H = m_m.n_head[il];
        const std::int64_t Hkv = m_m.n_head_kv[il];
        const std::int64_t dk = m_m.n_embd_head_k;
        const std::int64_t dv = m_m.n_embd_head_v;
        const std::int64_t F = m_m.n_ff[il];
        const bool last = il + 1 == m_m.n_layer;
        const bool swa = m_iswa && m_m.swa_layers[il];

        int residual = inpL;
        int cur = m_g.mul(m_g.rms_norm(inpL), norm_weight());
        int q = k_no_tensor;
        int k = k_no_tensor;
        int v = k_no_tensor;
        if (m_phi3) {
            const int qkv = m_g.mul_mat(m_g.weight({E, H * dk + 2 * Hkv * dk, 1, 1}), cur);
            const std::uint64_t row = m_g.at(qkv).nb[1];
            const std::uint64_t fsz = 4;
            q = m_g.view(qkv, {dk, H, T, 1}, {u64(dk) * fsz, row, row * u64(T)}, 0);
            k = m_g.view(qkv, {dk, Hkv, T, 1}, {u64(dk) * fsz, row, row * u64(T)}, 0);
            v = m_g.view(qkv, {dk, Hkv, T, 1}, {u64(dk) * fsz, row, row * u64(T)}, 0);
        } else {
            auto proj = [&](std::int64_t width, const char* bias) {
                int x = m_g.mul_mat(m_g.weight({E, width, 1, 1}), cur);
                if (m_bias) {
                    (void)bias;
                    x = m_g.add(x, m_g.weight({width, 1, 1, 1}));
                }
                return x;
            };
            q = proj(H * dk, "bq");
            k = proj(Hkv * dk, "bk");
            v = proj(Hkv * dv, "bv");
            q = m_g.reshape(q, {dk, H, T, 1});
            k = m_g.reshape(k, {dk, Hkv, T, 1});
            v = m_g.reshape(v, {dv, Hkv, T, 1});
        }
        if (m_qk_norm) {
            // qwen3.cpp: Q normed (RMS, per head) then roped, then K likewise.
            q = m_g.rope(m_g.mul(m_g.rms_norm(q), m_g.weight({dk, 1, 1, 1})), m_pos, m_factors);
            k = m_g.rope(m_g.mul(m_g.rms_norm(k), m_g.weight({dk, 1, 1, 1})), m_pos, m_factors);
        } else {
            q = m_g.rope(q, m_pos, m_factors);
            k = m_g.rope(k, m_pos, m_factors);
        }
        if (m_gemma2 || m_phi3) {
            q = m_g.scale(q);
        }
        cur = attention(il, q, k, v, swa);
        cur = m_g.mul_mat(m_g.weight({H * dv, E, 1, 1}), cur);
        if (m_bo) {
            cur = m_g.add(cur, m_g.weight({E, 1, 1, 1}));
        }
        if (m_gemma2) {
            cur = m_g.mul(m_g.rms_norm(cur), norm_weight()); // post-attention norm
        }
        if (last) {
            cur = m_g.get_rows(cur, m_out_ids);
            residual = m_g.get_rows(residual, m_out_ids);
        }
        const int ffn_inp = m_g.add(cur, residual);
        cur = m_g.mul(m_g.rms_norm(ffn_inp), norm_weight());
        if (m_phi3) {
            const int up = m_g.mul_mat(m_g.weight({E, 2 * F, 1, 1}), cur);
            cur = m_g.glu_halves(up);
            cur = m_g.mul_mat(m_g.weight({F, E, 1, 1}), cur);
            return m_g.add(ffn_inp, cur); // residual is src[0] here
        }
        const int up = m_g.mul_mat(m_g.weight({E, F, 1, 1}), cur);
        const int gate = m_g.mul_mat(m_g.weight({E, F, 1, 1}), cur);
        cur = m_g.glu_split(gate, up);
        cur = m_g.mul_mat(m_g.weight({F, E, 1, 1}), cur);
        if (m_gemma2) {
            cur = m_g.mul(m_g.rms_norm(cur), norm_weight()); // post-FFN norm
        }
        return m_g.add(cur, ffn_inp);
    }

    // llm_graph_context::build_attn (KV cache path) and build_attn_mha.
    int attention(std::uint32_t il, int q, int k, int v, bool swa) {
        const AttnInputs& in = swa ? m_swa : m_base;
        const std::int64_t T = m_s.n_tokens;
        const std::int64_t S = m_s.n_stream;
        const std::int64_t Hkv = m_m.n_head_kv[il];
        const std::int64_t dk = m_m.n_embd_head_k;
        const std::int64_t dv = m_m.n_embd_head_v;
        const std::int64_t n_kv = in.n_kv;
        const std::int64_t kgqa = m_m.n_embd_k_gqa(il);
        const std::int64_t vgqa = m_m.n_embd_v_gqa(il);

        if (in.k_rot != k_no_tensor) {
            q = hadamard(q, in.k_rot);
            k = hadamard(k, in.k_rot);
        }
        if (in.v_rot != k_no_tensor) {
            v = hadamard(v, in.v_rot);
        }
        if (m_iswa) {
            m_g.expand(q);
            m_g.expand(k);
            m_g.expand(v);
        } else {
            m_g.expand(q);
            m_g.expand(v);
            m_g.expand(k);
        }

        // The caches of this layer: K [kgqa, n_kv, S], V [vgqa, n_kv, S], external.
        const int k_cache = m_g.weight({kgqa, n_kv, S, 1}, m_s.type_k);
        const int v_cache = m_g.weight({vgqa, n_kv, S, 1}, m_s.type_v);

        // cpy_k: a 2-D view of K, scattered into the cache by row.
        {
            const int k2 =
                m_g.view(k, {kgqa, T, 1, 1},
                         {m_g.at(k).nb[2], m_g.at(k).nb[2] * u64(T), m_g.at(k).nb[2] * u64(T)}, 0);
            const int dst = S > 1 ? m_g.reshape(k_cache, {kgqa, n_kv * S, 1, 1}) : k_cache;
            m_g.expand(m_g.set_rows(dst, k2, in.k_idxs));
        }
        // cpy_v
        {
            const graph::Tensor& vt = m_g.at(v);
            if (m_s.flash_attn) {
                const int v2 = m_g.view(v, {vgqa, T, 1, 1},
                                        {vt.nb[2], vt.nb[2] * u64(T), vt.nb[2] * u64(T)}, 0);
                const int dst = S > 1 ? m_g.reshape(v_cache, {vgqa, n_kv * S, 1, 1}) : v_cache;
                m_g.expand(m_g.set_rows(dst, v2, in.v_idxs));
            } else {
                const std::uint64_t row = traits(vt.type).block_bytes * u64(vgqa);
                const bool mergeable = vt.nb[2] == row && vt.nb[1] * u64(vt.ne[1]) == row;
                const int v2 =
                    mergeable ? m_g.reshape(v, {vgqa, T, 1, 1}) : m_g.cont(v, {vgqa, T, 1, 1});
                const int v_view = m_g.reshape(v_cache, {1, vgqa * n_kv * S, 1, 1});
                const int v1 = m_g.reshape(v2, {1, vgqa * T, 1, 1});
                m_g.expand(m_g.set_rows(v_view, v1, in.v_idxs));
            }
        }

        // build_attn_mha
        const graph::Tensor& qt = m_g.at(q);
        int qv = m_g.view(q, {qt.ne[0], qt.ne[1], qt.ne[2] / S, S},
                          {qt.nb[1], qt.nb[2], qt.nb[2] * u64(qt.ne[2] / S)}, 0);
        qv = m_g.permute(qv, 0, 2, 1, 3);
        int kv = m_g.view(k_cache, {dk, Hkv, n_kv, S}, {0, 0, 0}, 0);
        kv = m_g.permute(kv, 0, 2, 1, 3);
        int cur = k_no_tensor;
        if (m_s.flash_attn) {
            int vv = m_g.view(v_cache, {dv, Hkv, n_kv, S}, {0, 0, 0}, 0);
            vv = m_g.permute(vv, 0, 2, 1, 3);
            cur = m_g.flash_attn_ext(qv, kv, vv, in.mask);
            // ggml-cuda (fattn.cu) converts a K or V that is not F16 to F16 in scratch space
            // owned by the FLASH_ATTN_EXT node, for batches of more than 2 tokens.
            if (T > 2) {
                std::uint64_t extra = 0;
                if (m_s.type_k != GgmlType::f16) {
                    extra += pad128(u64(kgqa * n_kv * S) * 2);
                }
                if (m_s.type_v != GgmlType::f16) {
                    extra += pad128(u64(vgqa * n_kv * S) * 2);
                }
                m_g.set_cuda_extra(cur, extra);
            }
            const graph::Tensor& c = m_g.at(cur);
            cur = m_g.reshape(cur, {c.ne[0] * c.ne[1], c.ne[2] * c.ne[3], 1, 1});
        } else {
            int kq = m_g.mul_mat(kv, qv);
            if (m_gemma2) { // attention logit soft-capping
                kq = m_g.scale(m_g.unary(m_g.scale(kq)));
            }
            kq = m_g.soft_max(kq, in.mask);
            int vv = m_g.view(v_cache, {n_kv, Hkv, dv, S}, {0, 0, 0}, 0);
            vv = m_g.permute(vv, 0, 2, 1, 3);
            const int kqv = m_g.mul_mat(vv, kq);
            cur = m_g.permute(kqv, 0, 2, 1, 3);
            const graph::Tensor& c = m_g.at(cur);
            cur = m_g.cont(cur, {c.ne[0] * c.ne[1], c.ne[2] * c.ne[3], 1, 1});
        }
        m_g.expand(cur);
        if (in.v_rot != k_no_tensor) {
            cur = hadamard(cur, in.v_rot);
        }
        (void)T;
        return cur;
    }

    const ModelSpec& m_m;
    const GraphShape& m_s;
    Graph m_g;
    bool m_gemma2 = false;
    bool m_phi3 = false;
    bool m_qk_norm = false;
    bool m_bias = false;
    bool m_bo = false;
    bool m_rope_factors = false;
    bool m_iswa = false;
    int m_pos = k_no_tensor;
    int m_out_ids = k_no_tensor;
    int m_factors = k_no_tensor;
    AttnInputs m_base;
    AttnInputs m_swa;
};

} // namespace

bool has_graph_builder(std::string_view arch) {
    return arch == "llama" || arch == "qwen2" || arch == "qwen3" || arch == "gemma2" ||
           arch == "phi3";
}

std::uint32_t kv_rotation_size(std::uint32_t head_dim) {
    std::uint32_t r = 0;
    for (std::uint32_t p = 64; p <= head_dim; p *= 2) {
        if (head_dim % p == 0) {
            r = p;
        }
    }
    return r;
}

graph::Graph build_llm_graph(const ModelSpec& m, const GraphShape& shape) {
    if (!has_graph_builder(m.architecture)) {
        throw Error(
            ErrorKind::data, m.architecture,
            "no compute-graph model for this architecture (llama, qwen2, qwen3, gemma2, phi3)");
    }
    return Builder(m, shape).build();
}

ComputeFormula compute_formula(const ModelSpec& m, const GraphShape& s) {
    // The three phases that set the peak in the replayed graphs (docs/compute-buffer notes):
    // the logits, the attention scores (without flash attention) and the FFN, each with the
    // residual stream alive, on top of the graph inputs; then 10 % more for the holes the
    // allocator leaves. The test suite checks it never undershoots the replay.
    auto p32 = [](std::uint64_t x) { return (x + 31) / 32 * 32; };
    const std::uint64_t T = s.n_tokens;
    const std::uint64_t O = s.n_outputs;
    const std::uint64_t S = s.n_stream;
    const std::uint64_t N = std::max(s.n_kv, s.n_kv_swa);
    const std::uint64_t E = m.n_embd;
    const std::uint64_t V = m.n_vocab;
    std::uint64_t H = 0;
    std::uint64_t Hkv = 0;
    std::uint64_t F = 0;
    for (std::uint32_t il = 0; il < m.n_layer; ++il) {
        H = std::max<std::uint64_t>(H, m.n_head[il]);
        Hkv = std::max<std::uint64_t>(Hkv, m.n_head_kv[il]);
        F = std::max<std::uint64_t>(F, m.n_ff[il]);
    }
    const std::uint64_t dq = m.n_embd_head_k;
    const std::uint64_t dv = m.n_embd_head_v;
    ComputeFormula f;
    f.inputs = p32(T * 4) + p32(E * T * 4) + p32(T * 4) + p32(T * 8) +
               p32(s.flash_attn ? T * 8 : T * Hkv * dv * 8) + p32(N * T * (s.flash_attn ? 2 : 4)) +
               p32(O * 4);
    const std::uint64_t stream = 2 * E * T * 4; // residual and normed input
    const std::uint64_t logits = stream + E * O * 4 + V * O * 4;
    const std::uint64_t qkv = (H * dq + 2 * Hkv * dq) * T * 4;
    const std::uint64_t attention =
        s.flash_attn ? stream + qkv + H * dv * T * 4 : stream + qkv + N * (T / S) * H * S * 4;
    const std::uint64_t ffn = stream + 3 * F * T * 4;
    const std::uint64_t peak = f.inputs + std::max({logits, attention, ffn});
    f.total = peak + peak / 10;
    return f;
}

} // namespace vramplan
