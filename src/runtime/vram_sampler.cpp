#include <vramplan/base/error.hpp>
#include <vramplan/runtime/vram_sampler.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace vramplan {

VramSampler::VramSampler(GpuReader& gpu, std::chrono::milliseconds every, OnReading on_reading)
    : m_gpu(gpu), m_every(every), m_on_reading(std::move(on_reading)),
      m_started(std::chrono::steady_clock::now()) {
    sample(); // the first reading before anything runs
    m_thread = std::thread([this] { loop(); });
}

VramSampler::~VramSampler() {
    try {
        stop();
    } catch (...) { // NOLINT(bugprone-empty-catch): a destructor must not throw
    }
}

VramSamples VramSampler::stop() {
    if (m_thread.joinable()) {
        {
            const std::lock_guard lock(m_wake_mutex);
            m_stop = true;
        }
        m_wake.notify_all();
        m_thread.join();
        std::exception_ptr failure;
        {
            const std::lock_guard lock(m_mutex);
            failure = std::exchange(m_failure, nullptr);
        }
        if (failure) {
            std::rethrow_exception(failure);
        }
        sample(); // and one at the end
    }
    const std::lock_guard lock(m_mutex);
    return m_samples;
}

void VramSampler::loop() {
    // Anything thrown here would end the program (std::terminate): kept for stop() instead.
    try {
        std::unique_lock lock(m_wake_mutex);
        while (!m_wake.wait_for(lock, m_every, [this] { return m_stop; })) {
            lock.unlock();
            sample();
            lock.lock();
        }
    } catch (...) {
        const std::lock_guard lock(m_mutex);
        m_failure = std::current_exception();
    }
}

void VramSampler::sample() {
    GpuSnapshot snap;
    try {
        snap = m_gpu.read();
    } catch (const Error& e) {
        const std::lock_guard lock(m_mutex);
        m_samples.note = fmt::format("a reading failed: {}", e.message());
        return;
    }
    const double t =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - m_started).count();
    {
        const std::lock_guard lock(m_mutex);
        ++m_samples.readings;
        for (const GpuReading& g : snap.gpus) {
            auto it = std::find_if(m_samples.peaks.begin(), m_samples.peaks.end(),
                                   [&](const VramPeak& p) { return p.gpu == g.index; });
            if (it == m_samples.peaks.end()) {
                m_samples.peaks.push_back({g.index, g.name, 0, g.total_bytes});
                it = std::prev(m_samples.peaks.end());
            }
            it->peak_used_bytes = std::max(it->peak_used_bytes, g.used_bytes);
        }
    }
    if (m_on_reading) {
        m_on_reading(t, snap);
    }
}

} // namespace vramplan
