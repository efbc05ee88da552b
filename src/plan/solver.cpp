#include <vramplan/base/error.hpp>
#include <vramplan/base/units.hpp>
#include <vramplan/plan/layer_search.hpp>
#include <vramplan/plan/solver.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace vramplan {

namespace {

ServicePlan plan_service(const ServiceRequest& r, std::uint32_t n_gpu, const SolveOptions& o,
                         const ReservedGraphs* graphs = nullptr) {
    ServicePlan p;
    p.request = r;
    p.request.settings.n_gpu_layers = static_cast<int>(n_gpu);
    p.n_gpu_layers = n_gpu;
    p.estimate = estimate_memory(r.model.spec(), p.request.settings, &o.gpu, graphs);
    p.speed = estimate_speed(r.model.spec(), p.estimate, compute_rates(o, r), r.workload);
    p.vram_bytes = p.estimate.gpu_bytes();
    p.host_bytes = p.estimate.host_bytes();
    return p;
}

std::uint64_t budget_of(const SolveOptions& o) {
    const std::uint64_t total = o.gpu.total_bytes();
    if (o.reserve_bytes + o.headroom_bytes >= total) {
        throw Error(ErrorKind::usage, "--reserve/--headroom",
                    fmt::format("reserve ({} MiB) and headroom ({} MiB) leave nothing of the {} "
                                "MiB GPU",
                                o.reserve_bytes >> 20, o.headroom_bytes >> 20, total >> 20));
    }
    return total - o.reserve_bytes - o.headroom_bytes;
}

// What would make an infeasible plan fit, cheapest for quality first: fewer layers is already
// the minimum; then a smaller context, one slot, a q8_0 KV cache; each with the VRAM it frees
// against `at_minimum`, the services as already costed at their minimum layers.
std::vector<Fix> find_fixes(const std::vector<ServicePlan>& at_minimum, const SolveOptions& o) {
    std::vector<Fix> fixes;
    for (const auto& m : at_minimum) {
        const ServiceRequest& r = m.request;
        const std::uint64_t base = m.vram_bytes;
        auto try_change = [&](const std::string& what, ServiceRequest changed) {
            try {
                const std::uint64_t v = plan_service(changed, m.n_gpu_layers, o).vram_bytes;
                if (v < base) {
                    fixes.push_back({r.name + ": " + what, base - v});
                }
            } catch (const Error&) {
                // a change llama.cpp would refuse is no fix
            }
        };
        const std::uint32_t ctx =
            r.settings.n_ctx == 0 ? r.model.spec().n_ctx_train : r.settings.n_ctx;
        if (ctx > 512) {
            ServiceRequest c = r;
            c.settings.n_ctx = std::max<std::uint32_t>(512, ctx / 2);
            try_change(fmt::format("-c {}", c.settings.n_ctx), c);
        }
        if (r.settings.n_parallel != 1) {
            ServiceRequest c = r;
            c.settings.n_parallel = 1;
            try_change("--parallel 1", c);
        }
        if (r.settings.type_k != GgmlType::q8_0) {
            ServiceRequest c = r;
            c.settings.type_k = c.settings.type_v = GgmlType::q8_0;
            c.settings.flash_attn = FlashAttn::on;
            try_change("-ctk q8_0 -ctv q8_0 -fa on", c);
        }
    }
    std::stable_sort(fixes.begin(), fixes.end(),
                     [](const Fix& a, const Fix& b) { return a.frees_bytes > b.frees_bytes; });
    return fixes;
}

// A service's settings the solver may use under --allow, the requested ones first, each with
// the changes it makes. Speed is valued at the requested settings (see solve), so a change is
// chosen only when it lets more layers onto the GPU or makes the plan fit.
struct Variant {
    ServiceRequest request;
    std::vector<std::string> changes;
};

std::vector<Variant> setting_variants(const ServiceRequest& r, const SolveOptions& o) {
    std::vector<Variant> out{{r, {}}};
    if (o.allow_ctx) {
        const std::uint32_t ctx =
            r.settings.n_ctx == 0 ? r.model.spec().n_ctx_train : r.settings.n_ctx;
        for (std::uint32_t c = ctx / 2; c >= 512; c /= 2) {
            Variant v{r, {fmt::format("-c {} (was {})", c, ctx)}};
            v.request.settings.n_ctx = c;
            out.push_back(v);
        }
    }
    const auto add = [&out](const std::string& change, auto&& apply) {
        const std::size_t n = out.size();
        for (std::size_t i = 0; i < n; ++i) {
            Variant v = out[i];
            apply(v.request.settings);
            v.changes.push_back(change);
            out.push_back(std::move(v));
        }
    };
    if (o.allow_kv_type && r.settings.type_k != GgmlType::q8_0) {
        add(fmt::format("-ctk q8_0 -ctv q8_0 -fa on (was {})", type_name(r.settings.type_k)),
            [](ServerSettings& s) {
                s.type_k = s.type_v = GgmlType::q8_0;
                s.flash_attn = FlashAttn::on;
            });
    }
    if (o.allow_parallel && r.settings.n_parallel != 1) {
        add(fmt::format("--parallel 1 (was {})", r.settings.n_parallel < 0
                                                     ? std::string("auto")
                                                     : std::to_string(r.settings.n_parallel)),
            [](ServerSettings& s) { s.n_parallel = 1; });
    }
    return out;
}

// Every option of one service: each variant at each layer count, costed by the estimator.
// `fractions` gets each option's speed as valued: that of the requested settings at the same
// layer count (a smaller context reads less KV per token, which must not by itself make the
// solver shrink it).
std::vector<ServicePlan> service_options(const ServiceRequest& r, const SolveOptions& o,
                                         std::vector<double>& fractions) {
    std::vector<ServicePlan> out;
    std::vector<double> base_fraction;
    const std::uint32_t total = r.model.spec().n_layer + 1;
    for (const auto& v : setting_variants(r, o)) {
        const bool base = v.changes.empty();
        // The reserved graphs do not depend on the layer count: built once per variant.
        std::optional<ReservedGraphs> graphs;
        try {
            graphs = build_reserved_graphs(v.request.model.spec(), v.request.settings);
        } catch (const Error&) {
            if (base) {
                throw;
            }
            continue; // a change llama.cpp would refuse is no option
        }
        for (std::uint32_t n = std::min(r.min_gpu_layers, total); n <= total; ++n) {
            ServicePlan p;
            try {
                p = plan_service(v.request, n, o, graphs ? &*graphs : nullptr);
            } catch (const Error&) {
                if (base) {
                    throw; // the requested settings themselves are refused
                }
                break; // a change llama.cpp would refuse is no option
            }
            p.changes = v.changes;
            if (base) {
                base_fraction.push_back(p.speed.fraction_of_full());
            }
            fractions.push_back(base_fraction.at(n - std::min(r.min_gpu_layers, total)));
            out.push_back(std::move(p));
        }
    }
    return out;
}

// Two services whose options cost and are worth the same: the same model file, server settings,
// threads and workload (a fleet of identical workers is costed once).
bool same_costs(const ServiceRequest& a, const ServiceRequest& b) {
    return a.model.source == b.model.source && a.model.label == b.model.label &&
           a.model.quant == b.model.quant && a.model.file == b.model.file &&
           a.settings == b.settings && a.min_gpu_layers == b.min_gpu_layers &&
           a.threads == b.threads && a.workload == b.workload;
}

} // namespace

ComputeRates compute_rates(const SolveOptions& o, const ServiceRequest& r) {
    return ComputeRates{o.gpu.bandwidth_gb_s, o.gpu.fp16_tensor_tflops, o.gpu.pcie_bandwidth_gb_s(),
                        o.host.bandwidth_gb_s, o.host.gflops(r.threads)};
}

Plan evaluate(const std::vector<ServiceRequest>& services, const std::vector<int>& n_gpu_layers,
              const SolveOptions& options) {
    Plan plan;
    plan.total_bytes = options.gpu.total_bytes();
    plan.budget_bytes = budget_of(options);
    for (std::size_t i = 0; i < services.size(); ++i) {
        const ServiceRequest& r = services[i];
        const std::uint32_t n =
            gpu_layer_count(r.model.spec(), n_gpu_layers.at(i), /*has_gpu=*/true);
        plan.services.push_back(plan_service(r, n, options));
        plan.vram_bytes += plan.services.back().vram_bytes;
    }
    plan.fits = plan.vram_bytes <= plan.budget_bytes;
    return plan;
}

Plan solve(const std::vector<ServiceRequest>& services, const SolveOptions& options) {
    Plan plan;
    plan.total_bytes = options.gpu.total_bytes();
    plan.budget_bytes = budget_of(options);

    // Every option of every service, each costed by the estimator.
    std::vector<std::vector<ServicePlan>> candidates(services.size());
    std::vector<std::vector<LayerOption>> options_table(services.size());
    std::vector<std::vector<double>> fractions(services.size());
    for (std::size_t i = 0; i < services.size(); ++i) {
        const ServiceRequest& r = services[i];
        const auto twin = std::find_if(services.begin(), services.begin() + static_cast<long>(i),
                                       [&](const ServiceRequest& s) { return same_costs(s, r); });
        if (twin != services.begin() + static_cast<long>(i)) {
            const auto j = static_cast<std::size_t>(twin - services.begin());
            candidates[i] = candidates[j];
            fractions[i] = fractions[j];
            for (auto& c : candidates[i]) {
                const ServerSettings settings = c.request.settings; // the variant's
                c.request = r;
                c.request.settings = settings;
            }
        } else {
            candidates[i] = service_options(r, options, fractions[i]);
        }
        // Priority-weighted speed, less a small amount per change so that, at equal speed, the
        // plan with fewer changes wins.
        constexpr double k_change_penalty = 1e-6;
        for (std::size_t k = 0; k < candidates[i].size(); ++k) {
            const ServicePlan& c = candidates[i][k];
            options_table[i].push_back(
                {c.vram_bytes, static_cast<double>(r.priority) * fractions[i][k] -
                                   k_change_penalty * static_cast<double>(c.changes.size())});
        }
    }
    const auto choice = choose_options(options_table, plan.budget_bytes);
    if (choice) {
        plan.fits = true;
        for (std::size_t i = 0; i < services.size(); ++i) {
            plan.services.push_back(candidates[i][(*choice)[i]]);
            plan.vram_bytes += plan.services.back().vram_bytes;
        }
        return plan;
    }
    for (std::size_t i = 0; i < services.size(); ++i) {
        plan.services.push_back(candidates[i].front()); // each at its minimum
        plan.vram_bytes += plan.services.back().vram_bytes;
    }
    plan.fixes = find_fixes(plan.services, options);
    return plan;
}

} // namespace vramplan
