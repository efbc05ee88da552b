#include <vramplan/base/error.hpp>
#include <vramplan/runtime/endpoint.hpp>

#include <catch2/catch.hpp>

using namespace vramplan;

TEST_CASE("endpoints: scheme, host, port and base path") {
    const Endpoint a = parse_endpoint("http://127.0.0.1:8001");
    CHECK(a.scheme == "http");
    CHECK(a.host == "127.0.0.1");
    CHECK(a.port == 8001);
    CHECK(a.base_path.empty());
    CHECK(a.origin() == "http://127.0.0.1:8001");

    const Endpoint b = parse_endpoint("localhost:8004");
    CHECK(b.scheme == "http");
    CHECK(b.host == "localhost");
    CHECK(b.port == 8004);

    const Endpoint c = parse_endpoint("HTTPS://[::1]/llm/chat/");
    CHECK(c.scheme == "https");
    CHECK(c.host == "::1");
    CHECK(c.port == 443);
    CHECK(c.base_path == "/llm/chat");
    CHECK(c.origin() == "https://[::1]:443");
    CHECK(c.text == "HTTPS://[::1]/llm/chat/");

    CHECK(parse_endpoint("http://example.org").port == 80);
}

TEST_CASE("endpoints: what is not one is a usage error saying why") {
    const auto why = [](const char* url) {
        try {
            (void)parse_endpoint(url);
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::usage);
            return std::string(e.what());
        }
        FAIL("no error for " << url);
        return std::string();
    };
    CHECK_THAT(why("ftp://host:21"), Catch::Contains("scheme 'ftp'"));
    CHECK_THAT(why("http://:8001"), Catch::Contains("no host"));
    CHECK_THAT(why("http://host:0"), Catch::Contains("1 to 65535"));
    CHECK_THAT(why("http://host:65536"), Catch::Contains("1 to 65535"));
    CHECK_THAT(why("http://host:"), Catch::Contains("1 to 65535"));
    CHECK_THAT(why("http://host:80x"), Catch::Contains("'80x'"));
    CHECK_THAT(why("http://[::1:8001"), Catch::Contains("closing ']'"));
    CHECK_THAT(why("http://::1:8001"), Catch::Contains("in brackets"));
    CHECK_THAT(why("http://user:pw@host:1"), Catch::Contains("user names"));
}

TEST_CASE("endpoints: loopback by name and address, others not") {
    for (const char* url : {"http://localhost:1", "http://127.0.0.1:1", "http://127.8.9.10:1",
                            "http://[::1]:1", "http://app.localhost:1", "http://LOCALHOST:1"}) {
        INFO(url);
        CHECK(is_loopback(parse_endpoint(url)));
    }
    for (const char* url : {"http://10.0.0.1:1", "http://192.168.1.20:1", "http://[2001:db8::1]:1",
                            "http://0.0.0.0:1"}) {
        INFO(url);
        CHECK_FALSE(is_loopback(parse_endpoint(url)));
    }
}

TEST_CASE("endpoints: load goes to loopback unless remote is allowed") {
    CHECK_NOTHROW(require_loopback(parse_endpoint("http://127.0.0.1:1"), false, "--url"));
    CHECK_NOTHROW(require_loopback(parse_endpoint("http://10.0.0.1:1"), true, "--url"));
    try {
        require_loopback(parse_endpoint("http://10.0.0.1:1"), false, "--server-host");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::usage);
        CHECK(e.where() == "--server-host");
        CHECK_THAT(e.hint(), Catch::Contains("--allow-remote"));
    }
}
