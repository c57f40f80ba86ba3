// The demo pipeline: a million generated sensor events flow host -> parse -> aggregate ->
// alert -> host through three ring kernels joined by K2K. Runs on cpu_sim by default, on
// any backend through RINGKERNEL_BACKEND, and checks the result against a host reference.
// --split A,B parses on backend A and aggregates and alerts on backend B: the parse kernel
// names "aggregate", a kernel of the other runtime, and K2K crosses between them.
//
// --group runs it across two processes of a process group (docs/distributed.md): rank 0
// parses and sends to "1/aggregate", rank 1 aggregates, alerts and checks the results. The
// group comes from the environment (RINGKERNEL_RANK, RINGKERNEL_PEERS, RINGKERNEL_JOB_KEY, or
// mpirun's); examples/pipeline/run-two-processes.sh starts both on loopback.
//
// --metrics-port N serves the kernels' Prometheus metrics on 127.0.0.1:N while it runs (0: a
// free port, printed), and --metrics-linger S keeps serving the final values S seconds after.
// --trace FILE builds the kernels with message tracing and writes the trace as Chrome trace
// JSON for Perfetto (with --split, the second runtime's goes to FILE-2.json); its rings hold
// 32768 records and the runtime keeps 262144, so --events 10000 gives a complete one.
//
//   rk-demo-pipeline [--events N] [--seed S] [--quiet] [--split A,B | --group] [--metrics-out FILE]
//                    [--metrics-port N [--metrics-linger S]] [--trace FILE]
#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "pipeline_model.hpp"
#if RK_DEMO_METRICS_HTTP
#include "metrics_server.hpp"
#endif

namespace rk::embedded {
extern const char* const pipeline_messages;
extern const char* const parse_kernel;
extern const char* const aggregate_kernel;
extern const char* const alert_kernel;
}  // namespace rk::embedded

namespace {

using SteadyClock = std::chrono::steady_clock;

struct Args {
  uint64_t events = 1'000'000;
  uint64_t seed = 2026;
  bool quiet = false;
  std::string parse_backend, rest_backend;  // --split: parse on the first, the rest on the second
  std::string metrics_out;                  // --metrics-out: the final Prometheus exposition
  int metrics_port = -1;                    // --metrics-port: serve /metrics (-1: no)
  double metrics_linger = 0;                // --metrics-linger: seconds to serve after the run
  std::string trace;                        // --trace: the message trace, Chrome trace JSON
  bool group = false;                       // --group: parse on rank 0, the rest on rank 1
};

Args parse_args(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--events" && i + 1 < argc) args.events = std::stoull(argv[++i]);
    else if (a == "--seed" && i + 1 < argc) args.seed = std::stoull(argv[++i]);
    else if (a == "--quiet") args.quiet = true;
    else if (a == "--group") args.group = true;
    else if (a == "--metrics-out" && i + 1 < argc) args.metrics_out = argv[++i];
    else if (a == "--metrics-port" && i + 1 < argc) args.metrics_port = std::stoi(argv[++i]);
    else if (a == "--metrics-linger" && i + 1 < argc) args.metrics_linger = std::stod(argv[++i]);
    else if (a == "--trace" && i + 1 < argc) args.trace = argv[++i];
    else if (a == "--split" && i + 1 < argc && std::strchr(argv[i + 1], ',') != nullptr) {
      std::string both = argv[++i];
      args.parse_backend = both.substr(0, both.find(','));
      args.rest_backend = both.substr(both.find(',') + 1);
    } else {
      std::fprintf(stderr, "usage: %s [--events N] [--seed S] [--quiet] [--split BACKEND,BACKEND | --group] [--metrics-out FILE] "
                   "[--metrics-port N [--metrics-linger SECONDS]] [--trace FILE]\n", argv[0]);
      std::exit(a == "--help" ? 0 : 2);
    }
  }
  return args;
}

int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

struct Pipeline {
  rk::Kernel alert, aggregate, parse;
};

// `runtime` runs parse; `rest` (the same runtime unless --split) aggregate and alert.
// `trace_capacity` > 0: the kernels are traced, with rings that large.
Pipeline launch(rk::Runtime& runtime, rk::Runtime& rest, uint32_t trace_capacity) {
  auto source = [](const char* kernel) { return std::string(rk::embedded::pipeline_messages) + "\n" + kernel; };
  rk::KernelSpec alert{.name = "alert", .source = source(rk::embedded::alert_kernel), .state_bytes = 1024,
                       .accepted_types = {PIPE_ANOMALY}};
  rk::KernelSpec aggregate{.name = "aggregate", .source = source(rk::embedded::aggregate_kernel), .state_bytes = 1024,
                           .accepted_types = {PIPE_READING}, .peers = {"alert"}};
  rk::KernelSpec parse{.name = "parse", .source = source(rk::embedded::parse_kernel), .input_capacity = 4096,
                       .state_bytes = 64, .accepted_types = {PIPE_RAW_EVENT}, .peers = {"aggregate"}};
  for (rk::KernelSpec* spec : {&alert, &aggregate, &parse}) {
    spec->trace = trace_capacity != 0;
    spec->trace_capacity = trace_capacity;
  }
  Pipeline p;
  p.alert = rest.launch(alert);  // downstream first, so no send ever meets an unlaunched peer
  p.aggregate = rest.launch(aggregate);
  p.parse = runtime.launch(parse);
  return p;
}

// Receives alerts on its own thread; keeps their end-to-end latencies.
struct AlertCollector {
  pipeline::Outcome outcome;
  std::vector<int64_t> latencies_ns;
  std::mutex mutex;

  void run(rk::Kernel& alert) {
    for (;;) {
      rk_msg_header header{};
      pipe_alert message{};
      uint32_t size = 0;
      rk_result r = rk_kernel_receive(alert.get(), &header, &message, sizeof(message), &size, 50'000'000);
      if (r == RK_ERROR_TIMEOUT) continue;
      if (r == RK_ERROR_TERMINATED) return;
      rk::check(r, "receive alert");
      std::lock_guard lock(mutex);
      latencies_ns.push_back(now_ns() - message.origin_ns);
      pipeline::add_alert(outcome, message);
    }
  }

  std::pair<double, double> percentiles_us() {
    std::lock_guard lock(mutex);
    if (latencies_ns.empty()) return {0, 0};
    std::vector<int64_t> v = latencies_ns;
    std::sort(v.begin(), v.end());
    auto at = [&](double q) { return double(v[size_t(q * double(v.size() - 1))]) / 1000.0; };
    return {at(0.50), at(0.99)};
  }
};

void print_progress(Pipeline& p, AlertCollector& alerts, uint64_t sent, double seconds, uint64_t& last_processed,
                    double& last_seconds) {
  rk_telemetry parse = p.parse.telemetry(), aggregate = p.aggregate.telemetry(), alert = p.alert.telemetry();
  rk_kernel_status ps = p.parse.status(), as = p.aggregate.status(), ls = p.alert.status();
  uint64_t processed = parse.messages_processed;
  double rate = double(processed - last_processed) / std::max(1e-9, seconds - last_seconds);
  last_processed = processed;
  last_seconds = seconds;
  auto [p50, p99] = alerts.percentiles_us();
  auto avg_us = [](const rk_telemetry& t) {
    return t.messages_processed ? double(t.total_latency_ns) / double(t.messages_processed) / 1000.0 : 0.0;
  };
  std::printf("[%6.2fs] sent %9llu | %6.2f M msg/s | depth parse %4u aggregate %4u alert %4u out %4u | "
              "queue latency avg us parse %.1f aggregate %.1f alert %.1f | end-to-end p50 %.1f us p99 %.1f us\n",
              seconds, (unsigned long long)sent, rate / 1e6, ps.input_depth, as.inbox_depth, ls.inbox_depth,
              ls.output_depth, avg_us(parse), avg_us(aggregate), avg_us(alert), p50, p99);
  std::fflush(stdout);
}

// Two runtimes' expositions as one: each metric family once (its HELP and TYPE lines), with
// the samples of both (their backend labels tell them apart), in first-seen order.
std::string merged_metrics(const std::vector<std::string>& expositions) {
  std::vector<std::pair<std::string, std::string>> families;  // "# HELP name" line -> the rest
  for (const std::string& text : expositions) {
    size_t at = 0;
    std::string* current = nullptr;
    while (at < text.size()) {
      size_t end = text.find('\n', at);
      std::string line = text.substr(at, end - at + 1);
      at = end == std::string::npos ? text.size() : end + 1;
      if (line.rfind("# HELP ", 0) == 0) {
        auto it = std::find_if(families.begin(), families.end(), [&](auto& f) { return f.first == line; });
        if (it == families.end()) it = families.insert(families.end(), {line, ""});
        current = &it->second;
        continue;  // the key holds the HELP line
      }
      if (current == nullptr) continue;
      if (line.rfind("# TYPE ", 0) == 0 && !current->empty()) continue;  // the first runtime's is there
      *current += line;
    }
  }
  std::string out;
  for (auto& [help, rest] : families) out += help + rest;
  return out;
}

bool check(const char* what, uint64_t got, uint64_t expected) {
  bool ok = got == expected;
  std::printf("  %-28s %12llu  (reference %llu)%s\n", what, (unsigned long long)got, (unsigned long long)expected,
              ok ? "" : "  MISMATCH");
  return ok;
}

// The message trace of each runtime, and what it holds.
void write_traces(const std::string& path, rk::Runtime& runtime, rk::Runtime* rest, Pipeline& p) {
  std::string second = path;
  size_t dot = second.find_last_of('.');
  second.insert(dot == std::string::npos || second.find('/', dot) != std::string::npos ? second.size() : dot, "-2");
  runtime.write_trace(path);
  if (rest) rest->write_trace(second);
  uint64_t records = 0, dropped = 0;
  for (rk::Kernel* kernel : {&p.parse, &p.aggregate, &p.alert}) {
    rk_kernel_status status = kernel->status();
    records += status.trace_records;
    dropped += status.trace_dropped;
  }
  std::printf("trace: %llu kernel records, %llu dropped, written to %s%s%s (open it in https://ui.perfetto.dev)\n",
              (unsigned long long)records, (unsigned long long)dropped, path.c_str(), rest ? " and " : "",
              rest ? second.c_str() : "");
  if (dropped != 0)
    std::printf("trace: records were lost (a kernel's trace ring was full, or the runtime kept its limit of "
                "RINGKERNEL_TRACE_MAX_RECORDS, 262144 by default): fewer --events trace every message\n");
}

// Rank 0 of --group: parse here, every reading to "1/aggregate".
int parse_rank(const Args& args, const std::vector<pipe_raw_event>& events, rk::Runtime& runtime) {
  rk::KernelSpec parse{.name = "parse", .source = std::string(rk::embedded::pipeline_messages) + "\n" + rk::embedded::parse_kernel,
                       .input_capacity = 4096, .state_bytes = 64, .accepted_types = {PIPE_RAW_EVENT},
                       .peers = {"1/aggregate"}};
  rk::Kernel kernel = runtime.launch(parse);  // waits until rank 1 has launched aggregate
  auto start = SteadyClock::now();
  for (pipe_raw_event event : events) {
    event.origin_ns = now_ns();
    kernel.send(event);
  }
  kernel.terminate();  // returns once rank 1 has taken every reading
  double elapsed = std::chrono::duration<double>(SteadyClock::now() - start).count();
  rk_telemetry t = kernel.telemetry();
  rk_group_status group = RK_GROUP_STATUS_INIT;
  rk::check(rk_group_status_get(&group), "group status");
  std::printf("rank 0: %llu events parsed in %.2f s, %llu readings sent to rank 1, %llu taken there\n",
              (unsigned long long)t.messages_processed, elapsed, (unsigned long long)group.messages_sent,
              (unsigned long long)group.messages_acknowledged);
  bool ok = check("events parsed", t.messages_processed, args.events);
  ok &= check("messages dropped", t.messages_dropped, 0);
  ok &= check("messages lost", group.messages_lost, 0);
  std::printf(ok ? "rank 0: all readings delivered\n" : "RANK 0 LOST MESSAGES\n");
  return ok ? 0 : 1;
}

// Rank 1 of --group: aggregate and alert here, and the check against the host reference.
int aggregate_rank(const pipeline::Outcome& expected, rk::Runtime& runtime) {
  Pipeline p;
  auto source = [](const char* kernel) { return std::string(rk::embedded::pipeline_messages) + "\n" + kernel; };
  p.alert = runtime.launch({.name = "alert", .source = source(rk::embedded::alert_kernel), .state_bytes = 1024,
                            .accepted_types = {PIPE_ANOMALY}});
  p.aggregate = runtime.launch({.name = "aggregate", .source = source(rk::embedded::aggregate_kernel),
                                .state_bytes = 1024, .accepted_types = {PIPE_READING}, .peers = {"alert"}});
  AlertCollector alerts;
  std::thread receiver([&] { alerts.run(p.alert); });
  // Every valid event becomes one reading; wait for them all, or for rank 0 to be gone.
  auto start = SteadyClock::now();
  for (;;) {
    if (p.aggregate.telemetry().messages_processed >= expected.valid) break;
    rk_group_peer_state state = RK_GROUP_PEER_CONNECTED;
    rk::check(rk_group_peer_state_get(0, &state, nullptr, 0), "peer state");
    if (state == RK_GROUP_PEER_LOST && p.aggregate.status().inbox_depth == 0) break;  // nothing more comes
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  double elapsed = std::chrono::duration<double>(SteadyClock::now() - start).count();
  p.aggregate.terminate();
  p.alert.terminate();
  receiver.join();
  rk_telemetry aggregate = p.aggregate.telemetry(), alert = p.alert.telemetry();
  std::printf("rank 1: %llu readings aggregated in %.2f s\n", (unsigned long long)aggregate.messages_processed, elapsed);
  bool ok = check("readings aggregated", aggregate.messages_processed, expected.valid);
  ok &= check("anomalies to alert", alert.messages_processed, expected.anomalies);
  ok &= check("alerts received", alerts.outcome.alerts, expected.alerts);
  ok &= check("alert digest", alerts.outcome.alert_digest, expected.alert_digest);
  ok &= check("messages dropped", aggregate.messages_dropped + alert.messages_dropped, 0);
  std::printf(ok ? "results match the host reference\n" : "RESULTS DIFFER FROM THE HOST REFERENCE\n");
  return ok ? 0 : 1;
}

int run_in_group(const Args& args) {
  rk::check(rk_group_join(nullptr, nullptr), "join the process group");
  rk_group_status group = RK_GROUP_STATUS_INIT;
  rk::check(rk_group_status_get(&group), "group status");
  if (group.size != 2 || group.rank > 1) throw std::runtime_error("--group runs on exactly two ranks");
  std::printf("ringkernel %s demo pipeline, rank %u of 2 over %s: %s, %llu events\n", rk_version_string(), group.rank,
              group.transport, group.rank == 0 ? "parse" : "aggregate -> alert", (unsigned long long)args.events);
  std::vector<pipe_raw_event> events = pipeline::generate_events(args.events, args.seed);
  int status = 0;
  {
    rk::Runtime runtime;
    status = group.rank == 0 ? parse_rank(args, events, runtime) : aggregate_rank(pipeline::reference(events), runtime);
  }
  rk_group_leave();
  return status;
}

}  // namespace

int main(int argc, char** argv) try {
  Args args = parse_args(argc, argv);
  if (args.group) return run_in_group(args);
  bool split = !args.parse_backend.empty();
  rk::Runtime runtime = split ? rk::Runtime(args.parse_backend) : rk::Runtime();
  std::optional<rk::Runtime> other;
  if (split) other.emplace(args.rest_backend);
  rk::Runtime& rest = split ? *other : runtime;
  std::printf("ringkernel %s demo pipeline: parse -> aggregate -> alert (K2K), %llu events\n", rk_version_string(),
              (unsigned long long)args.events);
  for (rk::Runtime* rt : {&runtime, &rest}) {
    rk_device_info device = rt->device();
    std::printf("%s: backend %s, device '%s', bridge %s\n", rt == &runtime ? "parse" : "aggregate, alert",
                rt->backend().c_str(), device.name,
                rt->bridge_mode() == RK_BRIDGE_PERSISTENT ? "persistent"
                : rt->bridge_mode() == RK_BRIDGE_RELAUNCH ? "relaunch"
                                                          : "relaunch-copy");
    if (!split) break;
  }

  std::vector<pipe_raw_event> events = pipeline::generate_events(args.events, args.seed);
  pipeline::Outcome expected = pipeline::reference(events);
  // Trace rings that hold a whole run (parse writes two records per event) up to 4 MiB
  // each: then nothing is lost however late the bridge gets to collect.
  uint32_t trace_capacity =
      args.trace.empty() ? 0u : std::min<uint32_t>(std::bit_ceil(uint32_t(std::min<uint64_t>(args.events, 1u << 20) * 2 + 1024)), 65536u);
  Pipeline p = launch(runtime, rest, trace_capacity);
  auto metrics = [&] { return split ? merged_metrics({runtime.metrics_text(), rest.metrics_text()}) : runtime.metrics_text(); };
#if RK_DEMO_METRICS_HTTP
  std::unique_ptr<rk::MetricsServer> server;
  if (args.metrics_port >= 0) {
    server = std::make_unique<rk::MetricsServer>(metrics, args.metrics_port);
    std::printf("metrics on http://127.0.0.1:%d/metrics\n", server->port());
    std::fflush(stdout);
  }
#else
  if (args.metrics_port >= 0) throw std::runtime_error("this build has no HTTP endpoint (cpp-httplib was not found)");
#endif

  AlertCollector alerts;
  std::thread receiver([&] { alerts.run(p.alert); });
  auto start = SteadyClock::now();
  auto seconds = [&] { return std::chrono::duration<double>(SteadyClock::now() - start).count(); };
  double next_report = 0.1, last_seconds = 0;
  uint64_t last_processed = 0;
  for (uint64_t i = 0; i < events.size(); ++i) {
    events[i].origin_ns = now_ns();
    p.parse.send(events[i]);
    if (!args.quiet && (i & 1023) == 0 && seconds() >= next_report) {
      print_progress(p, alerts, i + 1, seconds(), last_processed, last_seconds);
      next_report += 0.1;
    }
  }
  // Upstream first: each terminate drains that kernel, so everything reaches the next one.
  p.parse.terminate();
  p.aggregate.terminate();
  p.alert.terminate();
  receiver.join();
  double elapsed = seconds();
  if (!args.quiet) print_progress(p, alerts, events.size(), elapsed, last_processed, last_seconds);

  rk_telemetry parse = p.parse.telemetry(), aggregate = p.aggregate.telemetry(), alert = p.alert.telemetry();
  std::printf("done in %.2f s: %.2f M events/s through three ring kernels\n", elapsed, double(args.events) / elapsed / 1e6);
  bool ok = check("events parsed", parse.messages_processed, args.events);
  ok &= check("readings aggregated", aggregate.messages_processed, expected.valid);
  ok &= check("anomalies to alert", alert.messages_processed, expected.anomalies);
  ok &= check("alerts received", alerts.outcome.alerts, expected.alerts);
  ok &= check("alert digest", alerts.outcome.alert_digest, expected.alert_digest);
  ok &= check("messages dropped", parse.messages_dropped + aggregate.messages_dropped + alert.messages_dropped, 0);
  if (!args.metrics_out.empty()) {  // every kernel's final counters, Prometheus text format
    std::FILE* file = std::fopen(args.metrics_out.c_str(), "w");
    if (file == nullptr) throw std::runtime_error("cannot write " + args.metrics_out);
    std::fputs(metrics().c_str(), file);
    std::fclose(file);
  }
  if (!args.trace.empty()) write_traces(args.trace, runtime, split ? &rest : nullptr, p);
  std::printf(ok ? "results match the host reference\n" : "RESULTS DIFFER FROM THE HOST REFERENCE\n");
#if RK_DEMO_METRICS_HTTP
  if (server && args.metrics_linger > 0) {  // the final values stay up for a scraper
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::duration<double>(args.metrics_linger));
  }
#endif
  return ok ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "rk-demo-pipeline: %s\n", e.what());
  return 1;
}
