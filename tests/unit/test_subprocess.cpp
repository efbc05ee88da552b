#include <vramplan/compose/shell_words.hpp>
#include <vramplan/runtime/subprocess.hpp>

#include <catch2/catch.hpp>

using namespace vramplan;
using namespace std::chrono_literals;

TEST_CASE("a program's output and exit status are captured") {
    const ProcessResult r = run_process({"sh", "-c", "echo out; echo err >&2; exit 3"}, 10s);
    CHECK(r.exit_code == 3);
    CHECK(r.out == "out\n");
    CHECK(r.err == "err\n");
    CHECK_FALSE(r.timed_out);
}

TEST_CASE("a program that is not there exits 127, as from a shell") {
    const ProcessResult r = run_process({"vramplan-no-such-program"}, 10s);
    CHECK(r.exit_code == k_exit_not_started);
}

TEST_CASE("a program that runs too long is killed, with what it printed so far") {
    const ProcessResult r = run_shell("echo started; sleep 30", 300ms);
    CHECK(r.timed_out);
    CHECK(r.out == "started\n");
}

TEST_CASE("output beyond the cap is read and dropped, so the program still finishes") {
    const ProcessResult r = run_shell("head -c 300000 /dev/zero", 10s);
    CHECK(r.exit_code == 0);
    CHECK(r.out.size() == 300000);
    const ProcessResult capped = run_process({"head", "-c", "300000", "/dev/zero"}, 10s, 1000);
    CHECK(capped.exit_code == 0);
    CHECK(capped.out.size() == 1000);
}

TEST_CASE("the timeout holds when the program closes its output and keeps running") {
    const auto t0 = std::chrono::steady_clock::now();
    const ProcessResult r = run_shell("exec >&- 2>&-; sleep 20", 500ms);
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    CHECK(r.timed_out);
    CHECK(took < 3.0);
}

TEST_CASE("a program that exits at once is not held by a background child's output") {
    const auto t0 = std::chrono::steady_clock::now();
    const ProcessResult r = run_shell("echo started; sleep 20 &", 10s);
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    CHECK_FALSE(r.timed_out);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "started\n");
    CHECK(took < 3.0);
}

TEST_CASE("shell quoting: one literal word whatever it holds") {
    CHECK(shell_quote("plain") == "plain"); // nothing a shell treats specially
    CHECK(shell_quote("") == "''");
    CHECK(shell_quote("it's") == "'it'\\''s'");
    for (const std::string value :
         {"x;touch${IFS}pwned;#", "a b  c", "$(id) `id` $HOME", "'\"'\\", "*", "-n", "new\nline"}) {
        INFO(value);
        const ProcessResult r = run_shell("printf '[%s]' " + shell_quote(value), 10s);
        CHECK(r.exit_code == 0);
        CHECK(r.out == "[" + value + "]");
    }
}
