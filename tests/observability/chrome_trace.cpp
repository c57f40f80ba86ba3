#include "chrome_trace.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>

namespace rk::test {
namespace {

using json = nlohmann::json;

int64_t ns_of(const json& microseconds) { return std::llround(microseconds.get<double>() * 1000.0); }

void read_event(ChromeTrace& trace, const json& event, std::vector<std::string>& problems) {
  std::string phase = event.at("ph");
  uint32_t tid = event.at("tid");
  if (event.at("pid") != 1) problems.push_back("an event of pid " + event.at("pid").dump());
  if (phase == "M") {
    if (event.at("name") == "thread_name") trace.thread_names[tid] = event.at("args").at("name");
  } else if (phase == "X") {
    TraceSlice slice{ns_of(event.at("ts")), ns_of(event.at("ts")) + ns_of(event.at("dur")), event.at("name"),
                     event.at("args")};
    if (slice.end <= slice.ts) problems.push_back("slice '" + slice.name + "' has no duration");
    auto& track = trace.slices[tid];
    if (!track.empty() && track.back().end > slice.ts)
      problems.push_back("on track " + std::to_string(tid) + ", slice '" + slice.name + "' at " +
                         std::to_string(slice.ts) + " ns starts before the one before it ends (" +
                         std::to_string(track.back().end) + " ns)");
    track.push_back(slice);
  } else if (phase == "s" || phase == "f") {
    uint64_t id = event.at("id");
    auto& pair = trace.flows[id];
    FlowPoint& point = phase == "s" ? pair.first : pair.second;
    if (point.seen) problems.push_back("flow " + std::to_string(id) + " has two '" + phase + "' events");
    point = FlowPoint{tid, ns_of(event.at("ts")), true};
    if (phase == "f" && event.value("bp", "") != "e")
      problems.push_back("flow " + std::to_string(id) + " ends without bp:e (binding to its enclosing slice)");
  } else {
    problems.push_back("an event of phase '" + phase + "'");
  }
}

}  // namespace

ChromeTrace read_chrome_trace(const std::string& path, std::vector<std::string>& problems) {
  ChromeTrace trace;
  std::ifstream in(path);
  if (!in) {
    problems.push_back("cannot read " + path);
    return trace;
  }
  try {
    trace.document = json::parse(in);
    for (const json& event : trace.document.at("traceEvents")) read_event(trace, event, problems);
  } catch (const json::exception& e) {
    problems.push_back(std::string("not a Chrome trace: ") + e.what());
    return trace;
  }
  for (const auto& [id, pair] : trace.flows) {
    std::string flow = "flow " + std::to_string(id);
    if (!pair.first.seen || !pair.second.seen) {
      problems.push_back(flow + (pair.first.seen ? " has no end" : " has no start"));
      continue;
    }
    if (pair.first.ts >= pair.second.ts) problems.push_back(flow + " points backwards in time");
    if (enclosing(trace, pair.first.tid, pair.first.ts) == nullptr) problems.push_back(flow + " starts outside any slice");
    if (enclosing(trace, pair.second.tid, pair.second.ts) == nullptr) problems.push_back(flow + " ends outside any slice");
  }
  return trace;
}

const TraceSlice* enclosing(const ChromeTrace& trace, uint32_t tid, int64_t ts) {
  auto track = trace.slices.find(tid);
  if (track == trace.slices.end()) return nullptr;
  const auto& slices = track->second;  // in time order (checked): binary search
  auto after = std::upper_bound(slices.begin(), slices.end(), ts,
                                [](int64_t at, const TraceSlice& slice) { return at < slice.ts; });
  if (after == slices.begin()) return nullptr;
  const TraceSlice& slice = *(after - 1);
  return slice.ts < ts && ts < slice.end ? &slice : nullptr;
}

size_t flows_into(const ChromeTrace& trace, uint32_t tid) {
  size_t count = 0;
  for (const auto& [id, pair] : trace.flows) count += pair.second.tid == tid;
  return count;
}

size_t complete_chains(const ChromeTrace& trace, const std::vector<uint32_t>& path) {
  constexpr uint32_t kHost = 0;
  std::multimap<const TraceSlice*, FlowPoint> out_of;  // flows leaving each slice
  for (const auto& [id, pair] : trace.flows)
    out_of.emplace(enclosing(trace, pair.first.tid, pair.first.ts), pair.second);
  auto host = trace.slices.find(kHost);
  if (host == trace.slices.end()) return 0;
  size_t complete = 0;
  for (const TraceSlice& send : host->second) {
    if (send.name.rfind("send ", 0) != 0) continue;
    const TraceSlice* at = &send;
    for (size_t hop = 0; hop <= path.size() && at != nullptr; ++hop) {
      uint32_t next_tid = hop < path.size() ? path[hop] : kHost;
      auto range = out_of.equal_range(at);
      at = nullptr;
      for (auto it = range.first; it != range.second && at == nullptr; ++it)
        if (it->second.tid == next_tid) at = enclosing(trace, next_tid, it->second.ts);
    }
    if (at != nullptr && at->name.rfind("receive ", 0) == 0) ++complete;
  }
  return complete;
}

}  // namespace rk::test
