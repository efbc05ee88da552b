#pragma once
// Rendering `vramplan check`: a per-service table and the findings (text), JSON for scripts,
// and GitHub Actions annotations (::error file=...,line=...::...). docs/check.md shows each.

#include <vramplan/compose/compose_check.hpp>

#include <string>

namespace vramplan {

// Errors fail the check; with `strict`, warnings too.
bool check_passed(const CheckResult& r, bool strict);

std::string render_check_text(const CheckResult& r, bool strict);
std::string render_check_json(const CheckResult& r, bool strict);
std::string render_check_github(const CheckResult& r, bool strict);

} // namespace vramplan
