#include "support/shipped_data.hpp"

#include <vramplan/runtime/gpu_detect.hpp>

#include <catch2/catch.hpp>

using namespace vramplan;

namespace {

GpuSnapshot snapshot(std::vector<GpuReading> gpus) {
    GpuSnapshot s;
    s.source = "test";
    s.gpus = std::move(gpus);
    return s;
}

const GpuProfiles& profiles() {
    static const GpuProfiles g = GpuProfiles::load(test::k_root + "/profiles/gpus");
    return g;
}

} // namespace

TEST_CASE("a GPU matches the profile with its name, the closest total among several") {
    const auto found = detect_gpus(
        profiles(), snapshot({{0, "NVIDIA GeForce RTX 4060 Ti", 0, 8188ULL << 20},
                              {1, "nvidia geforce rtx 4060 ti", 0, 16380ULL << 20},
                              {2, "NVIDIA GeForce RTX 4050 Laptop GPU", 0, 6144ULL << 20}}));
    REQUIRE(found.size() == 3);
    CHECK(found[0].profile->name == "rtx4060ti-8gb");
    CHECK(found[0].total_matches);
    CHECK(found[1].profile->name == "rtx4060ti-16gb");
    CHECK(found[1].total_matches);
    CHECK(found[2].profile->name == "rtx4050-laptop");
    CHECK_FALSE(found[2].total_matches); // the profile says 6141
    CHECK(found[2].suggested_profile.empty());
}

TEST_CASE("an unknown GPU gets a profile to start from, measured figures filled in") {
    const auto found = detect_gpus(
        profiles(), snapshot({{0, "NVIDIA GeForce RTX 4070 SUPER", 0, 12282ULL << 20}}));
    REQUIRE(found.size() == 1);
    CHECK(found[0].profile == nullptr);
    const std::string& y = found[0].suggested_profile;
    CHECK(y.find("name: rtx4070-super\n") != std::string::npos);
    CHECK(y.find("memory_total_mib: 12282\n") != std::string::npos);
    CHECK(y.find("measured with test") != std::string::npos);
    CHECK(y.find("sm_count: FILL IN") != std::string::npos);
}
