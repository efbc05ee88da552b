#include <sys/stat.h>

#include <vramplan/base/error.hpp>
#include <vramplan/base/text_file.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace vramplan;

TEST_CASE("read_text_file: whole contents, and an error naming a missing file") {
    const auto path = std::filesystem::temp_directory_path() / "vramplan-text-file-test.txt";
    {
        std::ofstream out(path, std::ios::binary);
        out << "a: 1\r\nb: \0x\n";
    }
    CHECK(read_text_file(path) == "a: 1\r\nb: ");
    std::filesystem::remove(path);
    try {
        read_text_file(path);
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find(path.string()) == 0);
        CHECK(std::string(e.what()).find("cannot read file") != std::string::npos);
    }
}

namespace {

std::string read_error(const std::filesystem::path& p, std::size_t limit = k_max_text_file_bytes) {
    try {
        (void)read_text_file(p, limit);
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::io);
        return e.what();
    }
    return "no error";
}

} // namespace

TEST_CASE("read_text_file refuses what is not a regular file, at once") {
    const auto dir = std::filesystem::temp_directory_path() / "vramplan-text-file-kinds";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    CHECK(read_error(dir).find("it is a directory") != std::string::npos);
    const auto fifo = dir / "fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK(read_error(fifo).find("it is a FIFO") != std::string::npos); // no writer: no hang
    CHECK(read_error("/dev/zero").find("it is a device") != std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("read_text_file stops at its limit with the file named") {
    const auto path = std::filesystem::temp_directory_path() / "vramplan-text-file-big.txt";
    {
        std::ofstream out(path, std::ios::binary);
        out << std::string(1000, 'x');
    }
    CHECK(read_text_file(path, 1000).size() == 1000);
    CHECK(read_error(path, 999).find(path.string() + ": larger than the") == 0);
    // /proc files report size 0 and are read to their end, still within the limit.
    CHECK_FALSE(read_text_file("/proc/self/status").empty());
    std::filesystem::remove(path);
}

TEST_CASE("read_text_stream is bounded too") {
    std::istringstream in(std::string(100, 'y'));
    CHECK_THROWS_WITH(read_text_stream(in, "standard input", 99),
                      Catch::StartsWith("standard input: larger than the"));
    std::istringstream small("abc");
    CHECK(read_text_stream(small, "standard input", 99) == "abc");
}

TEST_CASE("files_in lists one extension's regular files, sorted, or names the folder") {
    const auto dir = std::filesystem::temp_directory_path() / "vramplan-files-in";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "d.yaml");
    std::ofstream(dir / "b.yaml") << "x";
    std::ofstream(dir / "a.yaml") << "x";
    std::ofstream(dir / "c.txt") << "x";
    const auto files = files_in(dir, ".yaml");
    REQUIRE(files.size() == 2);
    CHECK(files[0].filename() == "a.yaml");
    CHECK(files[1].filename() == "b.yaml");
    CHECK_THROWS_WITH(files_in(dir / "a.yaml", ".yaml"), Catch::Contains("cannot list the folder"));
    std::filesystem::remove_all(dir);
}
