#pragma once
// A shape-only model of a ggml compute graph: tensors with type, shape, strides, sources and
// view relations, built with the same operations and expanded in the same depth-first order as
// ggml (ggml.c: ggml_new_tensor_impl, ggml_view_impl, ggml_visit_parents). No data, no compute:
// only what ggml-alloc needs to lay the graph out (docs/memory-model.md, "Compute buffers").

#include <vramplan/model/ggml_types.hpp>

#include <array>
#include <cstdint>
#include <vector>

namespace vramplan::graph {

enum class Op {
    none, // a leaf: weight, KV cache tensor or graph input
    get_rows,
    rms_norm,
    mul,
    add,
    scale,
    unary,
    rope,
    mul_mat,
    glu,
    cont,
    reshape,
    view,
    permute,
    transpose,
    set_rows,
    soft_max,
    flash_attn_ext,
};

inline constexpr int k_no_tensor = -1;
inline constexpr int k_max_src = 4;

struct Tensor {
    Op op = Op::none;
    GgmlType type = GgmlType::f32;
    std::array<std::int64_t, 4> ne{1, 1, 1, 1};
    std::array<std::uint64_t, 4> nb{};
    std::array<int, k_max_src> src{k_no_tensor, k_no_tensor, k_no_tensor, k_no_tensor};
    int view_src = k_no_tensor; // the root tensor a view's data lives in
    bool external = false;      // has data of its own: a weight or a KV cache tensor
    bool input = false;         // ggml_set_input
    bool output = false;        // ggml_set_output: never freed nor reused
    int layer = -1;
    // Extra bytes a CUDA buffer allocates for this node (ggml_backend_buft_get_alloc_size):
    // FLASH_ATTN_EXT reserves F16 copies of a quantized K or V.
    std::uint64_t cuda_extra = 0; // the model layer that built it (placement); -1 input side
};

// ggml_nbytes: the bytes a tensor spans, strides included.
std::uint64_t nbytes(const Tensor& t);

class Graph {
public:
    using Ne = std::array<std::int64_t, 4>;

    // Leafs.
    int weight(Ne ne, GgmlType type = GgmlType::f32); // external data
    int input(Ne ne, GgmlType type);                  // allocated by the graph allocator

    // Operations, with ggml's result shapes and source order.
    int get_rows(int a, int rows);
    int rms_norm(int a);
    int mul(int a, int b);
    int add(int a, int b);
    int scale(int a);
    int unary(int a);
    int rope(int a, int pos, int factors = k_no_tensor);
    int mul_mat(int a, int b);
    int glu_split(int a, int b); // swiglu/geglu of two tensors
    int glu_halves(int a);       // swiglu of the two halves of a
    int cont(int a, Ne ne);
    int reshape(int a, Ne ne);
    int view(int a, Ne ne, std::array<std::uint64_t, 3> nb123, std::uint64_t offset);
    int permute(int a, int ax0, int ax1, int ax2, int ax3);
    int transpose(int a);
    int set_rows(int dst, int src, int idx);
    int soft_max(int a, int mask);
    int flash_attn_ext(int q, int k, int v, int mask);

    void set_output(int t) { m_tensors.at(static_cast<std::size_t>(t)).output = true; }
    // Tensors created from now on belong to `layer` (n_layer for the output layer).
    void set_layer(int layer) { m_layer = layer; }
    void set_cuda_extra(int t, std::uint64_t bytes) {
        m_tensors.at(static_cast<std::size_t>(t)).cuda_extra = bytes;
    }

    // ggml_build_forward_expand: appends t and its unvisited sources, depth first.
    void expand(int t);

    const Tensor& at(int t) const { return m_tensors.at(static_cast<std::size_t>(t)); }
    const std::vector<int>& nodes() const { return m_nodes; }
    const std::vector<int>& leafs() const { return m_leafs; }

private:
    int add_tensor(Tensor t);
    Tensor contiguous(GgmlType type, Ne ne) const;
    int dup(int a, Op op, std::array<int, k_max_src> src);
    int make_view(int a, Op op, Ne ne, std::array<std::uint64_t, 4> nb);

    std::vector<Tensor> m_tensors;
    std::vector<bool> m_visited;
    std::vector<int> m_nodes;
    std::vector<int> m_leafs;
    int m_layer = -1;
};

// The peak bytes ggml-alloc's graph allocator reaches laying out `g` in one buffer with
// `alignment` (ggml_gallocr_alloc_graph_impl with a dynamic allocator, ggml-alloc.c).
std::uint64_t allocate(const Graph& g, std::uint64_t alignment);

// Two backends, as ggml_backend_sched splits a graph between a GPU and the CPU: `on_gpu[node]`
// says where each node runs (graph inputs are on the CPU). A node that reads a tensor of the
// other device reads a copy, made at the start of its split in order of first use and freed
// after its last use there. Returns the peak of the CPU-side buffer (the GPU's host buffer type,
// CUDA_Host) and of the GPU buffer.
struct SplitPeaks {
    std::uint64_t host = 0;
    std::uint64_t gpu = 0;
};
SplitPeaks allocate_split(const Graph& g, const std::vector<bool>& on_gpu,
                          std::uint64_t host_alignment, std::uint64_t gpu_alignment);

} // namespace vramplan::graph
