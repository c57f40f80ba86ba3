// The device's latency histograms (ring layout 6; rk_kernel_get_latency, docs/observability.md):
// every handled message lands in exactly one queueing bucket and one handler bucket, pulled
// messages in a queueing bucket only, and the metrics give them as Prometheus histograms.
// Nothing here asserts how long anything took: only counts, and relations that hold for
// any timing.
#include <cstdlib>
#include <numeric>
#include <sstream>
#include <string>

#include "ring_test_support.hpp"

using namespace ringtest;

namespace {

uint64_t total(const uint64_t (&buckets)[RK_LATENCY_BUCKETS]) {
  return std::accumulate(std::begin(buckets), std::end(buckets), uint64_t{0});
}

void every_message_is_in_both_histograms(const std::string& backend) {
  rk::Runtime& rt = runtime_for(backend);
  rk::Kernel echo = rt.launch(echo_spec("latency_echo_" + backend));
  constexpr uint64_t kMessages = 500;
  for (uint64_t i = 0; i < kMessages; ++i) CHECK(echo.request<Pong>(Ping{i}).value == i + 1);
  telemetry_after(echo, kMessages);
  rk_kernel_latency latency = echo.latency();
  CHECK(latency.bucket_count == RK_LATENCY_BUCKETS);
  CHECK(latency.messages_processed == kMessages);
  CHECK(total(latency.queueing) == kMessages);
  CHECK(total(latency.handler) == kMessages);
  // Quantiles are bucket upper bounds: ordered, and within the telemetry's max (whose
  // latency runs from the send to the handler's end, so it bounds both parts) times two.
  uint64_t p50 = rk::latency_quantile_ns(latency.handler, 0.5), p99 = rk::latency_quantile_ns(latency.handler, 0.99);
  CHECK(p50 <= p99);
  CHECK(p99 <= 2 * echo.telemetry().max_latency_ns + 2);
  CHECK(rk::latency_quantile_ns(latency.queueing, 0.99) <= 2 * echo.telemetry().max_latency_ns + 2);
  echo.terminate();
}

}  // namespace

TEST_CASE("latency histograms count every handled message once (cpu_sim)", "[latency]") {
  every_message_is_in_both_histograms("cpu_sim");
}
TEST_CASE("latency histograms count every handled message once (opencl)", "[latency][opencl]") {
  every_message_is_in_both_histograms("opencl");
}
TEST_CASE("latency histograms count every handled message once (cuda)", "[latency][cuda]") {
  every_message_is_in_both_histograms("cuda");
}

TEST_CASE("latency histograms survive a park and relaunch", "[latency][park]") {
  setenv("RINGKERNEL_PARK_TO_LOAD", "1", 1);  // read when the runtime opens (test_park.cpp)
  auto rt = own_runtime("cpu_sim");
  unsetenv("RINGKERNEL_PARK_TO_LOAD");
  rk::Kernel echo = rt->launch(echo_spec("latency_park"));
  for (uint64_t i = 0; i < 10; ++i) echo.request<Pong>(Ping{i});
  telemetry_after(echo, 10);
  rk::Kernel second = rt->launch(echo_spec("latency_park_2"));  // parks the first around its load
  for (uint64_t i = 0; i < 10; ++i) echo.request<Pong>(Ping{i});
  telemetry_after(echo, 20);
  CHECK(echo.status().relaunches >= 1);
  rk_kernel_latency latency = echo.latency();
  CHECK(total(latency.queueing) == 20);
  CHECK(total(latency.handler) == 20);
}

TEST_CASE("latency quantiles come from the buckets", "[latency]") {
  uint64_t buckets[RK_LATENCY_BUCKETS] = {};
  CHECK(rk::latency_quantile_ns(buckets, 0.5) == 0);  // empty
  buckets[3] = 50;   // [8, 16) ns
  buckets[10] = 49;  // [1024, 2048)
  buckets[20] = 1;   // [1 Mi, 2 Mi)
  CHECK(rk::latency_quantile_ns(buckets, 0.0) == 16);
  CHECK(rk::latency_quantile_ns(buckets, 0.5) == 16);
  CHECK(rk::latency_quantile_ns(buckets, 0.51) == 2048);
  CHECK(rk::latency_quantile_ns(buckets, 0.99) == 2048);
  CHECK(rk::latency_quantile_ns(buckets, 1.0) == (uint64_t{1} << 21));
  CHECK(rk_latency_quantile_ns(nullptr, RK_LATENCY_BUCKETS, 0.5) == 0);
}

TEST_CASE("latency: a struct_size below the first published size is refused", "[latency]") {
  rk::Kernel echo = runtime().launch(echo_spec("latency_bad_size"));
  rk_kernel_latency small = RK_KERNEL_LATENCY_INIT;
  small.struct_size = 8;
  CHECK(rk_kernel_get_latency(echo.get(), &small) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(rk_last_error()).find("rk_kernel_latency.struct_size") != std::string::npos);
  CHECK(rk_kernel_get_latency(echo.get(), nullptr) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(rk_kernel_get_latency(nullptr, &small) == RK_ERROR_INVALID_ARGUMENT);
  echo.terminate();
}

TEST_CASE("metrics: the device's histograms are Prometheus histograms", "[latency][metrics]") {
  auto rt = own_runtime("cpu_sim");
  rk::Kernel echo = rt->launch(echo_spec("latency_metrics"));
  for (uint64_t i = 0; i < 25; ++i) echo.request<Pong>(Ping{i});
  telemetry_after(echo, 25);
  const std::string text = rt->metrics_text();
  for (const std::string name : {"rk_kernel_queueing_seconds", "rk_kernel_handler_seconds"}) {
    INFO(name);
    CHECK(text.find("# TYPE " + name + " histogram\n") != std::string::npos);
    const std::string labels = "{kernel=\"latency_metrics\",backend=\"cpu_sim\"";
    CHECK(text.find(name + "_bucket" + labels + ",le=\"+Inf\"} 25\n") != std::string::npos);
    CHECK(text.find(name + "_count" + labels + "} 25\n") != std::string::npos);
    // Cumulative: the bucket counts never fall from one le to the next.
    std::istringstream in(text);
    uint64_t last = 0, buckets = 0;
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(name + "_bucket" + labels, 0) != 0) continue;
      uint64_t count = std::stoull(line.substr(line.rfind(' ') + 1));
      CHECK(count >= last);
      last = count;
      ++buckets;
    }
    CHECK(buckets == RK_LATENCY_BUCKETS);
  }
}
