#include "support/shipped_data.hpp"

#include <vramplan/base/error.hpp>
#include <vramplan/base/service_name.hpp>
#include <vramplan/model/catalog.hpp>
#include <vramplan/plan/deployment.hpp>
#include <vramplan/plan/services.hpp>

#include <catch2/catch.hpp>

using namespace vramplan;

namespace {

const Catalog& catalog() {
    return test::shipped_catalog();
}

const Deployment& p2() {
    return test::p2_deployment();
}

Deployment load_p2(const std::optional<std::string>& name) {
    CHECK((!name || *name == "p2"));
    return p2();
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

} // namespace

TEST_CASE("a role takes the deployment's name, port, priority and flags") {
    const ServiceRequest r = role_service("chat", "3b", catalog(), p2(), std::nullopt);
    CHECK(r.name == "inference-chat");
    CHECK(r.port == 8001);
    CHECK(r.priority == 2);
    CHECK(r.settings.n_ctx == 1024);
    CHECK(r.settings.n_batch == 128);
    CHECK(r.threads == 4);
    CHECK(r.model.file == "Qwen2.5-3B-Instruct-Q4_K_M.gguf");
    // A role the deployment does not know keeps its own name and the lowest priority.
    const ServiceRequest other =
        role_service("embed", "qwen2.5-0.5b-instruct", catalog(), p2(), {});
    CHECK(other.name == "embed");
    CHECK(other.priority == 1);
    // The typical request: the deployment's, or the role's own.
    CHECK(r.workload == Workload{512, 256});
    CHECK(role_service("code", "7b", catalog(), p2(), {}).workload == Workload{768, 64});
    CHECK(other.workload == Workload{512, 256});
}

TEST_CASE("service specs from --service: settings override the deployment, mistakes are named") {
    const ServiceRequest r = spec_service("big=qwen2.5-14b-instruct,ctx=8192,parallel=2,priority=5",
                                          catalog(), p2(), std::nullopt, 8101);
    CHECK(r.name == "big");
    CHECK(r.settings.n_ctx == 8192);
    CHECK(r.settings.n_parallel == 2);
    CHECK(r.settings.n_batch == 128);
    CHECK(r.priority == 5);
    CHECK(r.port == 8101);
    CHECK(error_of([] {
              spec_service("nomodel", catalog(), p2(), {}, 1);
          }).find("expected NAME=MODEL") != std::string::npos);
    CHECK(error_of([] {
              spec_service("a=qwen2.5-3b-instruct,ctx=-1", catalog(), p2(), {}, 1);
          }).find("--service a: ctx: expected a whole number from 0 to 16777216, found '-1'") !=
          std::string::npos);
    // The same ranges as a plan file: a port past 65535 or zero slots are refused, not wrapped.
    CHECK(error_of([] {
              spec_service("a=qwen2.5-3b-instruct,port=70000", catalog(), p2(), {}, 1);
          }).find("from 1 to 65535") != std::string::npos);
    CHECK(error_of([] {
              spec_service("a=qwen2.5-3b-instruct,parallel=0", catalog(), p2(), {}, 1);
          }).find("from 1 to 4096") != std::string::npos);
    CHECK(error_of([] {
              spec_service("a=qwen2.5-3b-instruct,ctx", catalog(), p2(), {}, 1);
          }).find("ctx: expected a whole number") != std::string::npos);
    CHECK(spec_service("a=qwen2.5-3b-instruct,prompt-tokens=100,generated-tokens=7", catalog(),
                       p2(), {}, 1)
              .workload == Workload{100, 7});
    CHECK(error_of([] {
              spec_service("a=qwen2.5-3b-instruct,generated-tokens=0", catalog(), p2(), {}, 1);
          }).find("from 1 to 16777216") != std::string::npos);
    CHECK(error_of([] {
              spec_service("a=qwen2.5-3b-instruct,colour=red", catalog(), p2(), {}, 1);
          }).find("unknown setting 'colour'") != std::string::npos);
}

TEST_CASE("plan files: services with roles, names and settings; errors carry line and column") {
    const PlanFile p = parse_plan_file("gpu: rtx4050\nheadroom: 10%\nreserve_mib: 300\n"
                                       "services:\n"
                                       "  - {role: chat, model: 3b}\n"
                                       "  - {name: embed, model: qwen2.5-0.5b-instruct, ctx: 2048,"
                                       " port: 8010, priority: 3}\n",
                                       "plan.yaml", catalog(), load_p2, std::nullopt);
    CHECK(p.gpu == "rtx4050");
    CHECK(p.headroom == "10%");
    CHECK(p.reserve_mib == 300.0);
    REQUIRE(p.services.size() == 2);
    CHECK(p.services[0].name == "inference-chat");
    CHECK(p.services[0].port == 8001);
    CHECK(p.services[1].name == "embed");
    CHECK(p.services[1].settings.n_ctx == 2048);
    CHECK(p.services[1].port == 8010);
    CHECK(p.services[1].priority == 3);

    const auto parse = [](const char* text) {
        return error_of([text] { parse_plan_file(text, "plan.yaml", catalog(), load_p2, {}); });
    };
    CHECK(parse("services:\n  - {role: chat, model: 3b, ctx: lots}\n").find("plan.yaml:2:") == 0);
    CHECK(parse("services: []\n").find("non-empty list") != std::string::npos);
    CHECK(parse("headroom: 150%\nservices:\n  - {role: chat, model: 3b}\n")
              .find("plan.yaml:1:11: headroom: 150% leaves nothing") == 0);
    CHECK(parse("services:\n  - {model: 3b}\n").find("needs a name or a role") !=
          std::string::npos);
    CHECK(parse("gpu: x\nservice: []\n").find("service") != std::string::npos);
    CHECK(parse("services: [\n").find("plan.yaml") == 0);
}

TEST_CASE("scenario files: fixed layer counts, 'all', and solver rows") {
    const auto s = parse_scenarios("scenarios:\n"
                                   "  - name: fixed\n"
                                   "    services:\n"
                                   "      - {role: chat, model: 3b, ngl: all}\n"
                                   "      - {role: code, model: 7b, ngl: 20}\n"
                                   "  - name: solved\n"
                                   "    solve: true\n"
                                   "    services:\n"
                                   "      - {role: chat, model: 3b}\n",
                                   "s.yaml", catalog(), p2());
    REQUIRE(s.size() == 2);
    CHECK_FALSE(s[0].solve);
    CHECK(s[0].n_gpu_layers == std::vector<int>{ServerSettings::k_layers_all, 20});
    CHECK(s[0].services[1].name == "inference-code");
    CHECK(s[1].solve);
    CHECK(error_of([] {
              parse_scenarios("scenarios:\n  - name: x\n    services:\n"
                              "      - {role: chat, model: 3b, ngl: most}\n",
                              "s.yaml", catalog(), p2());
          }).find("s.yaml:4:") == 0);
    // Found by fuzz_plan_yaml: 'services' as a map (a stray ':' line) threw YAML::InvalidNode.
    CHECK(error_of([] {
              parse_scenarios("scenarios:\n  - name: x\n    services:\n     :\n"
                              "      - {role: chat, model: 3b}\n",
                              "s.yaml", catalog(), p2());
          }).find("must be a non-empty list") != std::string::npos);
}

TEST_CASE("headroom: MiB, percentages, and the default that grows with the services") {
    static constexpr std::uint64_t gpu = 6141ULL << 20;
    CHECK(headroom_bytes("512", gpu, 2) == 512ULL << 20);
    CHECK(headroom_bytes("512MiB", gpu, 2) == 512ULL << 20);
    CHECK(headroom_bytes("10%", gpu, 2) == gpu / 10);
    CHECK(headroom_bytes("", gpu, 2) == 512ULL << 20);                     // 256 MiB per service
    CHECK(headroom_bytes("", 24564ULL << 20, 2) == (24564ULL << 20) / 20); // at least 5%
    CHECK(error_of([] { headroom_bytes("100%", gpu, 1); }).find("from 0 to 99.999") !=
          std::string::npos);
    for (const char* bad : {"-1", "inf", "nan", "1e30", "-5%", "inf%", "1e400"}) {
        INFO(bad);
        CHECK(error_of([&] { headroom_bytes(bad, gpu, 1); }) != "no error");
    }
    CHECK(error_of([] { headroom_bytes("lots", gpu, 1); }).find("'lots'") != std::string::npos);
}

TEST_CASE("service names are held to Compose's rule on every route") {
    for (const char* bad :
         {"x;touch${IFS}pwned;#", "evil:\n    privileged: true", "-a", ".a", "a b", "ä", "a/b"}) {
        INFO(bad);
        CHECK(error_of([&] {
                  spec_service(std::string(bad) + "=qwen2.5-3b-instruct", catalog(), p2(), {}, 1);
              }).find("service name") != std::string::npos);
    }
    const std::string plan = "services:\n  - name: \"evil:\\n    privileged: true\"\n"
                             "    model: qwen2.5-3b-instruct\n";
    CHECK(error_of([&] {
              parse_plan_file(plan, "plan.yaml", catalog(), load_p2, std::nullopt);
          }).find("plan.yaml:2:") == 0);
    const std::string role = "services:\n  - name: a\n    role: \"x;y\"\n    model: 3b\n";
    CHECK(error_of([&] {
              parse_plan_file(role, "plan.yaml", catalog(), load_p2, std::nullopt);
          }).find("is not a service name") != std::string::npos);
    CHECK(spec_service("9b.x_y-1=qwen2.5-3b-instruct", catalog(), p2(), {}, 1).name == "9b.x_y-1");
    CHECK(env_prefix_of("9b.x_y-1") == "_9B_X_Y_1");
    CHECK(env_prefix_of("inference-chat") == "INFERENCE_CHAT");
}

TEST_CASE("plan files: a key given twice is an error, not the first one silently") {
    const std::string plan = "gpu: rtx4050\ngpu: rtx4090\nservices:\n  - name: a\n    model: 3b\n";
    CHECK(error_of([&] { parse_plan_file(plan, "plan.yaml", catalog(), load_p2, std::nullopt); }) ==
          "plan.yaml:2:1: duplicate key 'gpu'");
}
