#include <vramplan/base/error.hpp>
#include <vramplan/runtime/vram_sampler.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>
#include <thread>

using namespace vramplan;
using namespace std::chrono_literals;

namespace {

// Readings 1000, 3000, 2000, 2000, ... MiB on GPU 0; GPU 1 fixed; every fourth read fails.
class SteppingGpu final : public GpuReader {
public:
    GpuSnapshot read() override {
        const int n = ++m_reads;
        if (n % 4 == 0 && fail) {
            throw Error(ErrorKind::unavailable, "gpu", "driver busy");
        }
        const std::uint64_t mib = n == 1 ? 1000U : n == 2 ? 3000U : 2000U;
        GpuSnapshot s;
        s.gpus.push_back({0, "A", mib << 20, 6141ULL << 20});
        s.gpus.push_back({1, "B", 5ULL << 20, 8188ULL << 20});
        return s;
    }
    std::string source() const override { return "stepping"; }
    int reads() const { return m_reads; }
    bool fail = false;

private:
    std::atomic<int> m_reads{0};
};

} // namespace

TEST_CASE("VRAM sampler: reads at once, at the interval and at the end; keeps the peak") {
    SteppingGpu gpu;
    std::vector<double> times;
    VramSampler s(gpu, 10ms, [&](double t, const GpuSnapshot& snap) {
        CHECK(snap.gpus.size() == 2);
        times.push_back(t);
    });
    CHECK(gpu.reads() >= 1); // the first reading is taken before the constructor returns
    std::this_thread::sleep_for(60ms);
    const VramSamples v = s.stop();
    CHECK(v.readings >= 4);
    CHECK(v.readings == times.size());
    CHECK(std::is_sorted(times.begin(), times.end()));
    REQUIRE(v.peaks.size() == 2);
    CHECK(v.peaks[0].gpu == 0);
    CHECK(v.peaks[0].peak_used_bytes == 3000ULL << 20);
    CHECK(v.peaks[1].peak_used_bytes == 5ULL << 20);
    CHECK(v.peaks[1].total_bytes == 8188ULL << 20);
    CHECK(v.note.empty());
    const int reads = gpu.reads();
    CHECK(s.stop().readings == v.readings); // stopping twice reads nothing more
    CHECK(gpu.reads() == reads);
}

TEST_CASE("VRAM sampler: a failed reading is noted, not thrown") {
    SteppingGpu gpu;
    gpu.fail = true;
    VramSampler s(gpu, 5ms);
    std::this_thread::sleep_for(40ms);
    const VramSamples v = s.stop();
    CHECK_THAT(v.note, Catch::Contains("driver busy"));
    REQUIRE_FALSE(v.peaks.empty());
    CHECK(v.peaks[0].peak_used_bytes == 3000ULL << 20); // the readings around a failure count
    CHECK(v.readings < static_cast<std::uint64_t>(gpu.reads()));
}

namespace {

// The first reading (on the caller's thread) works; the next, on the sampler's thread, throws.
class FailingOnThreadGpu final : public GpuReader {
public:
    GpuSnapshot read() override {
        if (++m_reads >= 2) {
            throw std::runtime_error("not a vramplan::Error");
        }
        return {};
    }
    std::string source() const override { return "failing"; }

private:
    std::atomic<int> m_reads{0};
};

} // namespace

TEST_CASE("VRAM sampler: any other exception on its thread is rethrown by stop()") {
    FailingOnThreadGpu gpu;
    VramSampler s(gpu, 5ms);
    std::this_thread::sleep_for(30ms);
    CHECK_THROWS_WITH(s.stop(), "not a vramplan::Error");
    CHECK_NOTHROW(s.stop()); // once
}

TEST_CASE("VRAM sampler: an exception from the reading callback is rethrown too") {
    SteppingGpu gpu;
    int calls = 0;
    VramSampler s(gpu, 5ms, [&](double, const GpuSnapshot&) {
        if (++calls == 2) {
            throw std::bad_alloc();
        }
    });
    std::this_thread::sleep_for(30ms);
    CHECK_THROWS_AS(s.stop(), std::bad_alloc);
}

TEST_CASE("VRAM sampler: destroyed after a failure on its thread without stop()") {
    FailingOnThreadGpu gpu;
    {
        VramSampler s(gpu, 5ms);
        std::this_thread::sleep_for(20ms);
    } // the destructor must not throw (std::terminate)
    SUCCEED();
}
