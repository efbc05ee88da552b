#include "support/shipped_data.hpp"

#include <vramplan/base/error.hpp>
#include <vramplan/model/catalog.hpp>
#include <vramplan/plan/deployment.hpp>
#include <vramplan/plan/solver.hpp>
#include <vramplan/report/plan_report.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace vramplan;

namespace {

using test::k_root;
const Catalog& catalog() {
    return test::shipped_catalog();
}

ServiceRequest service(const char* name, const char* role, const char* model, int priority) {
    ServiceRequest r;
    r.name = name;
    r.role = role;
    r.model = resolve_model(catalog(), model, role);
    r.settings.n_ctx = 1024;
    r.settings.n_batch = 128;
    r.settings.n_parallel = 1;
    r.priority = priority;
    r.port = 8001;
    return r;
}

SolveOptions on(const char* gpu, std::uint64_t headroom_mib) {
    SolveOptions o;
    o.gpu = test::shipped_gpu(gpu);
    o.headroom_bytes = headroom_mib << 20;
    o.host = test::shipped_host();
    return o;
}

} // namespace

TEST_CASE("the deployment's pair on an RTX 4050: chat on the GPU, code partly offloaded") {
    const std::vector<ServiceRequest> s{service("inference-chat", "chat", "3b", 2),
                                        service("inference-code", "code", "7b", 1)};
    const Plan p = solve(s, on("rtx4050", 512));
    REQUIRE(p.fits);
    CHECK(p.services[0].n_gpu_layers == 37); // all of the 3B, output layer included
    CHECK(p.services[1].n_gpu_layers < 29);  // the 7B does not fit whole beside it
    CHECK(p.vram_bytes <= p.budget_bytes);
    // One more code layer would not fit: the plan is at the budget's edge.
    const Plan more =
        evaluate(s, {37, static_cast<int>(p.services[1].n_gpu_layers) + 1}, on("rtx4050", 512));
    CHECK_FALSE(more.fits);
    // Each process pays its own CUDA context.
    for (const auto& sp : p.services) {
        CHECK(sp.vram_bytes > sp.estimate.context.n_ctx); // sanity
        bool has_runtime = false;
        for (const auto& b : sp.estimate.buffers) {
            has_runtime = has_runtime || b.kind == BufferKind::runtime;
        }
        CHECK(has_runtime);
    }
}

TEST_CASE("priorities decide who gets the GPU") {
    std::vector<ServiceRequest> s{service("a", "chat", "7b", 1), service("b", "code", "7b", 5)};
    const Plan p = solve(s, on("rtx4050", 512));
    REQUIRE(p.fits);
    CHECK(p.services[1].n_gpu_layers >= p.services[0].n_gpu_layers);
}

TEST_CASE("when nothing fits: the minimum, the budget, and fixes that free memory") {
    ServiceRequest big = service("big", "", "qwen2.5-14b-instruct", 1);
    big.min_gpu_layers = 49;
    big.settings.n_ctx = 8192;
    const Plan p = solve({big}, on("rtx4050", 307));
    CHECK_FALSE(p.fits);
    REQUIRE(p.services.size() == 1);
    CHECK(p.services[0].n_gpu_layers == 49);
    CHECK(p.vram_bytes > p.budget_bytes);
    REQUIRE_FALSE(p.fixes.empty());
    CHECK(p.fixes.front().change == "big: -c 4096");
    for (std::size_t i = 1; i < p.fixes.size(); ++i) {
        CHECK(p.fixes[i - 1].frees_bytes >= p.fixes[i].frees_bytes);
    }
}

TEST_CASE("identical services share one cost table and keep their own names and priorities") {
    std::vector<ServiceRequest> s{service("w1", "", "qwen2.5-1.5b-instruct", 1),
                                  service("w2", "", "qwen2.5-1.5b-instruct", 3),
                                  service("w3", "", "qwen2.5-1.5b-instruct", 1),
                                  service("big", "", "qwen2.5-7b-instruct", 1)};
    s[2].port = 8003;
    const Plan p = solve(s, on("rtx4050", 512));
    REQUIRE(p.fits);
    std::vector<int> layers;
    for (const auto& sp : p.services) {
        layers.push_back(static_cast<int>(sp.n_gpu_layers));
    }
    // The shared table gives exactly what costing each service afresh gives.
    const Plan fresh = evaluate(s, layers, on("rtx4050", 512));
    CHECK(fresh.vram_bytes == p.vram_bytes);
    for (std::size_t i = 0; i < s.size(); ++i) {
        CHECK(p.services[i].request.name == s[i].name);
        CHECK(p.services[i].request.priority == s[i].priority);
        CHECK(p.services[i].request.port == s[i].port);
        CHECK(p.services[i].vram_bytes == fresh.services[i].vram_bytes);
        CHECK(p.services[i].request.settings.n_gpu_layers == layers[i]);
    }
    // The priority-3 worker is never worse off than its twins.
    CHECK(p.services[1].n_gpu_layers >= p.services[0].n_gpu_layers);
}

namespace {

double weighted_speed(const Plan& p) {
    double v = 0;
    for (const auto& s : p.services) {
        v += s.request.priority * s.speed.fraction_of_full();
    }
    return v;
}

} // namespace

TEST_CASE("allowed knobs (--allow): settings change only when that buys layers, and every change "
          "is listed") {
    const std::vector<ServiceRequest> s{service("inference-chat", "chat", "7b", 2),
                                        service("inference-code", "code", "7b", 1)};
    SolveOptions strict = on("rtx4050", 512);
    SolveOptions loose = strict;
    loose.allow_ctx = loose.allow_kv_type = loose.allow_parallel = true;
    const Plan a = solve(s, strict);
    const Plan b = solve(s, loose);
    REQUIRE(a.fits);
    REQUIRE(b.fits);
    CHECK(b.vram_bytes <= b.budget_bytes);
    for (const auto& sp : a.services) {
        CHECK(sp.changes.empty()); // nothing changes unless allowed
    }
    std::size_t changes = 0;
    for (const auto& sp : b.services) {
        changes += sp.changes.size();
        // The estimate behind the plan is that of the changed settings.
        if (!sp.changes.empty()) {
            CHECK(
                (sp.estimate.context.n_ctx < 1024 || sp.request.settings.type_k == GgmlType::q8_0));
        }
    }
    CHECK(changes > 0);                           // two 7B models: the knobs buy layers here
    CHECK(weighted_speed(b) > weighted_speed(a)); // ... and speed
    // On a roomy GPU nothing needs changing, so nothing changes.
    SolveOptions roomy = on("rtx4090", 512);
    roomy.allow_ctx = roomy.allow_kv_type = roomy.allow_parallel = true;
    for (const auto& sp : solve(s, roomy).services) {
        CHECK(sp.changes.empty());
        CHECK(sp.n_gpu_layers == 29);
    }
}

TEST_CASE("a headroom larger than the GPU is refused") {
    CHECK_THROWS_AS(solve({service("a", "chat", "3b", 1)}, on("rtx4050", 7000)), Error);
}

TEST_CASE("emitters: env and compose reference the same variables; JSON has the contract") {
    const std::vector<ServiceRequest> s{service("inference-chat", "chat", "3b", 2)};
    const Plan p = solve(s, on("rtx4050", 512));
    const Deployment d = load_deployment(k_root, "p2");
    PlanContext c;
    c.deployment = &d;
    c.command = "vramplan solve --gpu rtx4050 --chat 3b";
    const std::string env = render_plan_env(p, c);
    CHECK(env.rfind(k_written_by, 0) == 0);
    CHECK(env.find("CHAT_MODEL=Qwen2.5-3B-Instruct-Q4_K_M.gguf\n") != std::string::npos);
    CHECK(env.find("CHAT_N_GPU_LAYERS=37\n") != std::string::npos);
    const std::string compose = render_plan_compose(p, c);
    CHECK(compose.find("\"/models/${CHAT_MODEL}\"") != std::string::npos);
    CHECK(compose.find("\"${CHAT_N_GPU_LAYERS}\"") != std::string::npos);
    CHECK(compose.find("\"--fit\"\n      - \"off\"") != std::string::npos);
    const auto j = nlohmann::json::parse(render_plan_json(p, c));
    CHECK(j["fits"] == true);
    CHECK(j["services"][0]["layers_total"] == 37);
    CHECK(j["services"][0]["vram_bytes"] == p.services[0].vram_bytes);
    CHECK(j["gpu"]["total_bytes"] == 6141ULL << 20);
}

TEST_CASE("the p2 deployment profile loads") {
    const Deployment d = load_deployment(k_root, "p2");
    CHECK(d.ctx == 1024);
    CHECK(d.batch == 128);
    CHECK(d.roles.at("chat").service == "inference-chat");
    CHECK(d.roles.at("code").port == 8004);
    CHECK(load_host_profile(k_root, "default").bandwidth_gb_s == Approx(76.8));
    CHECK_THROWS_AS(load_deployment(k_root, "nope"), Error);
}

TEST_CASE("a deployment profile's names are held to the rules of the files they become") {
    const auto parse = [](const std::string& extra_compose, const std::string& role) {
        return parse_deployment("name: t\nimage: i\n" + extra_compose +
                                    "settings: {ctx: 1024}\nservices:\n  " + role +
                                    ":\n    name: svc\n    port: 8001\n",
                                "t.yaml");
    };
    CHECK(parse("", "chat").compose_file == "compose.yml");
    CHECK_THROWS_WITH(parse("compose_file: ../../etc/cron.d/x\n", "chat"),
                      Catch::Contains("must be a file name"));
    CHECK_THROWS_WITH(parse("compose_file: ..\n", "chat"), Catch::Contains("must be a file name"));
    CHECK_THROWS_WITH(parse("", "\"a;b\""), Catch::Contains("is not a service name"));
}
