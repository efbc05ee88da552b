#include <dlfcn.h>

#include <vramplan/base/error.hpp>
#include <vramplan/base/strings.hpp>
#include <vramplan/runtime/gpu_reader.hpp>
#include <vramplan/runtime/subprocess.hpp>

#include <fmt/format.h>

#include <array>
#include <climits>
#include <fstream>

namespace vramplan {

namespace {

constexpr std::uint64_t k_mib_bytes = 1ULL << 20;

// One CSV field of nvidia-smi as MiB; nullopt for "[N/A]" and the like.
std::optional<std::uint64_t> mib_field(std::string_view field) {
    const auto v = parse_unsigned(trim(field));
    if (!v || *v > (UINT64_MAX >> 20)) {
        return std::nullopt;
    }
    return *v * k_mib_bytes;
}

[[noreturn]] void bad_line(const std::string& source, std::size_t line, std::string_view text,
                           const std::string& why) {
    throw Error(ErrorKind::format, fmt::format("{}: line {}", source, line),
                fmt::format("{}: '{}'", why, text.substr(0, 120)),
                "is this nvidia-smi's --format=csv,noheader,nounits output?");
}

} // namespace

GpuSource parse_gpu_source(std::string_view name) {
    if (name == "auto") {
        return GpuSource::automatic;
    }
    if (name == "nvml") {
        return GpuSource::nvml;
    }
    if (name == "nvidia-smi") {
        return GpuSource::nvidia_smi;
    }
    throw Error(ErrorKind::usage, "--gpu-source", fmt::format("unknown source '{}'", name),
                "use auto, nvml or nvidia-smi");
}

std::vector<GpuReading> parse_smi_gpus(std::string_view csv, const std::string& source) {
    std::vector<GpuReading> out;
    std::size_t n = 0;
    for (const std::string_view line : lines_of(csv)) {
        ++n;
        if (trim(line).empty()) {
            continue;
        }
        // index, name, memory.used, memory.total: the name is everything between the first and
        // the last two commas.
        const std::vector<std::string> f = split(line, ',');
        if (f.size() < 4) {
            bad_line(source, n, line, "expected index, name, memory.used, memory.total");
        }
        const auto index = parse_unsigned(trim(f.front()));
        const auto used = mib_field(f[f.size() - 2]);
        const auto total = mib_field(f.back());
        if (!index || *index > UINT32_MAX || !used || !total) {
            bad_line(source, n, line, "expected whole numbers for index and memory (MiB)");
        }
        GpuReading g;
        g.index = static_cast<std::uint32_t>(*index);
        std::vector<std::string> name(f.begin() + 1, f.end() - 2);
        g.name = std::string(trim(join(name, ",")));
        g.used_bytes = *used;
        g.total_bytes = *total;
        out.push_back(std::move(g));
    }
    return out;
}

std::vector<GpuProcess> parse_smi_processes(std::string_view csv, const std::string& source) {
    std::vector<GpuProcess> out;
    std::size_t n = 0;
    for (const std::string_view line : lines_of(csv)) {
        ++n;
        const std::string_view t = trim(line);
        if (t.empty() || t.starts_with("No running")) {
            continue;
        }
        const std::vector<std::string> f = split(line, ',');
        if (f.size() < 3) {
            bad_line(source, n, line, "expected pid, process_name, used_memory");
        }
        const auto pid = parse_unsigned(trim(f.front()));
        if (!pid || *pid > UINT32_MAX) {
            bad_line(source, n, line, "expected a process id");
        }
        GpuProcess p;
        p.pid = static_cast<std::uint32_t>(*pid);
        std::vector<std::string> name(f.begin() + 1, f.end() - 1);
        p.name = std::string(trim(join(name, ",")));
        p.used_bytes = mib_field(f.back()); // "[N/A]" on some drivers and in containers
        out.push_back(std::move(p));
    }
    return out;
}

namespace {

// --- nvidia-smi -----------------------------------------------------------------------------

class SmiReader final : public GpuReader {
public:
    std::string source() const override { return "nvidia-smi"; }

    GpuSnapshot read() override {
        GpuSnapshot s;
        s.source = source();
        s.gpus = parse_smi_gpus(query({"--query-gpu=index,name,memory.used,memory.total",
                                       "--format=csv,noheader,nounits"}),
                                "nvidia-smi --query-gpu");
        s.processes =
            parse_smi_processes(query({"--query-compute-apps=pid,process_name,used_memory",
                                       "--format=csv,noheader,nounits"}),
                                "nvidia-smi --query-compute-apps");
        if (s.gpus.size() == 1) {
            for (auto& p : s.processes) {
                p.gpu_index = s.gpus.front().index;
            }
        }
        return s;
    }

    // Runs nvidia-smi with `args`; throws ErrorKind::unavailable with its own words on failure.
    static std::string query(const std::vector<std::string>& args) {
        std::vector<std::string> argv{"nvidia-smi"};
        argv.insert(argv.end(), args.begin(), args.end());
        const ProcessResult r = run_process(argv, std::chrono::seconds(20));
        if (r.exit_code == k_exit_not_started) {
            throw Error(ErrorKind::unavailable, {}, "nvidia-smi was not found on PATH");
        }
        if (r.timed_out) {
            throw Error(ErrorKind::unavailable, {}, "nvidia-smi did not answer within 20 s");
        }
        if (r.exit_code != 0) {
            const std::string said = std::string(trim(r.out + r.err));
            throw Error(ErrorKind::unavailable, {},
                        fmt::format("nvidia-smi failed (exit {}): {}", r.exit_code,
                                    said.substr(0, said.find('\n'))));
        }
        return r.out;
    }
};

// --- NVML -----------------------------------------------------------------------------------
// The few NVML entry points used, declared here (nvml.h is not needed to build): their C types
// as NVIDIA's header defines them.

using nvml_return = int;
using nvml_device = struct nvml_device_st*;
constexpr nvml_return k_nvml_success = 0;
constexpr nvml_return k_nvml_insufficient_size = 7;
constexpr unsigned long long k_nvml_value_not_available = ULLONG_MAX;

struct NvmlMemory { // nvmlMemory_t
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
};

struct NvmlProcessInfo { // nvmlProcessInfo_t, as the _v2 and _v3 queries fill it
    unsigned int pid;
    unsigned long long used_gpu_memory;
    unsigned int gpu_instance_id;
    unsigned int compute_instance_id;
};

class NvmlReader final : public GpuReader {
public:
    NvmlReader() {
        m_lib = ::dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
        if (m_lib == nullptr) {
            const char* why = ::dlerror();
            throw Error(ErrorKind::unavailable, {},
                        std::string("NVML is not available: ") +
                            (why != nullptr ? why : "libnvidia-ml.so.1 not found"));
        }
        bind(m_init, "nvmlInit_v2");
        bind(m_shutdown, "nvmlShutdown");
        bind(m_count, "nvmlDeviceGetCount_v2");
        bind(m_handle, "nvmlDeviceGetHandleByIndex_v2");
        bind(m_name, "nvmlDeviceGetName");
        bind(m_memory, "nvmlDeviceGetMemoryInfo");
        bind(m_error, "nvmlErrorString");
        // Process queries: the newest the driver has; without one, no per-process figures.
        m_processes = reinterpret_cast<ProcessesFn>(
            ::dlsym(m_lib, "nvmlDeviceGetComputeRunningProcesses_v3"));
        if (m_processes == nullptr) {
            m_processes = reinterpret_cast<ProcessesFn>(
                ::dlsym(m_lib, "nvmlDeviceGetComputeRunningProcesses_v2"));
        }
        check(m_init(), "nvmlInit");
        m_initialised = true;
    }
    ~NvmlReader() override {
        if (m_initialised) {
            m_shutdown();
        }
        if (m_lib != nullptr) {
            ::dlclose(m_lib);
        }
    }
    NvmlReader(const NvmlReader&) = delete;
    NvmlReader& operator=(const NvmlReader&) = delete;

    std::string source() const override { return "NVML"; }

    GpuSnapshot read() override {
        GpuSnapshot s;
        s.source = source();
        unsigned int count = 0;
        check(m_count(&count), "nvmlDeviceGetCount");
        for (unsigned int i = 0; i < count; ++i) {
            nvml_device dev = nullptr;
            check(m_handle(i, &dev), "nvmlDeviceGetHandleByIndex");
            GpuReading g;
            g.index = i;
            std::array<char, 96> name{};
            check(m_name(dev, name.data(), static_cast<unsigned int>(name.size())),
                  "nvmlDeviceGetName");
            g.name = name.data();
            NvmlMemory mem{};
            check(m_memory(dev, &mem), "nvmlDeviceGetMemoryInfo");
            g.used_bytes = mem.used;
            g.total_bytes = mem.total;
            s.gpus.push_back(g);
            read_processes(dev, i, s.processes);
        }
        return s;
    }

private:
    using InitFn = nvml_return (*)();
    using CountFn = nvml_return (*)(unsigned int*);
    using HandleFn = nvml_return (*)(unsigned int, nvml_device*);
    using NameFn = nvml_return (*)(nvml_device, char*, unsigned int);
    using MemoryFn = nvml_return (*)(nvml_device, NvmlMemory*);
    using ErrorFn = const char* (*)(nvml_return);
    using ProcessesFn = nvml_return (*)(nvml_device, unsigned int*, NvmlProcessInfo*);

    template <typename Fn> void bind(Fn& fn, const char* symbol) {
        fn = reinterpret_cast<Fn>(::dlsym(m_lib, symbol));
        if (fn == nullptr) {
            throw Error(ErrorKind::unavailable, {},
                        fmt::format("NVML lacks {} (driver too old?)", symbol));
        }
    }

    void check(nvml_return rc, const char* what) const {
        if (rc != k_nvml_success) {
            throw Error(ErrorKind::unavailable, {},
                        fmt::format("NVML {} failed: {}", what,
                                    m_error != nullptr ? m_error(rc) : std::to_string(rc)));
        }
    }

    void read_processes(nvml_device dev, unsigned int index, std::vector<GpuProcess>& out) const {
        if (m_processes == nullptr) {
            return;
        }
        unsigned int n = 0;
        nvml_return rc = m_processes(dev, &n, nullptr);
        if (rc != k_nvml_success && rc != k_nvml_insufficient_size) {
            return;
        }
        std::vector<NvmlProcessInfo> info(n + 16); // room for processes that start meanwhile
        n = static_cast<unsigned int>(info.size());
        rc = m_processes(dev, &n, info.data());
        if (rc != k_nvml_success) {
            return;
        }
        for (unsigned int k = 0; k < n; ++k) {
            GpuProcess p;
            p.pid = info[k].pid;
            p.gpu_index = index;
            if (info[k].used_gpu_memory != k_nvml_value_not_available) {
                p.used_bytes = info[k].used_gpu_memory;
            }
            p.name = process_name(p.pid);
            out.push_back(std::move(p));
        }
    }

    static std::string process_name(std::uint32_t pid) {
        std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
        std::string name;
        std::getline(in, name);
        return name.empty() ? "?" : name;
    }

    void* m_lib = nullptr;
    bool m_initialised = false;
    InitFn m_init = nullptr;
    InitFn m_shutdown = nullptr;
    CountFn m_count = nullptr;
    HandleFn m_handle = nullptr;
    NameFn m_name = nullptr;
    MemoryFn m_memory = nullptr;
    ErrorFn m_error = nullptr;
    ProcessesFn m_processes = nullptr;
};

} // namespace

std::unique_ptr<GpuReader> open_gpu_reader(GpuSource source) {
    std::vector<std::string> tried;
    if (source != GpuSource::nvidia_smi) {
        try {
            return std::make_unique<NvmlReader>();
        } catch (const Error& e) {
            if (source == GpuSource::nvml) {
                throw;
            }
            tried.push_back(e.message());
        }
    }
    try {
        auto reader = std::make_unique<SmiReader>();
        (void)SmiReader::query({"--query-gpu=index", "--format=csv,noheader,nounits"});
        return reader;
    } catch (const Error& e) {
        tried.push_back(e.message());
    }
    throw Error(ErrorKind::unavailable, {}, "cannot read the GPUs: " + join(tried, "; "),
                "install the NVIDIA driver (it brings NVML and nvidia-smi), or run this where the "
                "GPU is");
}

} // namespace vramplan
