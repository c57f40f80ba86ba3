// rk-bench: suites register themselves here and return result rows; main.cpp runs them
// and writes JSON (and a table to stderr). A new suite is one .cpp in this folder with a
// static SuiteRegistration (plus, if it needs libraries, a same-named .cmake file that
// links them to the rk-bench target); nothing else is edited.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace rk::bench {

struct Param {
  std::string key;
  std::string value;
  bool is_number = false;  // written to JSON unquoted
};

// One measured thing. median/p99/min/max are over `runs` samples in `unit`. p99 is taken
// on the worse side: the 1st percentile when higher is better (throughput), the 99th
// when lower is better (latency).
struct ResultRow {
  std::string suite;
  std::string name;
  std::string unit;
  bool higher_is_better = true;
  double median = 0;
  double p99 = 0;
  double min = 0;
  double max = 0;
  int runs = 0;
  std::vector<Param> params;

  ResultRow& set(const std::string& key, const std::string& value);
  ResultRow& set(const std::string& key, const char* value) { return set(key, std::string(value)); }
  ResultRow& set(const std::string& key, double value);
};

// Fills median, p99, min, max and runs from the samples.
void summarize(ResultRow& row, std::vector<double> samples);

// A lower-is-better row named "<name> (<backend>)", summarized from `samples`, with the
// backend and the sample count as params.
ResultRow backend_row(const std::string& suite, const std::string& name, const std::string& unit,
                      const std::string& backend, std::vector<double> samples);

// The 64-byte echo the roundtrip, async, elastic and bridge suites time: a message through a running ring
// kernel and back, the reply's payload copied on the device straight from the request's
// slot (64 bytes, as in the queue suite): the copy the raw ping-pong's echo makes, slot to
// slot. (Until 2026-11-27 the handler first copied the payload into a private array, one
// copy more than the raw echo; docs/benchmarks.md has both.)
struct EchoPing {
  static constexpr uint32_t type_id = 1;
  uint64_t value;
  uint64_t pad[7];
};

inline constexpr const char* kEchoSource = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  (void)msg;
  return rk_reply(ctx, 1u, payload, 64u);
})";

struct Options {
  bool quick = false;     // fewer runs and messages: a smoke test, not a measurement
  int runs = 0;           // 0: the suite's default
  uint64_t messages = 0;  // 0: the suite's default
};

// Thrown by a suite that cannot run on this machine (no driver, no device): rk-bench
// reports it as skipped with the reason, in the table and the JSON, and goes on.
struct SuiteSkipped : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using SuiteFunction = std::function<std::vector<ResultRow>(const Options&)>;

struct Suite {
  std::string name;
  std::string description;
  SuiteFunction run;
};

void register_suite(const std::string& name, const std::string& description, SuiteFunction run);
const std::vector<Suite>& suites();

// `static SuiteRegistration reg{"name", "what it measures", function};` in a suite's .cpp.
struct SuiteRegistration {
  SuiteRegistration(const std::string& name, const std::string& description, SuiteFunction run) {
    register_suite(name, description, std::move(run));
  }
};

// rank 1 of the remote suite (rk-bench --remote-peer READY_FILE, started by the suite).
int remote_peer_main(const std::string& ready_path);

}  // namespace rk::bench
