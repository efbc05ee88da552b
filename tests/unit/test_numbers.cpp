#include <vramplan/base/error.hpp>
#include <vramplan/base/numbers.hpp>
#include <vramplan/base/strings.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace vramplan;

namespace {

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::usage);
        return e.what();
    }
    return "no error";
}

} // namespace

TEST_CASE("checked numbers accept their range, ends included") {
    CHECK(checked_unsigned("0", 0, 10, "--n") == 0);
    CHECK(checked_unsigned("10", 0, 10, "--n") == 10);
    CHECK(checked_integer("-1", -1, 5, "-np") == -1);
    CHECK(checked_number("2.5", 0, 3, "--x") == 2.5);
    CHECK(checked_number("1e3", 0, 1e7, "--x") == 1000);
}

TEST_CASE("checked numbers refuse what would wrap, saturate or mean nothing") {
    CHECK(error_of([] { (void)checked_number("-1", 0, 1e7, "--reserve"); }) ==
          "--reserve: expected a number from 0 to 10000000, found '-1'");
    for (const char* bad : {"inf", "-inf", "nan", "NaN", "infinity", "1e30", "1e400", "", " 1",
                            "1 ", "0x10", "1,5"}) {
        INFO(bad);
        CHECK(error_of([&] { (void)checked_number(bad, 0, 1e7, "--reserve"); }) != "no error");
    }
    for (const char* bad : {"-1", "4294967296", "18446744073709551616", "1.5", "+", "", "10 "}) {
        INFO(bad);
        CHECK(error_of([&] { (void)checked_unsigned(bad, 1, 1U << 31, "-n"); }) != "no error");
        CHECK(error_of([&] { (void)checked_integer(bad, 0, 1000, "-c"); }) != "no error");
    }
    CHECK(error_of([] { (void)checked_integer("-2", -1, 10, "-np"); }) ==
          "-np: expected a whole number from -1 to 10, found '-2'");
}

TEST_CASE("a refused value is quoted by its start, control characters escaped") {
    const std::string long_value(40000, '7');
    const std::string e = error_of([&] { (void)checked_unsigned(long_value, 0, 9, "--n"); });
    CHECK(e.size() < 200);
    CHECK(e.ends_with("...' (40000 bytes)"));
    CHECK(quote_value("a\nb\x1b[31m'") == "'a\\x0ab\\x1b[31m\\x27'");
    CHECK(quote_value("") == "''");
}
