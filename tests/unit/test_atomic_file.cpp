#include <vramplan/atomic_file.hpp>
#include <vramplan/error.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <filesystem>
#include <fstream>

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

TEST_CASE("marked file sets: all checked before any is written; only marked files replaced") {
    const fs::path dir = fs::temp_directory_path() / "vramplan-marked-test";
    fs::remove_all(dir);
    fs::create_directories(dir);
    const auto read = [](const fs::path& p) {
        std::ifstream in(p);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    write_marked_files(dir, {{".env", "# mark 1\nA=1\n"}, {"c.yml", "# mark 1\n"}}, "# mark",
                       false);
    CHECK(read(dir / ".env") == "# mark 1\nA=1\n");
    // Files with the marker are replaced.
    write_marked_files(dir, {{".env", "# mark 2\nA=2\n"}, {"c.yml", "# mark 2\n"}}, "# mark",
                       false);
    CHECK(read(dir / ".env") == "# mark 2\nA=2\n");
    // A foreign second file stops the whole set: the first is not touched either.
    { std::ofstream(dir / "c.yml") << "services: {}\n"; }
    try {
        write_marked_files(dir, {{".env", "# mark 3\n"}, {"c.yml", "# mark 3\n"}}, "# mark", false);
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.where() == (dir / "c.yml").string());
        CHECK(e.hint().find("nothing was written") != std::string::npos);
    }
    CHECK(read(dir / ".env") == "# mark 2\nA=2\n");
    CHECK(read(dir / "c.yml") == "services: {}\n");
    write_marked_files(dir, {{".env", "# mark 3\n"}, {"c.yml", "# mark 3\n"}}, "# mark", true);
    CHECK(read(dir / "c.yml") == "# mark 3\n");
    fs::remove_all(dir);
}
