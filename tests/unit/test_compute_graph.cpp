#include <vramplan/estimate/compute_graph.hpp>

#include <catch2/catch.hpp>

using namespace vramplan;
using namespace vramplan::graph;

TEST_CASE("shapes and strides follow ggml") {
    Graph g;
    const int w = g.weight({64, 32, 1, 1});
    const int x = g.input({64, 8, 1, 1}, GgmlType::f32);
    const int y = g.mul_mat(w, x);
    CHECK(g.at(y).ne == Graph::Ne{32, 8, 1, 1});
    const int r = g.reshape(y, {16, 2, 8, 1});
    const int p = g.permute(r, 0, 2, 1, 3);
    CHECK(g.at(p).ne == Graph::Ne{16, 8, 2, 1});
    CHECK(g.at(p).nb[1] == g.at(r).nb[2]);
    CHECK(g.at(p).view_src == y); // a view of a view resolves to the root
    CHECK(nbytes(g.at(p)) == nbytes(g.at(y)));
    const int rows = g.input({3, 1, 1, 1}, GgmlType::i32);
    CHECK(g.at(g.get_rows(w, rows)).ne == Graph::Ne{64, 3, 1, 1});
    CHECK(g.at(g.glu_halves(y)).ne == Graph::Ne{16, 8, 1, 1});
}

TEST_CASE("expansion is depth first, sources in slot order; leafs are ops without an op") {
    Graph g;
    const int a = g.input({4, 1, 1, 1}, GgmlType::f32);
    const int b = g.input({4, 1, 1, 1}, GgmlType::f32);
    const int s = g.add(g.scale(a), b);
    g.expand(s);
    g.expand(s); // idempotent
    CHECK(g.leafs() == std::vector<int>{a, b});
    REQUIRE(g.nodes().size() == 2);
    CHECK(g.nodes().back() == s);
}

TEST_CASE("allocator: in-place reuse, freeing, best fit and the high-water mark") {
    SECTION("a chain of in-place ops costs one tensor") {
        Graph g;
        const int x = g.input({256, 1, 1, 1}, GgmlType::f32); // 1 KiB input, kept
        int t = g.rms_norm(x);                                // 1 KiB, x still used below
        t = g.scale(g.scale(t));                              // in place on t
        g.expand(g.add(t, x));                                // in place on t
        CHECK(allocate(g, 32) == 2048);
    }
    SECTION("mul_mat is never in place; a freed block is reused, best fit before the end") {
        Graph g;
        const int w = g.weight({256, 256, 1, 1});
        const int x = g.input({256, 1, 1, 1}, GgmlType::f32);
        const int a = g.mul_mat(w, x); // 1 KiB
        const int b = g.mul_mat(w, a); // 1 KiB, a freed after
        const int c = g.mul_mat(w, b); // after a is freed
        g.expand(c);
        // x [0,1K), a [1K,2K); x freed; b takes x's block (best fit before the open end); a
        // freed and merged into the open end; c at [1K,2K). Peak 2 KiB.
        CHECK(allocate(g, 32) == 2 * 1024);
    }
    SECTION("outputs are never freed nor reused") {
        Graph g;
        const int x = g.input({256, 1, 1, 1}, GgmlType::f32);
        const int n = g.rms_norm(x); // takes over x's memory: x is owned and used once
        g.set_output(n);
        g.expand(g.scale(n)); // n is an output: its memory is not reused
        CHECK(allocate(g, 32) == 2 * 1024);
    }
    SECTION("sizes are padded to the alignment") {
        Graph g;
        const int x = g.input({3, 1, 1, 1}, GgmlType::f32); // 12 bytes
        g.expand(g.mul_mat(g.weight({3, 3, 1, 1}), x));     // 12 more, not in place
        CHECK(allocate(g, 128) == 256);
    }
}

TEST_CASE("a CPU/GPU split: copies at the split start, CUDA-only allocation extras") {
    Graph g;
    const int x = g.input({256, 1, 1, 1}, GgmlType::f32); // host input, 1 KiB
    const int w = g.weight({256, 256, 1, 1});
    const int y = g.mul_mat(w, x); // GPU: reads a copy of x
    const int z = g.scale(y);      // GPU, in place on y
    g.set_cuda_extra(y, 4096);     // as FLASH_ATTN_EXT's F16 scratch would be
    g.expand(z);
    std::vector<bool> on_gpu(static_cast<std::size_t>(z) + 1, true);
    const SplitPeaks p = allocate_split(g, on_gpu, 32, 128);
    CHECK(p.host == 1024);              // the input
    CHECK(p.gpu == 1024 + 1024 + 4096); // the copy of x, then y with its extra
    CHECK(allocate(g, 32) == 2048 + 0); // one buffer (CPU): no CUDA extras
}
