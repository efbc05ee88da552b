#include <vramplan/atomic_file.hpp>
#include <vramplan/error.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <filesystem>

using namespace vramplan;
namespace fs = std::filesystem;

TEST_CASE("atomic writes: content, sparse extension, no overwrite, nothing left on failure") {
    const fs::path dir = fs::temp_directory_path() / "vramplan-atomic-test";
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path target = dir / "out.bin";
    const std::array<std::byte, 3> data{std::byte{1}, std::byte{2}, std::byte{3}};

    write_file_atomically(target, data, 1 << 20, false);
    CHECK(fs::file_size(target) == 1 << 20);

    try {
        write_file_atomically(target, data, 0, false);
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::usage);
        CHECK(e.hint().find("--force") != std::string::npos);
    }
    write_file_atomically(target, data, 0, true);
    CHECK(fs::file_size(target) == 3);

    CHECK_THROWS_AS(write_file_atomically(dir / "missing" / "x.bin", data, 0, false), Error);
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) {
        ++entries;
    }
    CHECK(entries == 1); // no temporary file left behind
    fs::remove_all(dir);
}
