#include <vramplan/base/json_output.hpp>
#include <vramplan/base/strings.hpp>
#include <vramplan/base/text_table.hpp>
#include <vramplan/runtime/gpu_detect.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cctype>

namespace vramplan {

namespace {

std::uint64_t mib(std::uint64_t bytes) {
    return bytes >> 20;
}

// "NVIDIA GeForce RTX 4050 Laptop GPU" -> "rtx4050-laptop-gpu": lower case, the vendor words
// dropped, letters and digits joined within a word.
std::string profile_name(std::string_view display) {
    std::vector<std::string> words;
    for (const auto& w : split(to_lower(display), ' ')) {
        if (w.empty() || w == "nvidia" || w == "geforce" || w == "tesla") {
            continue;
        }
        std::string kept;
        for (char c : w) {
            if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
                kept += c;
            }
        }
        if (!kept.empty()) {
            words.push_back(kept);
        }
    }
    // "rtx 4050" reads better as "rtx4050".
    if (words.size() >= 2 && (words[0] == "rtx" || words[0] == "gtx") &&
        std::isdigit(static_cast<unsigned char>(words[1][0])) != 0) {
        words[1] = words[0] + words[1];
        words.erase(words.begin());
    }
    return words.empty() ? "my-gpu" : join(words, "-");
}

} // namespace

std::vector<DetectedGpu> detect_gpus(const GpuProfiles& profiles, const GpuSnapshot& snapshot) {
    std::vector<DetectedGpu> out;
    for (const auto& r : snapshot.gpus) {
        DetectedGpu d;
        d.reading = r;
        d.profile = profiles.find_display_name(r.name, r.total_bytes);
        d.total_matches = d.profile != nullptr && d.profile->memory_total_mib == mib(r.total_bytes);
        if (d.profile == nullptr) {
            d.suggested_profile = suggest_profile_yaml(r, snapshot.source);
        }
        out.push_back(std::move(d));
    }
    return out;
}

std::string suggest_profile_yaml(const GpuReading& r, const std::string& source) {
    std::string y;
    y += fmt::format("# {}: a starting point for profiles/gpus/{}.yaml (docs/data-files.md).\n",
                     r.name, profile_name(r.name));
    y += "# Measured: the name and the memory total. Fill in the lines marked FILL IN from the\n"
         "# vendor's specification before using it.\n";
    y += fmt::format("name: {}\n", profile_name(r.name));
    y += fmt::format("display_name: {}\n", r.name);
    y += "compute_capability: \"FILL IN\"   # nvidia-smi --query-gpu=compute_cap\n";
    y += "sm_count: FILL IN                # streaming multiprocessors\n";
    y += fmt::format("memory_total_mib: {}\n", mib(r.total_bytes));
    y += fmt::format("memory_total_source: \"measured with {} by vramplan gpus --detect\"\n",
                     source);
    y += "bandwidth_gb_s: FILL IN          # peak memory bandwidth, GB/s\n";
    y += "bandwidth_source: \"FILL IN\"\n";
    return y;
}

std::string render_detect_text(const std::vector<DetectedGpu>& gpus, const GpuSnapshot& s) {
    std::string out = fmt::format("GPUs read with {}\n", s.source);
    if (gpus.empty()) {
        return out + "  none\n";
    }
    TextTable t({{"index", TextTable::Align::right},
                 {"name"},
                 {"used MiB", TextTable::Align::right},
                 {"total MiB", TextTable::Align::right},
                 {"profile"},
                 {"match"}});
    for (const auto& d : gpus) {
        std::string match = "no profile";
        if (d.profile != nullptr) {
            match = d.total_matches
                        ? "name and total"
                        : fmt::format("name; the profile says {} MiB", d.profile->memory_total_mib);
        }
        t.add_row({std::to_string(d.reading.index), d.reading.name,
                   std::to_string(mib(d.reading.used_bytes)),
                   std::to_string(mib(d.reading.total_bytes)),
                   d.profile != nullptr ? d.profile->name : "-", match});
    }
    out += t.render();
    for (const auto& d : gpus) {
        if (d.profile != nullptr && d.total_matches) {
            out += fmt::format("\nGPU {}: plan with --gpu {}", d.reading.index, d.profile->name);
            out += d.reading.used_bytes > 0
                       ? fmt::format(" --reserve {} while what holds {} MiB now keeps running\n",
                                     mib(d.reading.used_bytes), mib(d.reading.used_bytes))
                       : "\n";
        } else if (d.profile != nullptr) {
            out += fmt::format(
                "\nGPU {}: --gpu {} has memory_total_mib {}, this GPU reports {} MiB: correct {} "
                "(or plan with --reserve {} MiB to be safe)\n",
                d.reading.index, d.profile->name, d.profile->memory_total_mib,
                mib(d.reading.total_bytes), d.profile->source_path,
                d.profile->memory_total_mib > mib(d.reading.total_bytes)
                    ? d.profile->memory_total_mib - mib(d.reading.total_bytes)
                    : 0);
        } else {
            out += fmt::format("\nGPU {}: no profile; save this as a new profile:\n\n{}",
                               d.reading.index, d.suggested_profile);
        }
    }
    if (!s.processes.empty()) {
        out += "\nprocesses using a GPU\n";
        TextTable p({{"pid", TextTable::Align::right},
                     {"GPU", TextTable::Align::right},
                     {"MiB", TextTable::Align::right},
                     {"program"}});
        for (const auto& proc : s.processes) {
            p.add_row({std::to_string(proc.pid),
                       proc.gpu_index ? std::to_string(*proc.gpu_index) : "?",
                       proc.used_bytes ? std::to_string(mib(*proc.used_bytes)) : "n/a", proc.name});
        }
        out += p.render();
    }
    return out;
}

std::string render_detect_json(const std::vector<DetectedGpu>& gpus, const GpuSnapshot& s) {
    using json = nlohmann::ordered_json;
    json arr = json::array();
    for (const auto& d : gpus) {
        json j{{"index", d.reading.index},
               {"name", d.reading.name},
               {"used_bytes", d.reading.used_bytes},
               {"total_bytes", d.reading.total_bytes},
               {"profile", d.profile != nullptr ? json(d.profile->name) : json(nullptr)},
               {"total_matches", d.total_matches}};
        if (!d.suggested_profile.empty()) {
            j["suggested_profile"] = d.suggested_profile;
        }
        arr.push_back(j);
    }
    json procs = json::array();
    for (const auto& p : s.processes) {
        procs.push_back({{"pid", p.pid},
                         {"gpu_index", p.gpu_index ? json(*p.gpu_index) : json(nullptr)},
                         {"used_bytes", p.used_bytes ? json(*p.used_bytes) : json(nullptr)},
                         {"name", p.name}});
    }
    return json_output(json{{"source", s.source}, {"gpus", arr}, {"processes", procs}});
}

} // namespace vramplan
