// What `solve --out-dir` writes is read back the way Compose and `vramplan check` read it: the
// values arrive unchanged, hostile ones are refused rather than written, and the pair passes
// the check (issue: "the files solve --out-dir writes always pass vramplan check").

#include "support/shipped_data.hpp"

#include <vramplan/base/atomic_file.hpp>
#include <vramplan/base/error.hpp>
#include <vramplan/compose/compose.hpp>
#include <vramplan/compose/compose_check.hpp>
#include <vramplan/plan/services.hpp>
#include <vramplan/plan/solver.hpp>
#include <vramplan/report/plan_report.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

using namespace vramplan;
namespace fs = std::filesystem;

namespace {

std::optional<std::string> no_vars(std::string_view) {
    return std::nullopt;
}

SolveOptions on(const char* gpu) {
    SolveOptions o;
    o.gpu = test::shipped_gpu(gpu);
    o.host = test::shipped_host();
    return o;
}

struct Written {
    fs::path dir;
    LoadedCompose compose;
};

// Solves, writes the pair as --out-dir does, and loads it back as `check` does.
Written write_and_load(std::vector<ServiceRequest> services, const char* gpu,
                       const std::string& name, bool fresh = true) {
    assign_ports_and_check(services, 8101);
    SolveOptions o = on(gpu);
    o.headroom_bytes = headroom_bytes("", o.gpu.total_bytes(), services.size());
    const Plan plan = solve(services, o);
    REQUIRE(plan.fits);
    const Deployment& d = test::p2_deployment();
    const PlanContext c = plan_context(o, &d, "vramplan solve --out-dir 'a dir'\nrm -rf /");
    const fs::path dir = fs::temp_directory_path() / ("vramplan-written-" + name);
    if (fresh) {
        fs::remove_all(dir);
    }
    write_marked_files(dir,
                       {{".env", render_plan_env(plan, c), true},
                        {d.compose_file, render_plan_compose(plan, c), false}},
                       k_written_by, false);
    return {dir, load_compose(dir / d.compose_file, std::nullopt, no_vars)};
}

} // namespace

TEST_CASE("the files solve writes pass check, for names of every allowed shape") {
    const Catalog& cat = test::shipped_catalog();
    const Deployment& d = test::p2_deployment();
    std::vector<ServiceRequest> s;
    s.push_back(role_service("chat", "3b", cat, d, std::nullopt));
    // A plan file's services have no port; names may start with a digit and hold . _ -
    s.push_back(spec_service("9b.code_x-1=qwen2.5-0.5b-instruct", cat, d, std::nullopt, 0));
    s.push_back(spec_service("emb=qwen2.5-0.5b-instruct,ctx=512", cat, d, std::nullopt, 0));
    const Written w = write_and_load(s, "rtx4090", "pass");
    CheckOptions co;
    co.gpu = test::shipped_gpu("rtx4090");
    co.host = test::shipped_host();
    const CheckResult r = check_compose(w.compose.project, cat, co);
    for (const auto& f : r.findings) {
        INFO(f.rule << ": " << f.message);
        CHECK(f.severity != Severity::error);
    }
    REQUIRE(r.services.size() == 3);
    for (const auto& cs : r.services) {
        INFO(cs.name);
        CHECK(cs.estimate.has_value()); // every service costed, none skipped
    }
    // Ports: the role's own, then the first free ones.
    std::vector<std::string> ports;
    for (const auto& svc : w.compose.project.services) {
        const auto args = llama_server_arguments(svc);
        REQUIRE(args);
        const auto it = std::find(args->begin(), args->end(), "--port");
        REQUIRE(it != args->end());
        ports.push_back(*(it + 1));
    }
    CHECK(ports == std::vector<std::string>{"8001", "8101", "8102"});
    fs::remove_all(w.dir);
}

TEST_CASE("a rewrite keeps the lines a user added to .env, and the files' permissions") {
    const Catalog& cat = test::shipped_catalog();
    const Deployment& d = test::p2_deployment();
    const std::vector<ServiceRequest> s{role_service("chat", "3b", cat, d, std::nullopt)};
    Written w = write_and_load(s, "rtx4090", "rewrite");
    { std::ofstream(w.dir / ".env", std::ios::app) << "HF_TOKEN=secret\nCHAT_CTX_SIZE=2048\n"; }
    fs::permissions(w.dir / ".env", fs::perms::owner_read | fs::perms::owner_write);
    w = write_and_load(s, "rtx4090", "rewrite", false);
    CHECK(fs::status(w.dir / ".env").permissions() ==
          (fs::perms::owner_read | fs::perms::owner_write));
    std::ifstream in(w.dir / ".env");
    const std::string text(std::istreambuf_iterator<char>(in), {});
    const std::string tail = "\nHF_TOKEN=secret\nCHAT_CTX_SIZE=2048\n";
    CHECK(text.ends_with(tail));
    CHECK(text.substr(0, text.size() - tail.size()).ends_with(k_user_lines_marker));
    fs::remove_all(w.dir);
}

TEST_CASE("values that would change the files' structure are quoted or refused") {
    const Catalog& cat = test::shipped_catalog();
    const Deployment& d = test::p2_deployment();
    ServiceRequest r = role_service("chat", "3b", cat, d, std::nullopt);
    // A file name with blanks, $ and # round-trips: single quotes in .env, $$ in compose.
    r.model.file = "my $HOME model #1.gguf";
    Written w = write_and_load({r}, "rtx4090", "quoted");
    const auto args = llama_server_arguments(w.compose.project.services.at(0));
    REQUIRE(args);
    const auto it = std::find(args->begin(), args->end(), "--model");
    REQUIRE(it != args->end());
    CHECK(*(it + 1) == "/models/my $HOME model #1.gguf");
    fs::remove_all(w.dir);
    // What neither .env reader can hold literally is refused, with nothing written.
    for (const std::string& bad :
         {std::string("a\nCHAT_N_GPU_LAYERS=0.gguf"), std::string("it's.gguf"),
          std::string("back\\slash.gguf"), std::string("nul\0.gguf", 9)}) {
        INFO(bad);
        r.model.file = bad;
        CHECK_THROWS_AS(write_and_load({r}, "rtx4090", "refused"), Error);
        CHECK_FALSE(fs::exists(fs::temp_directory_path() / "vramplan-written-refused" / ".env"));
    }
}

TEST_CASE("two services that would share a name, a .env prefix or a port are refused") {
    const Catalog& cat = test::shipped_catalog();
    const Deployment& d = test::p2_deployment();
    const auto spec = [&](const char* s) { return spec_service(s, cat, d, std::nullopt, 0); };
    std::vector<ServiceRequest> same_name{spec("a=qwen2.5-0.5b-instruct"),
                                          spec("a=qwen2.5-0.5b-instruct")};
    CHECK_THROWS_WITH(assign_ports_and_check(same_name, 8101), Catch::Contains("the same name"));
    std::vector<ServiceRequest> same_prefix{spec("a-b=qwen2.5-0.5b-instruct"),
                                            spec("a.b=qwen2.5-0.5b-instruct")};
    CHECK_THROWS_WITH(assign_ports_and_check(same_prefix, 8101),
                      Catch::Contains("the same .env prefix A_B_"));
    std::vector<ServiceRequest> same_port{spec("a=qwen2.5-0.5b-instruct,port=9000"),
                                          spec("b=qwen2.5-0.5b-instruct,port=9000")};
    CHECK_THROWS_WITH(assign_ports_and_check(same_port, 8101),
                      Catch::Contains("the same port 9000"));
    std::vector<ServiceRequest> taken{spec("a=qwen2.5-0.5b-instruct"),
                                      spec("b=qwen2.5-0.5b-instruct,port=8101")};
    assign_ports_and_check(taken, 8101);
    CHECK(taken[0].port == 8102); // 8101 was taken by b
}
