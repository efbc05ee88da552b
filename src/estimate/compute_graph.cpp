// Shapes, strides and views as ggml.c computes them; the expansion order of
// ggml_build_forward_expand (ggml_visit_parents: sources in slot order, then the tensor; a
// tensor without an op is a leaf).

#include <vramplan/base/error.hpp>
#include <vramplan/estimate/compute_graph.hpp>

namespace vramplan::graph {

std::uint64_t nbytes(const Tensor& t) {
    for (auto n : t.ne) {
        if (n <= 0) {
            return 0;
        }
    }
    const GgmlTypeTraits& tr = traits(t.type);
    std::uint64_t bytes = 0;
    if (tr.block_elems == 1) {
        bytes = tr.block_bytes;
        for (std::size_t i = 0; i < 4; ++i) {
            bytes += static_cast<std::uint64_t>(t.ne[i] - 1) * t.nb[i];
        }
    } else {
        bytes = static_cast<std::uint64_t>(t.ne[0]) * t.nb[0] / tr.block_elems;
        for (std::size_t i = 1; i < 4; ++i) {
            bytes += static_cast<std::uint64_t>(t.ne[i] - 1) * t.nb[i];
        }
    }
    return bytes;
}

Tensor Graph::contiguous(GgmlType type, Ne ne) const {
    Tensor t;
    t.type = type;
    t.ne = ne;
    const GgmlTypeTraits& tr = traits(type);
    t.nb[0] = tr.block_bytes;
    t.nb[1] = t.nb[0] * static_cast<std::uint64_t>(ne[0] / tr.block_elems);
    for (std::size_t i = 2; i < 4; ++i) {
        t.nb[i] = t.nb[i - 1] * static_cast<std::uint64_t>(ne[i - 1]);
    }
    return t;
}

int Graph::add_tensor(Tensor t) {
    t.layer = m_layer;
    m_tensors.push_back(t);
    m_visited.push_back(false);
    return static_cast<int>(m_tensors.size() - 1);
}

int Graph::weight(Ne ne, GgmlType type) {
    Tensor t = contiguous(type, ne);
    t.external = true;
    return add_tensor(t);
}

int Graph::input(Ne ne, GgmlType type) {
    Tensor t = contiguous(type, ne);
    t.input = true;
    return add_tensor(t);
}

int Graph::dup(int a, Op op, std::array<int, k_max_src> src) {
    Tensor t = contiguous(at(a).type, at(a).ne);
    t.op = op;
    t.src = src;
    return add_tensor(t);
}

int Graph::make_view(int a, Op op, Ne ne, std::array<std::uint64_t, 4> nb) {
    Tensor t;
    t.op = op;
    t.type = at(a).type;
    t.ne = ne;
    t.nb = nb;
    t.src = {a, k_no_tensor, k_no_tensor, k_no_tensor};
    // A view of a view points at the root (ggml_new_tensor_impl).
    t.view_src = at(a).view_src != k_no_tensor ? at(a).view_src : a;
    return add_tensor(t);
}

int Graph::get_rows(int a, int rows) {
    const Tensor& r = at(rows);
    Tensor t = contiguous(at(a).type == GgmlType::i32 ? GgmlType::i32 : GgmlType::f32,
                          {at(a).ne[0], r.ne[0], r.ne[1], r.ne[2]});
    t.op = Op::get_rows;
    t.src = {a, rows, k_no_tensor, k_no_tensor};
    return add_tensor(t);
}

int Graph::rms_norm(int a) {
    return dup(a, Op::rms_norm, {a, k_no_tensor, k_no_tensor, k_no_tensor});
}
int Graph::mul(int a, int b) {
    return dup(a, Op::mul, {a, b, k_no_tensor, k_no_tensor});
}
int Graph::add(int a, int b) {
    return dup(a, Op::add, {a, b, k_no_tensor, k_no_tensor});
}
int Graph::scale(int a) {
    return dup(a, Op::scale, {a, k_no_tensor, k_no_tensor, k_no_tensor});
}
int Graph::unary(int a) {
    return dup(a, Op::unary, {a, k_no_tensor, k_no_tensor, k_no_tensor});
}
int Graph::rope(int a, int pos, int factors) {
    return dup(a, Op::rope, {a, pos, factors, k_no_tensor});
}
int Graph::soft_max(int a, int mask) {
    return dup(a, Op::soft_max, {a, mask, k_no_tensor, k_no_tensor});
}

int Graph::mul_mat(int a, int b) {
    const Tensor& x = at(a);
    const Tensor& y = at(b);
    Tensor t = contiguous(GgmlType::f32, {x.ne[1], y.ne[1], y.ne[2], y.ne[3]});
    t.op = Op::mul_mat;
    t.src = {a, b, k_no_tensor, k_no_tensor};
    return add_tensor(t);
}

int Graph::glu_split(int a, int b) {
    Tensor t = contiguous(at(a).type, at(a).ne);
    t.op = Op::glu;
    t.src = {a, b, k_no_tensor, k_no_tensor};
    return add_tensor(t);
}

int Graph::glu_halves(int a) {
    Ne ne = at(a).ne;
    ne[0] /= 2;
    Tensor t = contiguous(at(a).type, ne);
    t.op = Op::glu;
    t.src = {a, k_no_tensor, k_no_tensor, k_no_tensor};
    return add_tensor(t);
}

int Graph::cont(int a, Ne ne) {
    Tensor t = contiguous(at(a).type, ne);
    t.op = Op::cont;
    t.src = {a, k_no_tensor, k_no_tensor, k_no_tensor};
    return add_tensor(t);
}

int Graph::reshape(int a, Ne ne) {
    const Tensor c = contiguous(at(a).type, ne);
    return make_view(a, Op::reshape, ne, c.nb);
}

int Graph::view(int a, Ne ne, std::array<std::uint64_t, 3> nb123, std::uint64_t /*offset*/) {
    return make_view(a, Op::view, ne, {at(a).nb[0], nb123[0], nb123[1], nb123[2]});
}

int Graph::permute(int a, int ax0, int ax1, int ax2, int ax3) {
    const Tensor& x = at(a);
    Ne ne{};
    std::array<std::uint64_t, 4> nb{};
    const std::array<int, 4> axes{ax0, ax1, ax2, ax3};
    for (std::size_t i = 0; i < 4; ++i) {
        const auto to = static_cast<std::size_t>(axes[i]);
        ne[to] = x.ne[i];
        nb[to] = x.nb[i];
    }
    return make_view(a, Op::permute, ne, nb);
}

int Graph::transpose(int a) {
    const Tensor& x = at(a);
    return make_view(a, Op::transpose, {x.ne[1], x.ne[0], x.ne[2], x.ne[3]},
                     {x.nb[1], x.nb[0], x.nb[2], x.nb[3]});
}

int Graph::set_rows(int dst, int src, int idx) {
    const int v = make_view(dst, Op::set_rows, at(dst).ne, at(dst).nb);
    m_tensors[static_cast<std::size_t>(v)].src = {dst, src, idx, k_no_tensor};
    return v;
}

int Graph::flash_attn_ext(int q, int k, int v, int mask) {
    const Tensor& qt = at(q);
    Tensor t = contiguous(GgmlType::f32, {at(v).ne[0], qt.ne[2], qt.ne[1], qt.ne[3]});
    t.op = Op::flash_attn_ext;
    t.src = {q, k, v, mask};
    return add_tensor(t);
}

void Graph::expand(int root) {
    // Iterative depth-first post-order with sources in slot order (ggml_visit_parents).
    std::vector<std::pair<int, int>> stack{{root, 0}};
    while (!stack.empty()) {
        auto& [t, next] = stack.back();
        const auto ti = static_cast<std::size_t>(t);
        if (next == 0 && m_visited[ti]) {
            stack.pop_back();
            continue;
        }
        m_visited[ti] = true;
        if (next < k_max_src) {
            const int s = m_tensors[ti].src[static_cast<std::size_t>(next)];
            ++next;
            if (s != k_no_tensor && !m_visited[static_cast<std::size_t>(s)]) {
                stack.emplace_back(s, 0);
            }
            continue;
        }
        (m_tensors[ti].op == Op::none ? m_leafs : m_nodes).push_back(t);
        stack.pop_back();
    }
}

} // namespace vramplan::graph
