// A replay of ggml-alloc.c's graph allocator for one buffer: ggml_gallocr_alloc_graph_impl
// (leafs first, child and view counting, in-place reuse, freeing through view roots) over a
// ggml_dyn_tallocr (best fit among free blocks but the last, merge on free). The result is the
// allocator's high-water mark, which is the size llama.cpp logs for the compute buffer.

#include <vramplan/compute_graph.hpp>
#include <vramplan/error.hpp>

#include <algorithm>
#include <limits>

namespace vramplan::graph {

namespace {

std::uint64_t align_up(std::uint64_t x, std::uint64_t a) {
    return (x + a - 1) / a * a;
}

// ggml_dyn_tallocr: free blocks sorted by offset; the last block is unbounded.
class DynAllocator {
public:
    explicit DynAllocator(std::uint64_t alignment) : m_alignment(alignment) {
        m_free.push_back({0, std::numeric_limits<std::uint64_t>::max() / 2});
    }

    std::uint64_t alloc(std::uint64_t size) {
        size = align_up(size, m_alignment);
        std::size_t best = m_free.size();
        std::uint64_t best_size = std::numeric_limits<std::uint64_t>::max();
        for (std::size_t i = 0; i + 1 < m_free.size(); ++i) {
            if (m_free[i].size >= size && m_free[i].size <= best_size) {
                best = i;
                best_size = m_free[i].size;
            }
        }
        if (best == m_free.size()) {
            best = m_free.size() - 1; // the last block is the last resort
        }
        Block& b = m_free[best];
        const std::uint64_t offset = b.offset;
        b.offset += size;
        b.size -= size;
        if (b.size == 0) {
            m_free.erase(m_free.begin() + static_cast<std::ptrdiff_t>(best));
        }
        m_max = std::max(m_max, offset + size);
        return offset;
    }

    void free(std::uint64_t offset, std::uint64_t size) {
        size = align_up(size, m_alignment);
        for (std::size_t i = 0; i < m_free.size(); ++i) {
            Block& b = m_free[i];
            if (b.offset + b.size == offset) { // the freed range follows this block
                b.size += size;
                if (i + 1 < m_free.size() && b.offset + b.size == m_free[i + 1].offset) {
                    b.size += m_free[i + 1].size;
                    m_free.erase(m_free.begin() + static_cast<std::ptrdiff_t>(i + 1));
                }
                return;
            }
            if (offset + size == b.offset) { // the freed range precedes this block
                b.offset = offset;
                b.size += size;
                if (i > 0 && m_free[i - 1].offset + m_free[i - 1].size == b.offset) {
                    m_free[i - 1].size += b.size;
                    m_free.erase(m_free.begin() + static_cast<std::ptrdiff_t>(i));
                }
                return;
            }
        }
        auto it = std::lower_bound(m_free.begin(), m_free.end(), offset,
                                   [](const Block& b, std::uint64_t o) { return b.offset < o; });
        m_free.insert(it, {offset, size});
    }

    std::uint64_t max_size() const { return m_max; }

private:
    struct Block {
        std::uint64_t offset;
        std::uint64_t size;
    };
    std::uint64_t m_alignment;
    std::vector<Block> m_free;
    std::uint64_t m_max = 0;
};

struct HashNode {
    int n_children = 0;
    int n_views = 0;
    bool allocated = false;
    std::uint64_t offset = 0;
};

bool can_inplace(Op op) {
    switch (op) {
    case Op::scale:
    case Op::add:
    case Op::mul:
    case Op::unary:
    case Op::rope:
    case Op::rms_norm:
    case Op::soft_max: return true;
    default: return false;
    }
}

bool same_layout(const Tensor& a, const Tensor& b) {
    return a.type == b.type && a.ne == b.ne && a.nb == b.nb;
}

class Replay {
public:
    Replay(const Graph& g, std::uint64_t alignment)
        : m_g(g), m_alloc(alignment), m_hn(count_tensors(g)) {}

    std::uint64_t run() {
        for (int leaf : m_g.leafs()) {
            allocate(leaf);
        }
        for (int n : m_g.nodes()) {
            const Tensor& t = m_g.at(n);
            if (t.view_src != k_no_tensor && t.op != Op::none) {
                ++hn(t.view_src).n_views;
            }
            if (t.input) {
                allocate(n);
            }
            for (int s : t.src) {
                if (s == k_no_tensor) {
                    continue;
                }
                ++hn(s).n_children;
                if (m_g.at(s).input) {
                    allocate(s);
                }
            }
        }
        for (int n : m_g.nodes()) {
            const Tensor& t = m_g.at(n);
            for (int s : t.src) {
                if (s != k_no_tensor) {
                    allocate(s);
                }
            }
            allocate(n);
            for (int s : t.src) {
                if (s == k_no_tensor) {
                    continue;
                }
                HashNode& p = hn(s);
                --p.n_children;
                if (p.n_children == 0 && p.n_views == 0) {
                    const Tensor& pt = m_g.at(s);
                    if (pt.view_src != k_no_tensor) {
                        HashNode& root = hn(pt.view_src);
                        --root.n_views;
                        if (root.n_views == 0 && root.n_children == 0 && root.allocated) {
                            free(pt.view_src);
                        }
                    } else if (p.allocated) {
                        free(s);
                    }
                }
            }
        }
        return m_alloc.max_size();
    }

private:
    static std::size_t count_tensors(const Graph& g) {
        int max_id = -1;
        for (int n : g.nodes()) {
            max_id = std::max(max_id, n);
        }
        for (int l : g.leafs()) {
            max_id = std::max(max_id, l);
        }
        return static_cast<std::size_t>(max_id + 1);
    }

    HashNode& hn(int t) { return m_hn.at(static_cast<std::size_t>(t)); }

    bool is_allocated(int t) { return m_g.at(t).external || hn(t).allocated; }

    // ggml_gallocr_allocate_node
    void allocate(int n) {
        const Tensor& t = m_g.at(n);
        if (is_allocated(n) || t.view_src != k_no_tensor) {
            return;
        }
        HashNode& h = hn(n);
        h.allocated = true;
        if (can_inplace(t.op)) {
            for (int s : t.src) {
                if (s == k_no_tensor) {
                    continue;
                }
                const Tensor& p = m_g.at(s);
                // Only a parent this allocator owns (not external, not a view) can be reused.
                if (p.external || p.view_src != k_no_tensor || !hn(s).allocated) {
                    continue;
                }
                if (p.output || !same_layout(t, p)) {
                    continue;
                }
                HashNode& ph = hn(s);
                if (ph.n_children == 1 && ph.n_views == 0) {
                    h.offset = ph.offset;
                    ph.allocated = false; // the node now owns the memory
                    return;
                }
            }
        }
        h.offset = m_alloc.alloc(nbytes(t));
    }

    // ggml_gallocr_free_node
    void free(int n) {
        const Tensor& t = m_g.at(n);
        if (t.output) {
            return;
        }
        HashNode& h = hn(n);
        m_alloc.free(h.offset, nbytes(t));
        h.allocated = false;
    }

    const Graph& m_g;
    DynAllocator m_alloc;
    std::vector<HashNode> m_hn;
};

} // namespace

std::uint64_t allocate(const Graph& g, std::uint64_t alignment) {
    return Replay(g, alignment).run();
}

} // namespace vramplan::graph
