// Reads a Chrome trace event JSON file the way a viewer does (Perfetto, chrome://tracing),
// for the tests of message traces (docs/observability.md): slices by track, flows by id, and
// every rule a viewer relies on checked. No Catch2 here: the trace tests and the
// rk-trace-check tool (run on the demo's --trace output) share it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace rk::test {

struct TraceSlice {
  int64_t ts = 0;  // ns
  int64_t end = 0;
  std::string name;
  nlohmann::json args;
};

struct FlowPoint {
  uint32_t tid = 0;
  int64_t ts = 0;
  bool seen = false;
};

struct ChromeTrace {
  nlohmann::json document;
  std::map<uint32_t, std::vector<TraceSlice>> slices;         // by tid, in file order
  std::map<uint64_t, std::pair<FlowPoint, FlowPoint>> flows;  // id -> start, end
  std::map<uint32_t, std::string> thread_names;
};

// Parses `path`. Each broken rule goes into `problems` (empty: a viewer shows it as meant):
// valid JSON with traceEvents; per track, slices in time order and never overlapping; each
// flow id has one start and one end, the start earlier, both strictly inside a slice of
// their track.
ChromeTrace read_chrome_trace(const std::string& path, std::vector<std::string>& problems);

// The slice of `tid` strictly enclosing `ts` (where a viewer binds a flow point), or null.
const TraceSlice* enclosing(const ChromeTrace& trace, uint32_t tid, int64_t ts);

// Flows that end on `tid`.
size_t flows_into(const ChromeTrace& trace, uint32_t tid);

// Host sends (slices named "send ...") that lead, flow by flow, through the kernel tracks
// `path` in order and back to a host receive ("receive ...").
size_t complete_chains(const ChromeTrace& trace, const std::vector<uint32_t>& path);

}  // namespace rk::test
