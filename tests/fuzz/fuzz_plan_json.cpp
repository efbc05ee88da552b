// libFuzzer target for the plan JSON `verify --plan` reads (solve --emit json, or a file from
// anywhere): any input must give a plan or raise vramplan::Error; nesting of any depth is refused
// before parsing, never recursed into.

#include <vramplan/base/error.hpp>
#include <vramplan/runtime/verify.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        (void)vramplan::verify_plan_from_json(
            std::string_view(reinterpret_cast<const char*>(data), size), "plan.json");
    } catch (const vramplan::Error&) {
    }
    return 0;
}
