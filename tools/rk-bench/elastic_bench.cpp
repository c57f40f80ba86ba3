// The "elastic" suite (docs/runtime.md, "Idle exit and time slices"): what an elastic
// kernel costs. The first reply after its loop left the device (a relaunch on the message
// path) beside a launch per message; a round trip through a resident elastic kernel beside
// a plain one, in turns (and through a supervised one: the watchdog is off the message
// path); the CPU a process burns per second with an idle kernel left resident and with one
// whose loop has left; what snapshots and migration cost beside a plain launch; and a
// round trip in the relaunch-copy bridge mode (ring block copied around each launch)
// beside the relaunch mode (ring block shared), both forced on this backend.
#include <sys/resource.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <ringkernel/ringkernel.hpp>

#include "bench.hpp"
#include "launch_baseline.hpp"

namespace rk::bench {
namespace {

using Clock = std::chrono::steady_clock;
using Ping = EchoPing;

rk::KernelSpec echo(const std::string& name, uint64_t idle_exit_ns) {
  rk::KernelSpec spec;
  spec.name = name;
  spec.source = kEchoSource;
  spec.input_capacity = 64;
  spec.output_capacity = 64;
  spec.max_payload_size = 64;
  spec.idle_exit_ns = idle_exit_ns;
  return spec;
}

double ns_of(Clock::time_point start) { return std::chrono::duration<double, std::nano>(Clock::now() - start).count(); }

double round_trip(rk::Kernel& kernel, uint64_t value) {
  Ping ping{};
  ping.value = value;
  auto start = Clock::now();
  kernel.send(ping);
  auto reply = kernel.receive<Ping>(10'000'000'000ull);
  double ns = ns_of(start);
  if (!reply || reply->message.value != value) throw std::runtime_error("elastic round trip lost a message");
  return ns;
}

void wait_off_device(rk::Kernel& kernel) {
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (kernel.status().resident != 0) {
    if (Clock::now() > deadline) throw std::runtime_error("an idle elastic kernel did not leave the device in 30 s");
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Process CPU seconds per second over `seconds` while `kernel` sits idle.
double idle_cpu(double seconds) {
  double before = cpu_seconds();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  return (cpu_seconds() - before) / seconds;
}

ResultRow row_of(const std::string& name, const std::string& unit, std::vector<double> samples, const std::string& backend) {
  return backend_row("elastic", name, unit, backend, std::move(samples));
}

// Snapshots and migration beside what a kernel costs to make: create + launch (compiled
// once, then from the cache), a snapshot of a kernel holding 64 queued messages, and a
// kernel moved back and forth between two runtimes of the backend (each move compiles
// and launches a twin, parks the source runtime's kernels, moves 64 messages).
std::vector<ResultRow> moving_rows(rk::Runtime& runtime, const Options& options) {
  const std::string backend = runtime.backend();
  const uint64_t count = options.quick ? 5 : 30;
  rk::Runtime other(backend);
  std::vector<double> launch_ns, snapshot_ns, migrate_ns;
  for (uint64_t i = 0; i < count; ++i) {
    auto start = Clock::now();
    rk::Kernel made = runtime.launch(echo("bench_launch_" + std::to_string(i), 0));
    launch_ns.push_back(ns_of(start));
    made.terminate();
  }
  rk::Kernel held = runtime.launch(echo("bench_snapshot", 0));
  held.deactivate();
  for (uint64_t i = 0; i < 64; ++i) held.send(Ping{});
  for (uint64_t i = 0; i < count; ++i) {
    auto start = Clock::now();
    std::vector<uint8_t> image = held.snapshot();
    snapshot_ns.push_back(ns_of(start));
    if (image.size() < 64 * 64) throw std::runtime_error("a snapshot lost messages");
  }
  rk::Runtime* sides[2] = {&other, &runtime};
  for (uint64_t i = 0; i < count; ++i) {
    rk_kernel moved = nullptr;
    auto start = Clock::now();
    rk::check(rk_kernel_migrate(held.get(), sides[i % 2]->get(), 30'000'000'000ull, &moved), "migrate");
    migrate_ns.push_back(ns_of(start));
    held = rk::Kernel(moved);  // the old handle goes, so the name is free to come back
    if (held.status().input_depth != 64) throw std::runtime_error("a migration lost messages");
  }
  held.terminate();
  ResultRow launch_row = row_of("create + launch a kernel", "ns", launch_ns, backend);
  ResultRow snapshot_row = row_of("snapshot of a kernel holding 64 messages", "ns", snapshot_ns, backend);
  ResultRow migrate_row = row_of("migrate a kernel holding 64 messages to another runtime", "ns", migrate_ns, backend);
  migrate_row.set("ratio_to_launch_p50", migrate_row.median / launch_row.median);
  return {launch_row, snapshot_row, migrate_row};
}

// Both relaunch modes on one backend, in turns: what copying the ring block in and out
// around each launch costs a request (docs/runtime.md, "Devices without host-coherent memory").
std::vector<ResultRow> relaunch_mode_rows(const std::string& backend, uint64_t count) {
  rk::Runtime shared(backend, 0, RK_BRIDGE_RELAUNCH);
  rk::Runtime copied(backend, 0, RK_BRIDGE_RELAUNCH_COPY);
  rk::Kernel a = shared.launch(echo("bench_mode_relaunch", 0));
  rk::Kernel b = copied.launch(echo("bench_mode_relaunch_copy", 0));
  std::vector<double> a_ns, b_ns;
  for (uint64_t i = 0; i < 100; ++i) {  // warm up both
    round_trip(a, i);
    round_trip(b, i);
  }
  for (uint64_t round = 0; round < 10; ++round) {
    for (uint64_t i = 0; i < count / 10; ++i) a_ns.push_back(round_trip(a, i));
    for (uint64_t i = 0; i < count / 10; ++i) b_ns.push_back(round_trip(b, i));
  }
  ResultRow a_row = row_of("round trip, relaunch mode (ring block shared)", "ns", a_ns, backend);
  ResultRow b_row = row_of("round trip, relaunch-copy mode (ring block copied in and out)", "ns", b_ns, backend);
  b_row.set("ratio_to_relaunch_p50", b_row.median / a_row.median);
  return {a_row, b_row};
}

std::vector<ResultRow> elastic_suite(const Options& options) {
  uint64_t count = options.messages ? options.messages : (options.quick ? 200 : 2000);
  rk::Runtime runtime;
  const std::string backend = runtime.backend();
  if (runtime.bridge_mode() != RK_BRIDGE_PERSISTENT) throw SuiteSkipped(backend + " runs no persistent ring kernels");

  ResultRow launch = row_of("launch per message", "ns", launch_per_message(runtime.get(), count), backend);

  // A relaunch on the message path: wait until the loop has left, then time the request.
  rk::Kernel leaving = runtime.launch(echo("bench_elastic_relaunch", 100'000));  // 0.1 ms idle exit
  std::vector<double> relaunch;
  for (uint64_t i = 0; i < count; ++i) {
    wait_off_device(leaving);
    relaunch.push_back(round_trip(leaving, i));
  }
  ResultRow first = row_of("first reply after idle exit (relaunch)", "ns", relaunch, backend);
  first.set("ratio_to_launch_per_message_p50", first.median / launch.median);
  leaving.terminate();

  // Resident: the elastic loop (its idle clock reads) beside a plain one, in turns.
  rk::Kernel plain = runtime.launch(echo("bench_elastic_plain", 0));
  rk::Kernel resident = runtime.launch(echo("bench_elastic_resident", 600'000'000'000ull));  // never leaves here
  const uint64_t trips = count * 10;
  // Two kernels in turns, so each measures on the same machine state (two spinning loops
  // are all a 2-core machine holds beside the host thread).
  auto in_turns = [&](rk::Kernel& a, rk::Kernel& b, std::vector<double>& a_ns, std::vector<double>& b_ns) {
    for (uint64_t i = 0; i < 1000; ++i) {  // warm up both
      round_trip(a, i);
      round_trip(b, i);
    }
    for (uint64_t round = 0; round < 10; ++round)
      for (rk::Kernel* kernel : {&a, &b})
        for (uint64_t i = 0; i < trips / 10; ++i) (kernel == &a ? a_ns : b_ns).push_back(round_trip(*kernel, i));
  };
  std::vector<double> plain_ns, resident_ns;
  in_turns(plain, resident, plain_ns, resident_ns);
  ResultRow plain_row = row_of("round trip, plain kernel", "ns", plain_ns, backend);
  ResultRow resident_row = row_of("round trip, elastic kernel, resident", "ns", resident_ns, backend);
  resident_row.set("ratio_to_plain_p50", resident_row.median / plain_row.median);
  resident.terminate();

  // Supervised: the bridge watches it every 2.5 ms, off the message path.
  rk::Kernel supervised = runtime.launch(echo("bench_elastic_supervised", 0));
  rk_supervision_options watch = RK_SUPERVISION_OPTIONS_INIT;
  watch.policy = RK_SUPERVISE_RESTART;
  watch.stall_ns = 10'000'000;
  watch.error_limit = 1000;
  supervised.supervise(watch);
  std::vector<double> plain_again_ns, supervised_ns;
  in_turns(plain, supervised, plain_again_ns, supervised_ns);
  ResultRow plain_again = row_of("round trip, plain kernel (beside the supervised one)", "ns", plain_again_ns, backend);
  ResultRow supervised_row = row_of("round trip, supervised kernel (stall 10 ms, restart)", "ns", supervised_ns, backend);
  supervised_row.set("ratio_to_plain_p50", supervised_row.median / plain_again.median);
  supervised.terminate();

  // Idle CPU: the plain kernel idles resident (it spins, then yields, then parks where the
  // backend can); then it goes, and an elastic one idles with its loop left.
  const double seconds = options.quick ? 0.5 : 2.0;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // past the spin and yield phases
  ResultRow idle_resident = row_of("idle CPU, a resident kernel", "CPU s/s", {idle_cpu(seconds)}, backend);
  plain.terminate();
  rk::Kernel idle = runtime.launch(echo("bench_elastic_idle", 1'000'000));
  wait_off_device(idle);
  ResultRow idle_left = row_of("idle CPU, an elastic kernel off the device (and the bridge checking it)", "CPU s/s",
                               {idle_cpu(seconds)}, backend);
  idle.terminate();
  std::vector<ResultRow> rows{launch, first, plain_row, resident_row, plain_again, supervised_row, idle_resident, idle_left};
  for (ResultRow& row : moving_rows(runtime, options)) rows.push_back(std::move(row));
  for (ResultRow& row : relaunch_mode_rows(backend, count)) rows.push_back(std::move(row));
  return rows;
}

SuiteRegistration elastic_registration{"elastic", "elastic kernels: relaunch on the message path, resident cost, idle CPU",
                                       elastic_suite};

}  // namespace
}  // namespace rk::bench
