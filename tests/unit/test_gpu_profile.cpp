#include <vramplan/base/error.hpp>
#include <vramplan/model/gpu_profile.hpp>

#include <catch2/catch.hpp>

using namespace vramplan;

namespace {

const char* k_gpu = R"(name: testgpu
aliases: [tg, test-gpu]
display_name: NVIDIA Test
sm_count: 20
memory_total_mib: 6141
memory_total_source: "a log"
bandwidth_gb_s: 192
bandwidth_source: "spec"
)";

} // namespace

TEST_CASE("a GPU profile parses; the context overhead is estimated from the SM count") {
    const GpuProfile g = parse_gpu_profile(k_gpu, "g.yaml");
    CHECK(g.name == "testgpu");
    CHECK(g.total_bytes() == 6141ULL << 20);
    CHECK(g.usable_bytes() == g.total_bytes());
    CHECK_FALSE(g.runtime_overhead_measured);
    CHECK(g.runtime_overhead_mib == estimate_context_mib(20));
    CHECK(g.runtime_overhead_source.find("PR #23604") != std::string::npos);
}

TEST_CASE("the context estimate passes through both published measurements") {
    CHECK(estimate_context_mib(34) == 107);
    CHECK(estimate_context_mib(188) == 555);
    CHECK(estimate_context_mib(20) == 67); // 107 - 14 * 448 / 154 = 66.27, rounded up
}

TEST_CASE("a measured overhead needs its source") {
    const std::string measured = std::string(k_gpu) + "runtime_overhead_mib: 300\n";
    CHECK_THROWS_WITH(parse_gpu_profile(measured, "g.yaml"),
                      Catch::Contains("missing required key 'runtime_overhead_source'"));
    const GpuProfile g =
        parse_gpu_profile(measured + "runtime_overhead_source: \"measured\"\n", "g.yaml");
    CHECK(g.runtime_overhead_measured);
    CHECK(g.runtime_overhead_bytes() == 300ULL << 20);
}

TEST_CASE("reserved memory must leave something usable") {
    CHECK(parse_gpu_profile(std::string(k_gpu) + "reserved_mib: 141\n", "g.yaml").usable_bytes() ==
          6000ULL << 20);
    CHECK_THROWS_WITH(
        parse_gpu_profile(std::string(k_gpu) + "reserved_mib: 6141\n", "g.yaml"),
        Catch::Contains(
            "g.yaml:9:15: 'reserved_mib': expected a whole number from 0 to 6140, found '6141'"));
}

TEST_CASE("resolving GPU names and aliases; unknown names get suggestions") {
    const GpuProfiles all = GpuProfiles::from_profiles({parse_gpu_profile(k_gpu, "g.yaml")});
    CHECK(all.resolve("TG").name == "testgpu");
    CHECK(all.resolve("testgpu").display_name == "NVIDIA Test");
    try {
        (void)all.resolve("testgpo");
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) == "unknown GPU 'testgpo'");
        CHECK(e.hint().find("did you mean 'testgpu'") == 0);
    }
    CHECK_THROWS_WITH(GpuProfiles::from_profiles(
                          {parse_gpu_profile(k_gpu, "a.yaml"), parse_gpu_profile(k_gpu, "b.yaml")}),
                      Catch::Contains("used twice"));
}

TEST_CASE("tensor-core peak from SMs, boost clock and the architecture; PCIe by generation") {
    CHECK(tensor_flops_per_sm_clock("8.9") == 1024);
    CHECK(tensor_flops_per_sm_clock("8.0") == 2048);
    CHECK(tensor_flops_per_sm_clock("6.1") == 0);
    const std::string ada = std::string(k_gpu) +
                            "compute_capability: \"8.9\"\nboost_clock_mhz: 2370\n"
                            "pcie_generation: 4\npcie_lanes: 8\ncompute_source: \"spec\"\n";
    const GpuProfile g = parse_gpu_profile(ada, "g.yaml");
    CHECK(g.fp16_tensor_tflops == Approx(20 * 2370e6 * 1024 / 1e12));   // 48.5
    CHECK(g.pcie_bandwidth_gb_s() == Approx(16.0 * 128 / 130 / 8 * 8)); // 15.75
    CHECK(pcie_gb_s(3, 16) == Approx(15.75).epsilon(1e-3));
    CHECK(pcie_gb_s(5, 16) == Approx(63.0).epsilon(1e-3));
    // No known rate: the profile must give the peak itself.
    const std::string unknown = std::string(k_gpu) +
                                "compute_capability: \"6.1\"\nboost_clock_mhz: 1500\n"
                                "compute_source: \"spec\"\n";
    CHECK_THROWS_WITH(parse_gpu_profile(unknown, "g.yaml"),
                      Catch::Contains("give fp16_tensor_tflops instead"));
    const GpuProfile given = parse_gpu_profile(
        std::string(k_gpu) + "fp16_tensor_tflops: 989.4\ncompute_source: \"datasheet\"\n",
        "g.yaml");
    CHECK(given.fp16_tensor_tflops == Approx(989.4));
    // Without compute figures prompt speed is simply not estimated.
    CHECK(parse_gpu_profile(k_gpu, "g.yaml").fp16_tensor_tflops == 0);
}
