#include <vramplan/error.hpp>
#include <vramplan/text_file.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

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
