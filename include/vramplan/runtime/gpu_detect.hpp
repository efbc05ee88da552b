#pragma once
// `vramplan gpus --detect`: the GPUs a reader sees, matched to the shipped profiles by the name
// nvidia-smi prints and the memory total. docs/verify.md.

#include <vramplan/model/gpu_profile.hpp>
#include <vramplan/runtime/gpu_reader.hpp>

#include <string>
#include <vector>

namespace vramplan {

struct DetectedGpu {
    GpuReading reading;
    const GpuProfile* profile = nullptr; // same name; the closest total when several share it
    bool total_matches = false;          // the profile's memory_total_mib is what was measured
    std::string suggested_profile;       // YAML for profiles/gpus/ when no profile has the name
};

std::vector<DetectedGpu> detect_gpus(const GpuProfiles& profiles, const GpuSnapshot& snapshot);

// A profile file to start from for an unknown GPU: the measured name and total filled in, the
// figures vramplan cannot measure marked for the user to fill.
std::string suggest_profile_yaml(const GpuReading& reading, const std::string& source);

std::string render_detect_text(const std::vector<DetectedGpu>& gpus, const GpuSnapshot& s);
std::string render_detect_json(const std::vector<DetectedGpu>& gpus, const GpuSnapshot& s);

} // namespace vramplan
