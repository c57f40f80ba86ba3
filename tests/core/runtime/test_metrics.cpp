// rk_runtime_metrics_text: the Prometheus text exposition of a runtime's kernels
// (docs/observability.md). `promtool check metrics` runs on the demo's output in CTest
// where Prometheus is installed (demo/metrics-promtool).
#include <cstring>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "ring_test_support.hpp"

using namespace ringtest;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

}  // namespace

TEST_CASE("metrics: counters and state of each kernel, in the exposition format", "[metrics]") {
  auto rt = own_runtime("cpu_sim");
  rk::Kernel echo = rt->launch(echo_spec("metrics_echo"));
  for (uint64_t i = 0; i < 10; ++i) CHECK(echo.request<Pong>(Ping{i}).value == i + 1);
  telemetry_after(echo, 10);
  const std::string text = rt->metrics_text();
  CHECK(has_line(text, "# TYPE rk_kernel_messages_processed_total counter"));
  CHECK(has_line(text, "rk_kernel_messages_processed_total{kernel=\"metrics_echo\",backend=\"cpu_sim\"} 10"));
  CHECK(has_line(text, "rk_kernel_state{kernel=\"metrics_echo\",backend=\"cpu_sim\",state=\"Active\"} 1"));
  CHECK(has_line(text, "rk_kernel_latency_seconds_count{kernel=\"metrics_echo\",backend=\"cpu_sim\"} 10"));
  CHECK(has_line(text, "rk_runtime_kernels{backend=\"cpu_sim\"} 1"));

  // The syntax, line by line: HELP/TYPE comments, or name{labels} value; each TYPE once.
  const std::regex sample(R"re([a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*",?)*\})? -?[0-9.eE+-]+)re");
  std::map<std::string, int> types;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# HELP ", 0) == 0) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      ++types[line.substr(7, line.find(' ', 7) - 7)];
      continue;
    }
    INFO(line);
    CHECK(std::regex_match(line, sample));
  }
  for (const auto& [name, count] : types) {
    INFO(name);
    CHECK(count == 1);
  }
}

TEST_CASE("metrics: label values are escaped", "[metrics]") {
  auto rt = own_runtime("cpu_sim");
  rk::Kernel odd = rt->launch(echo_spec("odd \"name\" \\ here"));
  CHECK(rt->metrics_text().find("kernel=\"odd \\\"name\\\" \\\\ here\"") != std::string::npos);
}

TEST_CASE("metrics: the buffer protocol tells the size and never overruns", "[metrics]") {
  auto rt = own_runtime("cpu_sim");
  rk::Kernel echo = rt->launch(echo_spec("metrics_sizes"));
  size_t size = 0;
  REQUIRE(rk_runtime_metrics_text(rt->get(), nullptr, 0, &size) == RK_SUCCESS);
  CHECK(size > 100);
  char small[32];
  std::memset(small, 'x', sizeof(small));
  size_t again = 0;
  REQUIRE(rk_runtime_metrics_text(rt->get(), small, sizeof(small), &again) == RK_SUCCESS);
  CHECK(again >= sizeof(small));       // too small: the caller learns it
  CHECK(small[sizeof(small) - 1] == '\0');  // truncated, terminated
  CHECK(rk_runtime_metrics_text(rt->get(), nullptr, 0, nullptr) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(rk_runtime_metrics_text(rt->get(), nullptr, 8, &size) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(rk_runtime_metrics_text(nullptr, small, sizeof(small), &size) == RK_ERROR_INVALID_ARGUMENT);
}
