// Bridge suite: one K2K hop between runtimes (cpu_sim <-> opencl), against the same hop
// inside each runtime and each backend's host round trip, all in one run. A ping-pong of
// 1000 hops per sample (the host waits, it does not poll); cross-runtime, every hop goes
// through a bridge thread: A's egress queue -> B's inbox, and back through B's.
#include <algorithm>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <ringkernel/ringkernel.hpp>

#include "bench.hpp"
#include "k2k_kernels.hpp"

namespace rk::bench {
namespace {

std::unique_ptr<rk::Runtime> open_runtime(const std::string& backend) {
  try {
    auto runtime = std::make_unique<rk::Runtime>(backend);
    if (runtime->bridge_mode() != RK_BRIDGE_PERSISTENT)
      throw SuiteSkipped(backend + " runs no persistent ring kernels on '" + runtime->device().name + "'");
    return runtime;
  } catch (const rk::Error& e) {
    throw SuiteSkipped(backend + " is not usable here: " + e.what());
  }
}

ResultRow row_of(const std::string& name, std::vector<double> samples) {
  ResultRow row;
  row.suite = "bridge";
  row.name = name;
  row.unit = "ns";
  row.higher_is_better = false;
  summarize(row, std::move(samples));
  return row;
}

// A <-> B, A in `one`, B in `two` (the same runtime for the in-runtime row).
ResultRow volley_row(const std::string& name, rk::Runtime& one, rk::Runtime& two, const std::string& tag,
                     uint64_t volleys) {
  rk::Kernel b = two.launch(forward_spec("bench_bridge_b_" + tag, {}, kVolley));
  rk::Kernel a = one.launch(forward_spec("bench_bridge_a_" + tag, {"bench_bridge_b_" + tag}, kVolley));
  ResultRow row = row_of(name, volley_hops(a, volleys));
  row.set("hops_per_sample", double(kVolleyHops));
  a.terminate();
  b.terminate();
  return row;
}

ResultRow round_trip_row(rk::Runtime& runtime, uint64_t count) {
  rk::KernelSpec spec;
  spec.name = "bench_bridge_echo";
  spec.source = kEchoSource;
  spec.max_payload_size = sizeof(EchoPing);
  rk::Kernel echo = runtime.launch(spec);
  std::vector<double> samples;
  for (uint64_t i = 0; i < count + 500; ++i) {
    auto start = std::chrono::steady_clock::now();
    EchoPing reply = echo.request<EchoPing>(EchoPing{i, {}});
    if (reply.value != i) throw std::runtime_error("bridge suite: the echo answered the wrong request");
    if (i >= 500) samples.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count());
  }
  echo.terminate();
  return row_of("host round trip (" + runtime.backend() + ")", std::move(samples));
}

std::vector<ResultRow> bridge_suite(const Options& options) {
  auto cpu = open_runtime("cpu_sim");
  auto ocl = open_runtime("opencl");
  const uint64_t volleys = options.quick ? 10 : 60;
  const uint64_t trips = options.messages ? options.messages : (options.quick ? 2000 : 20000);
  // Round trips and in-runtime hops first: the cross-runtime row starts both runtimes'
  // bridges, which then poll for the rest of the run.
  ResultRow cpu_trip = round_trip_row(*cpu, trips);
  ResultRow ocl_trip = round_trip_row(*ocl, trips);
  std::vector<ResultRow> rows;
  rows.push_back(volley_row("in-runtime K2K hop (cpu_sim)", *cpu, *cpu, "cc", volleys));
  rows.push_back(volley_row("in-runtime K2K hop (opencl)", *ocl, *ocl, "oo", volleys));
  ResultRow cross = volley_row("cross-runtime K2K hop (cpu_sim <-> opencl)", *cpu, *ocl, "co", volleys);
  const double slower = std::max(cpu_trip.median, ocl_trip.median);
  cross.set("ratio_to_slower_round_trip_p50", cross.median / slower);
  rows.push_back(cross);
  rows.push_back(cpu_trip);
  rows.push_back(ocl_trip);
  return rows;
}

SuiteRegistration bridge_registration{"bridge", "K2K hop between runtimes vs inside one, and host round trips",
                                      bridge_suite};

}  // namespace
}  // namespace rk::bench
