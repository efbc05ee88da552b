#include <vramplan/base/atomic_file.hpp>
#include <vramplan/base/error.hpp>

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

namespace {

std::string read_all(const fs::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::size_t entries_in(const fs::path& dir) {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) {
        ++n;
    }
    return n;
}

const std::string k_marker_line = std::string(k_user_lines_marker) + "\n";

} // namespace

TEST_CASE("marked files: the user's lines survive, an older file without the marker is refused") {
    const fs::path dir = fs::temp_directory_path() / "vramplan-marked-user-lines";
    fs::remove_all(dir);
    // The folder is created.
    write_marked_files(dir, {{".env", "# mark 1\nA=1\n" + k_marker_line, true}}, "# mark", false);
    { std::ofstream(dir / ".env", std::ios::app) << "TOKEN=t\n"; }
    write_marked_files(dir, {{".env", "# mark 2\nA=2\n" + k_marker_line, true}}, "# mark", false);
    CHECK(read_all(dir / ".env") == "# mark 2\nA=2\n" + k_marker_line + "TOKEN=t\n");
    // Written before the marker existed: the added lines cannot be told apart.
    { std::ofstream(dir / ".env") << "# mark 0\nA=0\nTOKEN=t\n"; }
    CHECK_THROWS_WITH(
        write_marked_files(dir, {{".env", "# mark 3\n" + k_marker_line, true}}, "# mark", false),
        Catch::Contains("could not be told from"));
    CHECK(read_all(dir / ".env") == "# mark 0\nA=0\nTOKEN=t\n");
    fs::remove_all(dir);
}

TEST_CASE("marked files: replaced together; a failed rename rolls the others back") {
    const fs::path dir = fs::temp_directory_path() / "vramplan-marked-rollback";
    fs::remove_all(dir);
    write_marked_files(dir, {{"a", "# mark 1\n"}, {"b", "# mark 1\n"}}, "# mark", false);
    // A folder where the second file goes: its rename fails after the first succeeded.
    fs::remove(dir / "b");
    fs::create_directories(dir / "b" / "inside");
    CHECK_THROWS_AS(
        write_marked_files(dir, {{"a", "# mark 2\n"}, {"b", "# mark 2\n"}}, "# mark", true), Error);
    CHECK(read_all(dir / "a") == "# mark 1\n"); // rolled back
    CHECK(entries_in(dir) == 2);                // a and the folder b: no temporary left
    fs::remove_all(dir);
}

TEST_CASE("marked files: temporaries a killed run left are removed") {
    const fs::path dir = fs::temp_directory_path() / "vramplan-marked-stale";
    fs::remove_all(dir);
    fs::create_directories(dir);
    // Named as StagedFile names them: "." + the target's name + ".vramplan-tmp-" + 6 characters.
    { std::ofstream(dir / "..env.vramplan-tmp-AbC123") << "half"; }
    { std::ofstream(dir / "..env.vramplan-tmp-AbC123.old") << "old"; }
    { std::ofstream(dir / ".other") << "kept"; }
    write_marked_files(dir, {{".env", "# mark\n"}}, "# mark", false);
    CHECK(entries_in(dir) == 2); // .env and .other
    fs::remove_all(dir);
}
