#pragma once
// GPU profiles: profiles/gpus/*.yaml, one GPU each. docs/data-files.md describes the schema and
// docs/gpu-profiles.md where each figure comes from.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vramplan {

// The CUDA primary context that every process creates on a GPU it uses costs memory outside any
// llama.cpp buffer, and the cost grows with the SM count. Two published measurements
// (llama.cpp PR #23604, cudaMemGetInfo forcing the primary context) anchor our estimate:
inline constexpr double k_context_ref_small_sms = 34;  // RTX 4060 Ti
inline constexpr double k_context_ref_small_mib = 107; // MiB
inline constexpr double k_context_ref_large_sms = 188; // RTX PRO 6000 Blackwell
inline constexpr double k_context_ref_large_mib = 555; // MiB

// Linear interpolation (and extrapolation) through the two measurements, rounded up to a MiB.
std::uint64_t estimate_context_mib(std::uint32_t sm_count);

// Dense FP16 tensor-core FLOPs per SM per clock (FP16 accumulate) for a compute capability, from
// NVIDIA's architecture whitepapers; 0 when not known. docs/gpu-profiles.md.
std::uint32_t tensor_flops_per_sm_clock(std::string_view compute_capability);

// One direction of a PCIe link: generation 3, 4, 5 run 8, 16, 32 GT/s per lane with 128b/130b
// encoding.
double pcie_gb_s(std::uint32_t generation, std::uint32_t lanes);

struct GpuProfile {
    std::string name; // "rtx4050-laptop"
    std::vector<std::string> aliases;
    std::string display_name; // as nvidia-smi names it
    std::string architecture; // "Ada Lovelace"
    std::string compute_capability;
    std::uint32_t sm_count = 0;
    std::uint64_t memory_total_mib = 0; // nvidia-smi --query-gpu=memory.total
    std::string memory_total_source;
    std::uint64_t reserved_mib = 0; // held before any process starts (display, driver)
    double bandwidth_gb_s = 0;      // peak memory bandwidth, GB/s (10^9 bytes)
    std::string bandwidth_source;
    // Prompt processing (throughput.hpp): the tensor-core peak and the host link.
    double boost_clock_mhz = 0;
    double fp16_tensor_tflops = 0; // sm_count x clock x tensor_flops_per_sm_clock, or given
    std::string compute_source;
    std::uint32_t pcie_generation = 0;
    std::uint32_t pcie_lanes = 0;
    std::uint64_t runtime_overhead_mib = 0; // per process: CUDA context
    std::string runtime_overhead_source;
    bool runtime_overhead_measured = false; // false: estimate_context_mib(sm_count)
    std::string source_path;
    std::string override_path; // a user override applied on top (vramplan calibrate --save)

    std::uint64_t total_bytes() const { return memory_total_mib << 20; }
    std::uint64_t usable_bytes() const { return (memory_total_mib - reserved_mib) << 20; }
    std::uint64_t runtime_overhead_bytes() const { return runtime_overhead_mib << 20; }
    double pcie_bandwidth_gb_s() const { return pcie_gb_s(pcie_generation, pcie_lanes); }
};

GpuProfile parse_gpu_profile(std::string_view yaml_text, const std::string& source);

// A user's override of a shipped profile ($XDG_CONFIG_HOME/vramplan/gpus/NAME.yaml, written by
// `vramplan calibrate --save`): `name` and any of runtime_overhead_mib (with its source),
// memory_total_mib (with its source) and reserved_mib, measured on the user's machine.
void apply_gpu_override(GpuProfile& profile, std::string_view yaml_text, const std::string& source);

// The override file calibrate writes: the runtime overhead measured, with where it came from.
std::string gpu_override_yaml(const std::string& name, std::uint64_t runtime_overhead_mib,
                              const std::string& source);

class GpuProfiles {
public:
    static GpuProfiles load(const std::filesystem::path& gpus_dir);
    static GpuProfiles from_profiles(std::vector<GpuProfile> profiles);

    // Applies every NAME.yaml in `dir` (absent: nothing) to the profile it names; a file naming
    // no profile is an error.
    void apply_overrides(const std::filesystem::path& dir);

    const std::vector<GpuProfile>& all() const { return m_profiles; }
    const GpuProfile* find(std::string_view name_or_alias) const;
    // The profile of a GPU as the driver names it ("NVIDIA GeForce RTX 3060", any case); of
    // several with that name, the one whose total is closest to `total_bytes`. nullptr if none.
    const GpuProfile* find_display_name(std::string_view display_name,
                                        std::uint64_t total_bytes = 0) const;
    // Throws ErrorKind::data with "did you mean" when unknown.
    const GpuProfile& resolve(std::string_view name_or_alias) const;

private:
    std::vector<GpuProfile> m_profiles;
};

} // namespace vramplan
