#pragma once
// Rendering `vramplan calibrate`: predicted against logged, buffer by buffer, and the runtime
// overhead a measured total implies.

#include <vramplan/runtime/calibrate.hpp>

#include <string>

namespace vramplan {

struct CalibrationSubject {
    std::string log_name; // the file read, or "-"
    const LlamaLog* log = nullptr;
    std::string model;               // label and quantization
    std::string model_how;           // how the model was found
    const GpuProfile* gpu = nullptr; // the profile compared against, if any
    std::string saved_to;            // the override written by --save, if any
};

std::string render_calibration_text(const Calibration& c, const CalibrationSubject& s);
std::string render_calibration_json(const Calibration& c, const CalibrationSubject& s);

} // namespace vramplan
