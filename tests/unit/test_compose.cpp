// Services as Docker Compose reads them.

#include <vramplan/base/error.hpp>
#include <vramplan/compose/compose.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace vramplan;

namespace {

std::optional<std::string> vars(std::string_view n) {
    if (n == "FROM_SHELL") {
        return "shell";
    }
    return std::nullopt;
}

ComposeProject read(std::string_view text, const std::filesystem::path& base = ".") {
    return read_compose(parse_compose_yaml(text, "c.yml", vars), base, vars);
}

const ComposeService& only(const ComposeProject& p) {
    REQUIRE(p.services.size() == 1);
    return p.services[0];
}

std::string error_of(std::string_view text) {
    try {
        read(text);
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

} // namespace

TEST_CASE("command and entrypoint as strings or lists", "[compose]") {
    const auto p = read("services:\n  a:\n    command: -m '/models/x y.gguf' -c 1024\n"
                        "  b:\n    entrypoint: [/app/llama-server]\n    command: [-c, '512']\n");
    CHECK(p.services[0].command ==
          std::vector<std::string>{"-m", "/models/x y.gguf", "-c", "1024"});
    CHECK(p.services[0].command_pos.line == 3);
    CHECK(p.services[1].entrypoint == std::vector<std::string>{"/app/llama-server"});
    CHECK(p.services[1].command == std::vector<std::string>{"-c", "512"});
    CHECK(error_of("services:\n  a:\n    command: -m 'x\n").find("never closed") !=
          std::string::npos);
}

TEST_CASE("environment as a map or a list, passing shell variables through", "[compose]") {
    const auto a = only(read("services:\n  a:\n    environment:\n      X: 1\n      FROM_SHELL:\n"
                             "      NOT_SET:\n"));
    CHECK(a.environment.at("X") == "1");
    CHECK(a.environment.at("FROM_SHELL") == "shell");
    CHECK_FALSE(a.environment.contains("NOT_SET"));
    const auto b = only(read("services:\n  a:\n    environment: [X=1=2, FROM_SHELL, Y=]\n"));
    CHECK(b.environment.at("X") == "1=2");
    CHECK(b.environment.at("FROM_SHELL") == "shell");
    CHECK(b.environment.at("Y") == "");
}

TEST_CASE("env_file is read relative to the compose file and environment wins", "[compose]") {
    const auto dir = std::filesystem::temp_directory_path() / "vramplan-test-compose-envfile";
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "llama.env") << "LLAMA_ARG_CTX_SIZE=4096\nLLAMA_ARG_N_PARALLEL=2\n";
    const auto a = only(read("services:\n  a:\n    env_file: llama.env\n    environment:\n"
                             "      LLAMA_ARG_N_PARALLEL: 1\n",
                             dir));
    CHECK(a.environment.at("LLAMA_ARG_CTX_SIZE") == "4096");
    CHECK(a.environment.at("LLAMA_ARG_N_PARALLEL") == "1");
    const auto b = only(read("services:\n  a:\n    env_file:\n      - path: missing.env\n"
                             "        required: false\n",
                             dir));
    CHECK(b.environment.empty());
    CHECK_THROWS_AS(read("services:\n  a:\n    env_file: missing.env\n", dir), Error);
    std::filesystem::remove_all(dir);
}

TEST_CASE("published ports in the short and long syntax", "[compose]") {
    const auto a = only(read("services:\n  a:\n    ports:\n      - 8001:8001\n"
                             "      - 127.0.0.1:9000-9001:9000-9001/udp\n      - '[::1]:7000:70'\n"
                             "      - 5000\n      - target: 80\n        published: '8080'\n"
                             "        host_ip: 10.0.0.1\n"));
    REQUIRE(a.ports.size() == 5);
    CHECK(a.ports[0].host_port == 8001);
    CHECK(a.ports[0].host_ip.empty());
    CHECK(a.ports[1].host_ip == "127.0.0.1");
    CHECK(a.ports[2].host_port == 9001);
    CHECK(a.ports[2].protocol == "udp");
    CHECK(a.ports[3].host_ip == "::1");
    CHECK(a.ports[4].host_port == 8080);
    CHECK(error_of("services:\n  a:\n    ports: ['x:1']\n") ==
          "c.yml:3:13: 'x' is not a port or a port range");
}

TEST_CASE("volumes in the short and long syntax", "[compose]") {
    const auto a = only(read("services:\n  a:\n    volumes:\n      - ./models:/models:ro\n"
                             "      - type: bind\n        source: /srv/m\n        target: /m\n"
                             "      - /anonymous\n"));
    REQUIRE(a.volumes.size() == 3);
    CHECK(a.volumes[0].source == "./models");
    CHECK(a.volumes[0].target == "/models");
    CHECK(a.volumes[1].target == "/m");
    CHECK(a.volumes[2].target == "/anonymous");
}

TEST_CASE("GPU access by reservation, gpus, runtime and the toolkit variables", "[compose]") {
    const auto reserved =
        only(read("services:\n  a:\n    deploy:\n      resources:\n        reservations:\n         "
                  " devices:\n"
                  "            - driver: nvidia\n              device_ids: ['1']\n              "
                  "capabilities: [gpu]\n"));
    CHECK(reserved.gpu.granted);
    CHECK(reserved.gpu.devices == std::vector<std::string>{"1"});
    CHECK(only(read("services:\n  a:\n    gpus: all\n")).gpu.count == -1);
    CHECK(only(read("services:\n  a:\n    runtime: nvidia\n")).gpu.granted);
    CHECK_FALSE(only(read("services:\n  a:\n    runtime: nvidia\n    environment:\n"
                          "      NVIDIA_VISIBLE_DEVICES: none\n"))
                    .gpu.granted);
    CHECK_FALSE(only(read("services:\n  a:\n    gpus: all\n    environment:\n"
                          "      CUDA_VISIBLE_DEVICES: '-1'\n"))
                    .gpu.granted);
    CHECK_FALSE(only(read("services:\n  a:\n    image: x\n")).gpu.granted);
    const auto other = only(read("services:\n  a:\n    deploy:\n      resources:\n"
                                 "        reservations:\n          devices:\n"
                                 "            - capabilities: [tpu]\n"));
    CHECK_FALSE(other.gpu.granted);
}

TEST_CASE("memory limits, order, profiles and replicas", "[compose]") {
    const auto a = only(read("services:\n  a:\n    mem_limit: 1.5g\n    depends_on: [b, c]\n"
                             "    profiles: [gpu]\n    deploy:\n      replicas: 2\n"));
    CHECK(a.memory_limit == 1610612736);
    CHECK(a.depends_on == std::vector<std::string>{"b", "c"});
    CHECK(a.profiles == std::vector<std::string>{"gpu"});
    CHECK(a.replicas == 2);
    const auto b = only(read("services:\n  a:\n    deploy:\n      resources:\n        limits:\n"
                             "          memory: 6144M\n    depends_on:\n      x:\n"
                             "        condition: service_healthy\n"));
    CHECK(b.memory_limit == 6144ULL << 20);
    CHECK(b.depends_on == std::vector<std::string>{"x"});
}

TEST_CASE("byte sizes as Docker writes them", "[compose]") {
    CHECK(parse_byte_size("6144M") == 6144ULL << 20);
    CHECK(parse_byte_size("6g") == 6ULL << 30);
    CHECK(parse_byte_size("6GB") == 6ULL << 30);
    CHECK(parse_byte_size("512mb") == 512ULL << 20);
    CHECK(parse_byte_size("1024k") == 1ULL << 20);
    CHECK(parse_byte_size("100") == 100);
    CHECK(parse_byte_size("100b") == 100);
    CHECK_FALSE(parse_byte_size("lots"));
    CHECK_FALSE(parse_byte_size(""));
    CHECK_FALSE(parse_byte_size("-1g"));
    CHECK_FALSE(parse_byte_size("1e30g"));
}

TEST_CASE("a file without services is an error", "[compose]") {
    CHECK(error_of("version: '3'\n") == "c.yml:1:1: no 'services' mapping at the top of the "
                                        "compose file");
    CHECK(error_of("services:\n  a: 3\n") == "c.yml:2:6: service 'a' must be a mapping");
}

TEST_CASE("a service name Compose would refuse is an error at its line", "[compose]") {
    for (const char* bad : {"\"x;touch pwned\"", "\"-x\"", "\"a b\""}) {
        INFO(bad);
        const std::string yaml =
            std::string("services:\n  ok:\n    image: a\n  ") + bad + ":\n    image: b\n";
        const std::string e = error_of(yaml);
        CHECK(e.find("c.yml:4:3: ") == 0);
        CHECK(e.find("is not a service name") != std::string::npos);
    }
}
