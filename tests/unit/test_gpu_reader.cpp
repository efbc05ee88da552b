#include <vramplan/base/error.hpp>
#include <vramplan/runtime/gpu_reader.hpp>

#include <catch2/catch.hpp>

using namespace vramplan;

TEST_CASE("nvidia-smi's GPU query: index, name, used and total MiB") {
    const auto g = parse_smi_gpus("0, NVIDIA GeForce RTX 4050 Laptop GPU, 412, 6141\r\n"
                                  "\n"
                                  "1, Odd, Name, With Commas, 0, 24564\n",
                                  "smi");
    REQUIRE(g.size() == 2);
    CHECK(g[0].index == 0);
    CHECK(g[0].name == "NVIDIA GeForce RTX 4050 Laptop GPU");
    CHECK(g[0].used_bytes == 412ULL << 20);
    CHECK(g[0].total_bytes == 6141ULL << 20);
    CHECK(g[1].name == "Odd, Name, With Commas");
    CHECK(g[1].total_bytes == 24564ULL << 20);
    CHECK(parse_smi_gpus("", "smi").empty());
}

TEST_CASE("nvidia-smi's GPU query: anything else is an error with its line") {
    CHECK_THROWS_WITH(parse_smi_gpus("0, A, 1, 2\n0, RTX, [N/A], 6141\n", "smi"),
                      Catch::Contains("smi: line 2: expected whole numbers"));
    CHECK_THROWS_WITH(parse_smi_gpus("index, name, memory.used [MiB], memory.total [MiB]\n", "s"),
                      Catch::Contains("s: line 1"));
    CHECK_THROWS_WITH(parse_smi_gpus("0, 6141\n", "s"),
                      Catch::Contains("expected index, name, memory.used, memory.total"));
    try {
        (void)parse_smi_gpus("garbage", "s");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::format);
    }
}

TEST_CASE("nvidia-smi's process query: [N/A] memory is unknown, not zero") {
    const auto p = parse_smi_processes("4242, /app/llama-server, 2013\n"
                                       "77, C:\\a,b.exe, [N/A]\n"
                                       "No running processes found\n",
                                       "apps");
    REQUIRE(p.size() == 2);
    CHECK(p[0].pid == 4242);
    CHECK(p[0].name == "/app/llama-server");
    CHECK(p[0].used_bytes == std::optional<std::uint64_t>(2013ULL << 20));
    CHECK(p[1].name == "C:\\a,b.exe");
    CHECK_FALSE(p[1].used_bytes.has_value());
    CHECK_THROWS_WITH(parse_smi_processes("x, y, 1\n", "apps"),
                      Catch::Contains("apps: line 1: expected a process id"));
}

TEST_CASE("GPU sources by name") {
    CHECK(parse_gpu_source("auto") == GpuSource::automatic);
    CHECK(parse_gpu_source("nvml") == GpuSource::nvml);
    CHECK(parse_gpu_source("nvidia-smi") == GpuSource::nvidia_smi);
    CHECK_THROWS_WITH(parse_gpu_source("rocm"), Catch::Contains("unknown source 'rocm'"));
}
