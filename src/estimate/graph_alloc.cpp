// A replay of ggml-alloc.c's graph allocator for one buffer: ggml_gallocr_alloc_graph_impl
// (leafs first, child and view counting, in-place reuse, freeing through view roots) over a
// ggml_dyn_tallocr (best fit among free blocks but the last, merge on free). The result is the
// allocator's high-water mark, which is the size llama.cpp logs for the compute buffer.

#include <vramplan/base/error.hpp>
#include <vramplan/estimate/compute_graph.hpp>

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

// What the allocator walks: the graph's tensors plus the copies a split adds (each with a
// buffer and its own sources), leafs and nodes in order. The graph's tensors are referenced, not
// copied: the solver replays one graph for every layer count.
struct Plan {
    const Graph* graph = nullptr;
    std::size_t n_graph = 0;                     // tensors of the graph used (ids below this)
    std::vector<Tensor> extra;                   // copies added by a split, ids from n_graph
    std::vector<std::array<int, k_max_src>> src; // sources per id, rewired to copies
    std::vector<int> buffer;
    std::vector<int> leafs;
    std::vector<int> nodes;
    int cuda_buffer = -1; // the buffer, if any, that uses CUDA allocation sizes

    const Tensor& at(int t) const {
        const auto i = static_cast<std::size_t>(t);
        return i < n_graph ? graph->at(t) : extra[i - n_graph];
    }
    std::size_t size() const { return n_graph + extra.size(); }
};

class Replay {
public:
    Replay(const Plan& p, const std::vector<std::uint64_t>& alignments) : m_p(p), m_hn(p.size()) {
        for (auto a : alignments) {
            m_alloc.emplace_back(a);
        }
    }

    std::vector<std::uint64_t> run() {
        for (int leaf : m_p.leafs) {
            allocate(leaf);
        }
        for (int n : m_p.nodes) {
            const Tensor& t = at(n);
            if (t.view_src != k_no_tensor && t.op != Op::none) {
                ++hn(t.view_src).n_views;
            }
            if (t.input) {
                allocate(n);
            }
            for (int s : src_of(n)) {
                if (s == k_no_tensor) {
                    continue;
                }
                ++hn(s).n_children;
                if (at(s).input) {
                    allocate(s);
                }
            }
        }
        for (int n : m_p.nodes) {
            for (int s : src_of(n)) {
                if (s != k_no_tensor) {
                    allocate(s);
                }
            }
            allocate(n);
            for (int s : src_of(n)) {
                if (s != k_no_tensor) {
                    release(s);
                }
            }
        }
        std::vector<std::uint64_t> peaks;
        for (const auto& a : m_alloc) {
            peaks.push_back(a.max_size());
        }
        return peaks;
    }

private:
    const Tensor& at(int t) const { return m_p.at(t); }
    const std::array<int, k_max_src>& src_of(int t) const {
        return m_p.src[static_cast<std::size_t>(t)];
    }
    HashNode& hn(int t) { return m_hn[static_cast<std::size_t>(t)]; }
    DynAllocator& alloc_of(int t) {
        return m_alloc[static_cast<std::size_t>(m_p.buffer[static_cast<std::size_t>(t)])];
    }
    bool is_allocated(int t) { return at(t).external || hn(t).allocated; }
    std::uint64_t alloc_size(int t) {
        return nbytes(at(t)) +
               (m_p.buffer[static_cast<std::size_t>(t)] == m_p.cuda_buffer ? at(t).cuda_extra : 0);
    }

    // ggml_gallocr_allocate_node
    void allocate(int n) {
        const Tensor& t = at(n);
        if (is_allocated(n) || t.view_src != k_no_tensor) {
            return;
        }
        HashNode& h = hn(n);
        h.allocated = true;
        if (can_inplace(t.op)) {
            for (int s : src_of(n)) {
                if (s == k_no_tensor) {
                    continue;
                }
                const Tensor& p = at(s);
                // Only memory this allocator owns (not external data, not a view) is reused,
                // never a graph output, only with the same layout, in the same buffer, and only
                // when this node is the parent's last consumer.
                if (p.external || p.view_src != k_no_tensor || !hn(s).allocated || p.output ||
                    !same_layout(t, p) ||
                    m_p.buffer[static_cast<std::size_t>(s)] !=
                        m_p.buffer[static_cast<std::size_t>(n)]) {
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
        h.offset = alloc_of(n).alloc(alloc_size(n));
    }

    // The "update parents" step: free a source, or its view root, once nothing needs it.
    void release(int s) {
        HashNode& p = hn(s);
        --p.n_children;
        if (p.n_children != 0 || p.n_views != 0) {
            return;
        }
        const Tensor& pt = at(s);
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

    // ggml_gallocr_free_node: graph outputs are never freed.
    void free(int n) {
        const Tensor& t = at(n);
        if (t.output) {
            return;
        }
        HashNode& h = hn(n);
        alloc_of(n).free(h.offset, alloc_size(n));
        h.allocated = false;
    }

    const Plan& m_p;
    std::vector<DynAllocator> m_alloc;
    std::vector<HashNode> m_hn;
};

Plan single_buffer_plan(const Graph& g) {
    Plan p;
    int max_id = -1;
    for (int t : g.nodes()) {
        max_id = std::max(max_id, t);
    }
    for (int t : g.leafs()) {
        max_id = std::max(max_id, t);
    }
    p.graph = &g;
    p.n_graph = static_cast<std::size_t>(max_id + 1);
    p.src.reserve(p.n_graph);
    for (int i = 0; i <= max_id; ++i) {
        p.src.push_back(g.at(i).src);
    }
    p.buffer.assign(p.n_graph, 0);
    p.leafs = g.leafs();
    p.nodes = g.nodes();
    return p;
}

Tensor contiguous_copy(const Tensor& from, int src) {
    Tensor c;
    c.op = Op::cont;
    c.type = from.type;
    c.ne = from.ne;
    const GgmlTypeTraits& tr = traits(from.type);
    c.nb[0] = tr.block_bytes;
    c.nb[1] = c.nb[0] * static_cast<std::uint64_t>(from.ne[0] / tr.block_elems);
    c.nb[2] = c.nb[1] * static_cast<std::uint64_t>(from.ne[1]);
    c.nb[3] = c.nb[2] * static_cast<std::uint64_t>(from.ne[2]);
    c.src = {src, k_no_tensor, k_no_tensor, k_no_tensor};
    c.layer = from.layer;
    return c;
}

} // namespace

std::uint64_t allocate(const Graph& g, std::uint64_t alignment) {
    const Plan p = single_buffer_plan(g);
    return Replay(p, {alignment}).run()[0];
}

SplitPeaks allocate_split(const Graph& g, const std::vector<bool>& on_gpu,
                          std::uint64_t host_alignment, std::uint64_t gpu_alignment) {
    constexpr int k_host = 0;
    constexpr int k_gpu = 1;
    Plan p = single_buffer_plan(g);
    const std::size_t n_original = p.n_graph;
    auto device = [&](int t) {
        const auto i = static_cast<std::size_t>(t);
        if (i >= n_original) {
            return p.buffer[i];
        }
        if (p.at(t).op == Op::none) {
            return k_host; // graph inputs live on the CPU backend
        }
        return i < on_gpu.size() && on_gpu[i] ? k_gpu : k_host;
    };
    for (int n : g.nodes()) {
        p.buffer[static_cast<std::size_t>(n)] = device(n);
    }

    // Split by device; a split reads the other device's tensors through copies allocated at
    // its start, in order of first use (ggml_backend_sched's split inputs).
    std::vector<int> nodes;
    const std::vector<int>& order = g.nodes();
    std::size_t i = 0;
    while (i < order.size()) {
        const int dev = device(order[i]);
        std::size_t j = i;
        while (j < order.size() && device(order[j]) == dev) {
            ++j;
        }
        std::vector<std::pair<int, int>> copies; // original -> copy
        for (std::size_t k = i; k < j; ++k) {
            const auto n = static_cast<std::size_t>(order[k]);
            for (std::size_t slot = 0; slot < k_max_src; ++slot) {
                const int s = p.src[n][slot];
                if (s == k_no_tensor || p.at(s).external || device(s) == dev) {
                    continue;
                }
                auto it = std::find_if(copies.begin(), copies.end(),
                                       [&](const auto& c) { return c.first == s; });
                if (it == copies.end()) {
                    const Tensor copy = contiguous_copy(p.at(s), s);
                    p.extra.push_back(copy);
                    p.src.push_back(copy.src);
                    p.buffer.push_back(dev);
                    copies.emplace_back(s, static_cast<int>(p.size() - 1));
                    it = copies.end() - 1;
                }
                p.src[n][slot] = it->second;
            }
        }
        for (const auto& c : copies) {
            nodes.push_back(c.second);
        }
        nodes.insert(nodes.end(), order.begin() + static_cast<std::ptrdiff_t>(i),
                     order.begin() + static_cast<std::ptrdiff_t>(j));
        i = j;
    }
    p.nodes = nodes;
    p.cuda_buffer = k_gpu;
    const auto peaks = Replay(p, {host_alignment, gpu_alignment}).run();
    return SplitPeaks{peaks[k_host], peaks[k_gpu]};
}

} // namespace vramplan::graph
