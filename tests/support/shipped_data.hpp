#pragma once
// The data the project ships (models/, profiles/), loaded once per test binary.

#include <vramplan/model/catalog.hpp>
#include <vramplan/model/gpu_profile.hpp>
#include <vramplan/plan/deployment.hpp>

#include <string>

namespace vramplan::test {

inline const std::string k_root = VRAMPLAN_SOURCE_DIR;

inline const Catalog& shipped_catalog() {
    static const Catalog c = Catalog::load(k_root + "/models");
    return c;
}

inline const Deployment& p2_deployment() {
    static const Deployment d = load_deployment(k_root, "p2");
    return d;
}

inline const HostProfile& shipped_host() {
    static const HostProfile h = load_host_profile(k_root, "default");
    return h;
}

inline GpuProfile shipped_gpu(const char* name) {
    static const GpuProfiles g = GpuProfiles::load(k_root + "/profiles/gpus");
    return g.resolve(name);
}

} // namespace vramplan::test
