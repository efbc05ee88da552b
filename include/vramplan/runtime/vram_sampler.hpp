#pragma once
// Reading the GPUs at a fixed interval on a thread of its own while something else runs (a load
// test, a verify run): the peak per GPU, and each reading handed to a callback (`verify --watch`
// writes them to a CSV file).

#include <vramplan/runtime/gpu_reader.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vramplan {

struct VramPeak {
    std::uint32_t gpu = 0;
    std::string name;
    std::uint64_t peak_used_bytes = 0;
    std::uint64_t total_bytes = 0;
};

struct VramSamples {
    std::vector<VramPeak> peaks; // per GPU, in the order first seen
    std::uint64_t readings = 0;
    std::string note; // the last failed reading, if any
};

class VramSampler {
public:
    using OnReading = std::function<void(double seconds, const GpuSnapshot&)>;

    // Reads once now, then every `every` until stop() (and once more then). `gpu` must outlive
    // the sampler; `on_reading` (may be empty) runs on the sampling thread.
    VramSampler(GpuReader& gpu, std::chrono::milliseconds every, OnReading on_reading = {});
    ~VramSampler();
    VramSampler(const VramSampler&) = delete;
    VramSampler& operator=(const VramSampler&) = delete;

    // Stops sampling (idempotent) and returns what was read. An exception other than
    // vramplan::Error thrown on the sampling thread (by the reader or `on_reading`, std::bad_alloc
    // included) ended the sampling there and is rethrown here, once; the destructor drops it.
    VramSamples stop();

private:
    void loop();
    void sample();

    GpuReader& m_gpu;
    std::chrono::milliseconds m_every;
    OnReading m_on_reading;
    std::chrono::steady_clock::time_point m_started;
    std::thread m_thread;
    std::mutex m_wake_mutex;
    std::condition_variable m_wake;
    bool m_stop = false;
    std::mutex m_mutex; // guards m_samples
    VramSamples m_samples;
    std::exception_ptr m_failure; // guarded by m_mutex
};

} // namespace vramplan
