#include "observability/trace_json.hpp"

#include "api/error.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <tuple>
#include <unordered_map>

namespace rk::core {
namespace {

constexpr int64_t kMinSliceNs = 2;  // room for a flow's end strictly inside: start + 1

// A message by what its sender and receiver both record.
using FlowKey = std::tuple<uint32_t, uint32_t, uint64_t>;  // source, dest, message_id

FlowKey key_of(const rk_trace_record& record) {
  return {record.source_kernel, record.dest_kernel, record.message_id};
}

struct Slice {
  uint32_t track = 0;
  int64_t ts = 0;  // page time, ns
  int64_t dur = 0;
  const rk_trace_record* record = nullptr;
};

struct Point {
  uint32_t track = 0;
  int64_t ts = 0;
};

struct Flow {
  Point from;
  Point to;
};

// Lays the events out in page time (see chrome_trace_json).
class Timeline {
 public:
  void add(const TraceEvent& event) {
    const rk_trace_record& record = event.record;
    switch (record.kind) {
      case RK_TRACE_HANDLED: handled(event.track, record); break;
      case RK_TRACE_SENT: sent(event.track, record); break;
      case RK_TRACE_PULLED: pulled(event.track, record); break;
      case RK_TRACE_HOST_SENT: host_sent(record); break;
      case RK_TRACE_HOST_RECEIVED: host_received(record); break;
      default: break;  // a kind this version does not know: nothing to draw
    }
  }

  std::vector<Slice> slices;
  std::vector<Flow> flows;

 private:
  struct Open {
    size_t slice = 0;
    int64_t device_start = 0;
    int64_t device_end = 0;
  };

  int64_t earliest(uint32_t track, int64_t hlc_ns) {
    auto end = track_end_.find(track);
    return end == track_end_.end() ? hlc_ns : std::max(hlc_ns, end->second);
  }

  size_t place(uint32_t track, int64_t ts, int64_t dur, const rk_trace_record& record) {
    slices.push_back(Slice{track, ts, dur, &record});
    track_end_[track] = ts + dur;
    return slices.size() - 1;
  }

  // The send this arrival came from, if it was recorded (and not already taken).
  bool take_send(const rk_trace_record& record, Point& from) {
    auto found = in_flight_.find(key_of(record));
    if (found == in_flight_.end()) return false;
    from = found->second;
    in_flight_.erase(found);
    return true;
  }

  // Where in the track's current handler slice the kernel's clock reading `device_ns`
  // falls, strictly inside it; a new small slice when no handler slice holds it. `holder`
  // gets the slice's index.
  Point point_in_slice(uint32_t track, int64_t device_ns, int64_t hlc_ns, const rk_trace_record& record,
                       size_t& holder) {
    auto open = open_.find(track);
    if (open != open_.end() && device_ns >= open->second.device_start && device_ns <= open->second.device_end) {
      holder = open->second.slice;
      const Slice& slice = slices[holder];
      int64_t at = slice.ts + (device_ns - open->second.device_start);
      return Point{track, std::clamp(at, slice.ts + 1, slice.ts + slice.dur - 1)};
    }
    holder = place(track, earliest(track, hlc_ns), kMinSliceNs, record);
    open_.erase(track);
    return Point{track, slices[holder].ts + 1};
  }

  void handled(uint32_t track, const rk_trace_record& record) {
    Point from;
    bool linked = take_send(record, from);
    int64_t ts = earliest(track, record.hlc_physical_ns);
    if (linked) ts = std::max(ts, from.ts + 1);
    int64_t dur = std::max(record.end_ns - record.start_ns, kMinSliceNs);
    size_t index = place(track, ts, dur, record);
    open_[track] = Open{index, record.start_ns, record.end_ns};
    if (linked) flows.push_back(Flow{from, Point{track, ts + 1}});
  }

  void sent(uint32_t track, const rk_trace_record& record) {
    size_t holder = 0;
    in_flight_[key_of(record)] = point_in_slice(track, record.start_ns, record.hlc_physical_ns, record, holder);
  }

  void pulled(uint32_t track, const rk_trace_record& record) {
    Point from;
    bool linked = take_send(record, from);
    size_t holder = 0;
    Point to = point_in_slice(track, record.start_ns, record.hlc_physical_ns, record, holder);
    if (!linked) return;
    if (to.ts <= from.ts) {  // the send was placed later than the kernel's clock says: stretch
      to.ts = from.ts + 1;
      Slice& slice = slices[holder];
      slice.dur = std::max(slice.dur, to.ts + 1 - slice.ts);
      track_end_[track] = std::max(track_end_[track], slice.ts + slice.dur);
    }
    flows.push_back(Flow{from, to});
  }

  void host_sent(const rk_trace_record& record) {
    size_t index = place(RK_KERNEL_ID_HOST, earliest(RK_KERNEL_ID_HOST, record.hlc_physical_ns), kMinSliceNs, record);
    in_flight_[key_of(record)] = Point{RK_KERNEL_ID_HOST, slices[index].ts + 1};
  }

  void host_received(const rk_trace_record& record) {
    Point from;
    bool linked = take_send(record, from);
    int64_t ts = earliest(RK_KERNEL_ID_HOST, record.hlc_physical_ns);
    if (linked) ts = std::max(ts, from.ts + 1);
    place(RK_KERNEL_ID_HOST, ts, kMinSliceNs, record);
    if (linked) flows.push_back(Flow{from, Point{RK_KERNEL_ID_HOST, ts + 1}});
  }

  std::map<FlowKey, Point> in_flight_;
  std::unordered_map<uint32_t, int64_t> track_end_;
  std::unordered_map<uint32_t, Open> open_;
};

void append_escaped(std::string& out, const std::string& text) {
  out += '"';
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof(buffer), "\\u%04x", c);
      out += buffer;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

// Microseconds with three decimals: exact to the nanosecond.
void append_us(std::string& out, int64_t ns) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%lld.%03lld", static_cast<long long>(ns / 1000),
                static_cast<long long>(ns % 1000));
  out += buffer;
}

class Writer {
 public:
  explicit Writer(const TraceSnapshot& snapshot) : snapshot_(snapshot) {
    for (const TraceTrackCounts& track : snapshot.tracks) names_[track.id] = track.name;
  }

  std::string json(const Timeline& timeline) {
    int64_t base = INT64_MAX;
    for (const Slice& slice : timeline.slices) base = std::min(base, slice.ts);
    base_ = base == INT64_MAX ? 0 : base;
    out_ = "{\"displayTimeUnit\":\"ns\",\"otherData\":";
    other_data();
    out_ += ",\"traceEvents\":[\n";
    metadata();
    // In page order, so each track's slices come in time order in the file too.
    std::vector<const Slice*> ordered;
    for (const Slice& slice : timeline.slices) ordered.push_back(&slice);
    std::stable_sort(ordered.begin(), ordered.end(), [](const Slice* a, const Slice* b) { return a->ts < b->ts; });
    for (const Slice* slice : ordered) this->slice(*slice);
    uint64_t id = 0;
    for (const Flow& flow : timeline.flows) {
      ++id;
      flow_event("s", id, flow.from);
      flow_event("f", id, flow.to);
    }
    if (out_.ends_with(",\n")) out_.resize(out_.size() - 2);
    out_ += "\n]}\n";
    return std::move(out_);
  }

 private:
  std::string name_of(uint32_t id) const {
    if (id == RK_KERNEL_ID_HOST) return "host";
    auto found = names_.find(id);
    return found != names_.end() ? found->second : "kernel " + std::to_string(id);
  }

  void other_data() {
    uint64_t records = 0, dropped = 0;
    for (const TraceTrackCounts& track : snapshot_.tracks) {
      records += track.records;
      dropped += track.dropped;
    }
    out_ += "{\"producer\":\"ringkernel\",\"backend\":";
    append_escaped(out_, snapshot_.backend);
    out_ += ",\"records\":" + std::to_string(records) + ",\"dropped\":" + std::to_string(dropped) + ",\"tracks\":[";
    for (size_t i = 0; i < snapshot_.tracks.size(); ++i) {
      const TraceTrackCounts& track = snapshot_.tracks[i];
      out_ += i ? "," : "";
      out_ += "{\"id\":" + std::to_string(track.id) + ",\"name\":";
      append_escaped(out_, track.name);
      out_ += ",\"records\":" + std::to_string(track.records) + ",\"dropped\":" + std::to_string(track.dropped) + "}";
    }
    out_ += "]}";
  }

  void metadata() {
    out_ += "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,\"args\":{\"name\":";
    append_escaped(out_, "ringkernel (" + snapshot_.backend + ")");
    out_ += "}},\n";
    for (const TraceTrackCounts& track : snapshot_.tracks) {
      std::string label = track.id == RK_KERNEL_ID_HOST ? "host" : "kernel " + track.name;
      if (track.dropped) label += " (" + std::to_string(track.dropped) + " records dropped)";
      out_ += "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":" + std::to_string(track.id) + ",\"args\":{\"name\":";
      append_escaped(out_, label);
      out_ += "}},\n{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":1,\"tid\":" + std::to_string(track.id) +
              ",\"args\":{\"sort_index\":" + std::to_string(track.id) + "}},\n";
    }
  }

  std::string slice_name(const rk_trace_record& record) const {
    std::string type = "type " + std::to_string(record.type_id);
    switch (record.kind) {
      case RK_TRACE_HOST_SENT: return "send " + type + " to " + name_of(record.dest_kernel);
      case RK_TRACE_HOST_RECEIVED: return "receive " + type + " from " + name_of(record.source_kernel);
      case RK_TRACE_HANDLED: return type + " from " + name_of(record.source_kernel);
      default: return "outside a handler";  // a send or pull no handler slice holds
    }
  }

  void slice(const Slice& slice) {
    const rk_trace_record& record = *slice.record;
    out_ += "{\"name\":";
    append_escaped(out_, slice_name(record));
    out_ += ",\"cat\":\"";
    bool by_host = record.kind == RK_TRACE_HOST_SENT || record.kind == RK_TRACE_HOST_RECEIVED;
    out_ += record.kind == RK_TRACE_HANDLED ? "handler" : by_host ? "host" : "kernel";
    out_ += "\",\"ph\":\"X\",\"pid\":1,\"tid\":" + std::to_string(slice.track) + ",\"ts\":";
    append_us(out_, slice.ts - base_);
    out_ += ",\"dur\":";
    append_us(out_, slice.dur);
    out_ += ",\"args\":{\"message_id\":" + std::to_string(record.message_id) +
            ",\"correlation_id\":" + std::to_string(record.correlation_id) + ",\"source\":";
    append_escaped(out_, name_of(record.source_kernel));
    out_ += ",\"dest\":";
    append_escaped(out_, name_of(record.dest_kernel));
    out_ += ",\"type_id\":" + std::to_string(record.type_id);
    if (record.kind == RK_TRACE_HANDLED) {
      out_ += ",\"result\":";
      append_escaped(out_, rk_result_name(static_cast<rk_result>(record.result)));
      out_ += ",\"handler_ns\":" + std::to_string(record.end_ns - record.start_ns);
    }
    out_ += ",\"hlc\":\"" + std::to_string(record.hlc_physical_ns) + "." + std::to_string(record.hlc_logical) +
            "\"}},\n";
  }

  void flow_event(const char* phase, uint64_t id, const Point& at) {
    out_ += "{\"name\":\"message\",\"cat\":\"message\",\"ph\":\"";
    out_ += phase;
    out_ += "\",\"id\":" + std::to_string(id) + ",\"pid\":1,\"tid\":" + std::to_string(at.track) + ",\"ts\":";
    append_us(out_, at.ts - base_);
    out_ += phase[0] == 'f' ? ",\"bp\":\"e\"},\n" : "},\n";
  }

  const TraceSnapshot& snapshot_;
  std::unordered_map<uint32_t, std::string> names_;
  std::string out_;
  int64_t base_ = 0;
};

}  // namespace

std::string chrome_trace_json(const TraceSnapshot& snapshot) {
  // HLC order: every message's arrival comes after its send. Ties (concurrent events on
  // different tracks) by track, then by the recorder's clock.
  std::vector<const TraceEvent*> order;
  order.reserve(snapshot.events.size());
  for (const TraceEvent& event : snapshot.events) order.push_back(&event);
  std::stable_sort(order.begin(), order.end(), [](const TraceEvent* a, const TraceEvent* b) {
    const rk_trace_record& x = a->record;
    const rk_trace_record& y = b->record;
    return std::tie(x.hlc_physical_ns, x.hlc_logical, a->track, x.start_ns) <
           std::tie(y.hlc_physical_ns, y.hlc_logical, b->track, y.start_ns);
  });
  Timeline timeline;
  for (const TraceEvent* event : order) timeline.add(*event);
  return Writer(snapshot).json(timeline);
}

rk_result write_trace_file(const TraceSnapshot& snapshot, const std::string& path) {
  if (path.empty()) return fail(RK_ERROR_INVALID_ARGUMENT, "trace path is empty");
  std::string json = chrome_trace_json(snapshot);
  std::string aside = path + ".partial";
  {
    std::ofstream out(aside, std::ios::binary | std::ios::trunc);
    if (out) out.write(json.data(), static_cast<std::streamsize>(json.size()));
    if (!out || !out.flush())
      return fail(RK_ERROR_INVALID_ARGUMENT, "cannot write the trace to '" + aside + "': " + std::strerror(errno));
  }
  if (std::rename(aside.c_str(), path.c_str()) != 0) {
    std::string why = std::strerror(errno);
    std::remove(aside.c_str());
    return fail(RK_ERROR_INVALID_ARGUMENT, "cannot move the trace into '" + path + "': " + why);
  }
  return RK_SUCCESS;
}

}  // namespace rk::core
