// Message traces (RK_KERNEL_TRACE, rk_runtime_write_trace, RINGKERNEL_TRACE; ring layout 7;
// docs/observability.md). The written file is parsed as Chrome trace event JSON and checked
// the way a viewer reads it: every flow has a start and an end, each inside a slice of its
// track; slices on a track never overlap and come in time order; arrows point forward.
// Then the content: a 3-kernel chain's flows connect host -> A -> B -> C -> host for every
// message, pulls end flows too, a full trace ring counts exactly what it lost. Nothing here
// depends on timing: only counts and relations that hold under any interleaving.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "chrome_trace.hpp"
#include "ring_test_support.hpp"

using namespace ringtest;
using rk::test::complete_chains;
using rk::test::flows_into;

namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("rk_trace_" + std::to_string(::getpid()) + "_" + name)).string();
}

// Parses the file and requires it to be what a viewer expects (chrome_trace.hpp).
rk::test::ChromeTrace read_trace(const std::string& path) {
  std::vector<std::string> problems;
  rk::test::ChromeTrace trace = rk::test::read_chrome_trace(path, problems);
  for (const std::string& problem : problems) FAIL_CHECK(problem);
  REQUIRE(problems.empty());
  return trace;
}

rk::KernelSpec traced(rk::KernelSpec spec) {
  spec.trace = true;
  return spec;
}

rk::KernelSpec forward_spec(const std::string& name, std::vector<std::string> peers) {
  rk::KernelSpec spec;
  spec.name = name;
  spec.source = kForwardSource;
  spec.peers = std::move(peers);
  return traced(spec);
}

void chain_flows_connect(const std::string& backend) {
  auto rt = own_runtime(backend);
  rk::Kernel c = rt->launch(forward_spec("trace_c", {}));
  rk::Kernel b = rt->launch(forward_spec("trace_b", {"trace_c"}));
  rk::Kernel a = rt->launch(forward_spec("trace_a", {"trace_b"}));
  constexpr uint64_t kMessages = 200;
  for (uint64_t i = 0; i < kMessages; ++i) a.send(Value{i});
  for (uint64_t i = 0; i < kMessages; ++i) {
    auto out = c.receive<Value>(10'000'000'000ull);
    REQUIRE(out.has_value());
    REQUIRE(out->message.value == i + 3);
  }
  for (rk::Kernel* kernel : {&a, &b, &c}) telemetry_after(*kernel, kMessages);
  std::string path = temp_path("chain_" + backend + ".json");
  rt->write_trace(path);
  for (rk::Kernel* kernel : {&a, &b, &c}) {
    rk_kernel_status status = kernel->status();
    CHECK(status.trace_records == 2 * kMessages);  // each message: its handler run and its send
    CHECK(status.trace_dropped == 0);
  }
  rk::test::ChromeTrace trace = read_trace(path);
  std::remove(path.c_str());
  CHECK(trace.thread_names[a.id()] == "kernel trace_a");
  CHECK(trace.thread_names[RK_KERNEL_ID_HOST] == "host");
  CHECK(trace.slices[a.id()].size() == kMessages);
  CHECK(trace.slices[RK_KERNEL_ID_HOST].size() == 2 * kMessages);  // a send and a receive each
  CHECK(trace.flows.size() == 4 * kMessages);                      // host->A->B->C->host
  CHECK(complete_chains(trace, {a.id(), b.id(), c.id()}) == kMessages);
  CHECK(trace.document["otherData"]["dropped"] == 0);
  const rk::test::TraceSlice& first = trace.slices[b.id()].front();
  CHECK(first.args["source"] == "trace_a");
  CHECK(first.args["dest"] == "trace_b");
  CHECK(first.args["result"] == "RK_SUCCESS");
}

// Counts what arrives, by the loop and by pulls; sends nothing.
const char* const kGatherSource = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  (void)msg; (void)payload;
  rk_msg_header header;
  uint64_t value = 0;
  while (rk_try_receive_from_kernel(ctx, &header, &value, 8u) == RK_SUCCESS) {}
  return RK_SUCCESS;
}
)";

// Takes messages and sends nothing.
const char* const kSinkSource = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  (void)ctx; (void)msg; (void)payload;
  return RK_SUCCESS;
}
)";

rk::KernelSpec sink_spec(const std::string& name, uint32_t trace_capacity) {
  rk::KernelSpec spec;
  spec.name = name;
  spec.source = kSinkSource;
  spec.input_capacity = 128;
  spec.trace_capacity = trace_capacity;
  return traced(spec);
}

}  // namespace

TEST_CASE("a traced 3-kernel chain: every message's flows connect host, A, B, C, host (cpu_sim)", "[trace]") {
  chain_flows_connect("cpu_sim");
}
TEST_CASE("a traced 3-kernel chain: every message's flows connect host, A, B, C, host (opencl)", "[trace][opencl]") {
  chain_flows_connect("opencl");
}

TEST_CASE("a pulled message ends its flow in the handler run that pulled it", "[trace]") {
  auto rt = own_runtime("cpu_sim");
  rk::KernelSpec gather;
  gather.name = "trace_gather";
  gather.source = kGatherSource;
  rk::Kernel g = rt->launch(traced(gather));
  rk::Kernel p = rt->launch(forward_spec("trace_producer", {"trace_gather"}));
  constexpr uint64_t kMessages = 300;
  for (uint64_t i = 0; i < kMessages; ++i) p.send(Value{i});
  REQUIRE(wait_until([&] { return p.telemetry().messages_processed == kMessages; }));
  // Every message reaches the gatherer by the loop or by a pull; either way it is counted
  // processed once, and each is one trace record.
  REQUIRE(wait_until([&] { return g.telemetry().messages_processed == kMessages; }));
  std::string path = temp_path("pull.json");
  rt->write_trace(path);
  rk::test::ChromeTrace trace = read_trace(path);
  std::remove(path.c_str());
  CHECK(g.status().trace_records == kMessages);
  CHECK(flows_into(trace, g.id()) == kMessages);  // handled or pulled, each one arrow
  CHECK(flows_into(trace, p.id()) == kMessages);  // from the host
}

TEST_CASE("a full trace ring counts each record it loses; collecting makes room again", "[trace]") {
  // Without the bridge collecting every millisecond, the host collects only on write and
  // when a kernel terminates: the ring keeps the first 16 records and counts the rest.
  setenv("RINGKERNEL_TRACE_COLLECT_US", "0", 1);  // read when the runtime opens
  auto rt = own_runtime("cpu_sim");
  unsetenv("RINGKERNEL_TRACE_COLLECT_US");
  rk::Kernel sink = rt->launch(sink_spec("trace_sink", 16));
  for (uint64_t i = 0; i < 100; ++i) sink.send(Value{i});
  telemetry_after(sink, 100);
  CHECK(sink.status().trace_dropped == 84);
  CHECK(sink.status().trace_records == 0);  // nothing collected yet
  std::string path = temp_path("overflow.json");
  rt->write_trace(path);
  CHECK(sink.status().trace_records == 16);
  for (uint64_t i = 0; i < 10; ++i) sink.send(Value{i});
  telemetry_after(sink, 110);
  rt->write_trace(path);  // everything so far, again
  rk_kernel_status status = sink.status();
  CHECK(status.trace_records == 26);
  CHECK(status.trace_dropped == 84);
  rk::test::ChromeTrace trace = read_trace(path);
  std::remove(path.c_str());
  CHECK(trace.slices[sink.id()].size() == 26);
  // The host's sends to the kernel go into a ring of the same capacity: the same count.
  CHECK(trace.slices[RK_KERNEL_ID_HOST].size() == 26);
  CHECK(trace.thread_names[sink.id()] == "kernel trace_sink (84 records dropped)");
  CHECK(trace.thread_names[RK_KERNEL_ID_HOST] == "host (84 records dropped)");
  CHECK(trace.document["otherData"]["dropped"] == 168);
  CHECK(trace.flows.size() == 26);  // the first 16 sends, then the 10 after the write
  std::string metrics = rt->metrics_text();
  CHECK(metrics.find("rk_kernel_trace_dropped_total{kernel=\"trace_sink\",backend=\"cpu_sim\"} 84\n") != std::string::npos);
  CHECK(metrics.find("rk_kernel_trace_records_total{kernel=\"trace_sink\",backend=\"cpu_sim\"} 26\n") != std::string::npos);
}

TEST_CASE("the bridge collects trace rings while kernels run: a small ring loses nothing it had time for", "[trace]") {
  auto rt = own_runtime("cpu_sim");
  rk::Kernel sink = rt->launch(sink_spec("trace_collected", 16));
  // Whatever the timing, every record is either collected or counted as dropped; the
  // bridge's collections are what let more than 16 through.
  for (uint64_t i = 0; i < 100; ++i) sink.send(Value{i});
  telemetry_after(sink, 100);
  std::string path = temp_path("collected.json");
  rt->write_trace(path);
  rk_kernel_status status = sink.status();
  CHECK(status.trace_records + status.trace_dropped == 100);
  rk::test::ChromeTrace trace = read_trace(path);
  std::remove(path.c_str());
  CHECK(trace.slices[sink.id()].size() == status.trace_records);
}

TEST_CASE("a kernel without tracing records nothing, beside one with it", "[trace]") {
  auto rt = own_runtime("cpu_sim");
  rk::Kernel plain = rt->launch(echo_spec("trace_plain"));
  rk::Kernel seen = rt->launch(traced(echo_spec("trace_seen")));
  for (uint64_t i = 0; i < 20; ++i) {
    CHECK(plain.request<Pong>(Ping{i}).value == i + 1);
    CHECK(seen.request<Pong>(Ping{i}).value == i + 1);
  }
  telemetry_after(seen, 20);
  std::string path = temp_path("mixed.json");
  rt->write_trace(path);
  rk::test::ChromeTrace trace = read_trace(path);
  std::remove(path.c_str());
  CHECK(plain.status().trace_records == 0);
  CHECK(trace.slices.count(plain.id()) == 0);
  CHECK(trace.slices[seen.id()].size() == 20);
  CHECK(trace.slices[RK_KERNEL_ID_HOST].size() == 40);  // requests to and replies from `seen` only
  CHECK(trace.flows.size() == 40);
}

TEST_CASE("RINGKERNEL_TRACE traces every kernel and writes the file when the runtime goes", "[trace]") {
  std::string path = temp_path("environment.json");
  std::remove(path.c_str());
  setenv("RINGKERNEL_TRACE", path.c_str(), 1);  // read when the runtime opens
  auto rt = own_runtime("cpu_sim");
  unsetenv("RINGKERNEL_TRACE");
  uint32_t id = 0;
  {
    rk::Kernel echo = rt->launch(echo_spec("trace_everything"));  // no trace flag of its own
    id = echo.id();
    for (uint64_t i = 0; i < 10; ++i) CHECK(echo.request<Pong>(Ping{i}).value == i + 1);
    telemetry_after(echo, 10);
  }
  CHECK_FALSE(std::filesystem::exists(path));  // written at the end, not before
  rt.reset();
  REQUIRE(std::filesystem::exists(path));
  rk::test::ChromeTrace trace = read_trace(path);
  std::remove(path.c_str());
  CHECK(trace.slices[id].size() == 10);
  CHECK(complete_chains(trace, {id}) == 10);
}

TEST_CASE("trace errors: an unwritable path, a bad capacity", "[trace][bad-input]") {
  auto rt = own_runtime("cpu_sim");
  CHECK(rk_runtime_write_trace(rt->get(), "/nonexistent-dir/trace.json") == RK_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(rk_last_error()).find("/nonexistent-dir/trace.json") != std::string::npos);
  CHECK(rk_runtime_write_trace(rt->get(), nullptr) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(rk_runtime_write_trace(nullptr, "x.json") == RK_ERROR_INVALID_ARGUMENT);
  rk_kernel_options options = RK_KERNEL_OPTIONS_INIT;
  options.name = "trace_bad_capacity";
  options.source = kSinkSource;
  options.flags = RK_KERNEL_TRACE;
  options.trace_capacity = 100;  // not a power of two
  rk_kernel kernel = nullptr;
  CHECK(rk_kernel_create(rt->get(), &options, &kernel) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(rk_last_error()).find("trace_capacity") != std::string::npos);
}
