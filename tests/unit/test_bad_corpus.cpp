// Replays tests/data/gguf/bad/: one file per malformed-input bug or hazard. Each must give a
// format error, never a crash (the suite also runs under ASan and UBSan).

#include <vramplan/base/error.hpp>
#include <vramplan/model/gguf.hpp>
#include <vramplan/model/model.hpp>

#include <catch2/catch.hpp>

#include <filesystem>

using namespace vramplan;

TEST_CASE("every file of the bad-GGUF corpus is rejected with a format error") {
    const std::filesystem::path dir = std::string(VRAMPLAN_TEST_DATA_DIR) + "/gguf/bad";
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        if (e.path().extension() != ".gguf") {
            continue;
        }
        INFO(e.path().filename().string());
        try {
            (void)read_model(e.path());
            FAIL("parsed without error");
        } catch (const Error& err) {
            CHECK(err.kind() == ErrorKind::format);
            CHECK(std::string(err.what()).find(e.path().string()) == 0);
        }
        ++n;
    }
    CHECK(n >= 10);
}
