// libFuzzer target for the solver's YAML inputs: plan files (--plan), scenario files, deployment
// and host profiles. Any text must parse or raise vramplan::Error; models resolve against the
// real catalog, so valid-looking plans exercise model lookup too.

#include <vramplan/base/error.hpp>
#include <vramplan/model/catalog.hpp>
#include <vramplan/plan/deployment.hpp>
#include <vramplan/plan/services.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

const vramplan::Catalog& catalog() {
    static const vramplan::Catalog c = vramplan::Catalog::load(VRAMPLAN_SOURCE_DIR "/models");
    return c;
}

const vramplan::Deployment& p2() {
    static const vramplan::Deployment d = vramplan::load_deployment(VRAMPLAN_SOURCE_DIR, "p2");
    return d;
}

template <typename F> void expect_error_or_success(F&& f) {
    try {
        f();
    } catch (const vramplan::Error&) {
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    expect_error_or_success([&] {
        (void)vramplan::parse_plan_file(
            text, "plan.yaml", catalog(), [](const std::optional<std::string>&) { return p2(); },
            std::nullopt);
    });
    expect_error_or_success(
        [&] { (void)vramplan::parse_scenarios(text, "s.yaml", catalog(), p2()); });
    expect_error_or_success([&] { (void)vramplan::parse_deployment(text, "d.yaml"); });
    expect_error_or_success([&] { (void)vramplan::parse_host_profile(text, "h.yaml"); });
    return 0;
}
