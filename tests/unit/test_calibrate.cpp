#include "support/shipped_data.hpp"

#include <vramplan/base/error.hpp>
#include <vramplan/base/text_file.hpp>
#include <vramplan/runtime/calibrate.hpp>

#include <catch2/catch.hpp>

using namespace vramplan;

namespace {

LlamaLog real_log(const char* name) {
    return parse_llama_log(
        read_text_file(std::string(VRAMPLAN_TEST_DATA_DIR) + "/real-logs/" + name));
}

} // namespace

TEST_CASE("the model of a log: the catalog entry with its numbers, named as the log names it") {
    const LogModel m = model_from_log(
        real_log("001-qwen25-coder7b-q4km-rtx3060-ollama-ctx4096.txt"), test::shipped_catalog());
    // Qwen2.5-7B-Instruct has the same numbers; general.name picks the coder.
    CHECK(m.model.label == "qwen2.5-coder-7b-instruct");
    CHECK(m.model.quant == "Q4_K_M");
    CHECK(m.how.find("matched by the log's architecture numbers") != std::string::npos);
}

TEST_CASE("a model outside the catalog is rebuilt from the log; the tensor count picks tied") {
    const Catalog empty = Catalog::from_models({}, {});
    const LlamaLog log = real_log("cpu-qwen2.5-3b-f16-ctx32768-fa-nodellamacpp.txt");
    const LogModel m = model_from_log(log, empty);
    CHECK(m.how.find("tied output") != std::string::npos);
    CHECK(m.model.spec().tensors.size() == 434);
    const Calibration c = calibrate(log, m.model.spec(), nullptr, std::nullopt);
    CHECK(c.exact_rows() == 4);
    CHECK(c.rows.size() == 4);
}

TEST_CASE("every buffer of a CPU log exact; the CUDA log's device buffers exact") {
    const LlamaLog cpu = real_log("cpu-qwen2.5-3b-f16-ctx32768-fa-nodellamacpp.txt");
    const Calibration a =
        calibrate(cpu, model_from_log(cpu, test::shipped_catalog()).model.spec(), nullptr, {});
    CHECK(a.exact_rows() == a.rows.size());
    CHECK_FALSE(a.runtime_overhead_bytes);

    const LlamaLog cuda = real_log("001-qwen25-coder7b-q4km-rtx3060-ollama-ctx4096.txt");
    const GpuProfile gpu = test::shipped_gpu("rtx3060");
    const Calibration b = calibrate(
        cuda, model_from_log(cuda, test::shipped_catalog()).model.spec(), &gpu, 5020ULL << 20);
    // Logged MiB have two decimals: the sums agree to those.
    CHECK(std::llabs(static_cast<long long>(b.predicted_gpu_bytes) -
                     static_cast<long long>(b.logged_gpu_bytes)) < 3 * 5243);
    for (const auto& r : b.rows) {
        if (r.on_gpu) {
            CHECK(r.exact());
        }
    }
    // 5020 MiB measured - (4168.09 + 224.00 + 304.00) MiB of device buffers.
    CHECK(*b.runtime_overhead_bytes ==
          static_cast<std::int64_t>(5020ULL << 20) - static_cast<std::int64_t>(b.logged_gpu_bytes));
    CHECK(b.logged_gpu_bytes == 4924207268ULL); // 4696.09 MiB, rounded to the byte
}

TEST_CASE("a log without model numbers asks for -m") {
    CHECK_THROWS_WITH(model_from_log(real_log("020-llama2-7b-q4km-cpu-ctx4096-b3617.txt"),
                                     test::shipped_catalog()),
                      Catch::Contains("the log does not describe its model"));
}

TEST_CASE("a GPU override replaces the measured figures and says where they came from") {
    GpuProfile g = test::shipped_gpu("rtx3060");
    apply_gpu_override(g, gpu_override_yaml("rtx3060", 324, "calibrate: 5020 - 4696.09"), "o.yaml");
    CHECK(g.runtime_overhead_mib == 324);
    CHECK(g.runtime_overhead_measured);
    CHECK(g.runtime_overhead_source == "calibrate: 5020 - 4696.09");
    CHECK(g.override_path == "o.yaml");
    CHECK_THROWS_WITH(apply_gpu_override(g, "name: rtx3060\nbandwidth_gb_s: 1\n", "o.yaml"),
                      Catch::Contains("unknown key 'bandwidth_gb_s'"));
    CHECK_THROWS_WITH(apply_gpu_override(g, "name: rtx3060\nruntime_overhead_mib: 3\n", "o.yaml"),
                      Catch::Contains("runtime_overhead_source"));
}

TEST_CASE("settings as flags") {
    ServerSettings s;
    s.n_gpu_layers = 29;
    s.n_ctx = 4096;
    s.n_parallel = 1;
    s.flash_attn = FlashAttn::on;
    s.type_k = s.type_v = GgmlType::q8_0;
    CHECK(settings_flags(s) == "-ngl 29 -c 4096 -b 2048 -ub 512 -np 1 -fa on -ctk q8_0 -ctv q8_0");
}
