#include "observability/trace.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "api/environment.hpp"
#include "api/error.hpp"
#include "runtime/host_dialect.hpp"

namespace rk::core {
namespace {

constexpr uint64_t kDefaultMaxRecords = 262144;  // about 100 MB of JSON at the most
constexpr uint64_t kDefaultCollectUs = 1000;

// RINGKERNEL_TRACE=FILE for the first runtime of the process, FILE-2.ext for the second ...
std::string trace_path_from_environment() {
  const char* file = std::getenv("RINGKERNEL_TRACE");
  if (file == nullptr || *file == '\0') return {};
  static std::atomic<uint32_t> runtimes{0};
  uint32_t nth = ++runtimes;
  std::string path = file;
  if (nth == 1) return path;
  size_t slash = path.find_last_of('/');
  size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) dot = path.size();
  return path.substr(0, dot) + "-" + std::to_string(nth) + path.substr(dot);
}

rk_trace_record record_of(const rk_msg_header& header, uint32_t kind, rk_hlc clock, int64_t at_ns) {
  rk_trace_record record{};
  record.message_id = header.message_id;
  record.correlation_id = header.correlation_id;
  record.source_kernel = header.source_kernel;
  record.dest_kernel = header.dest_kernel;
  record.type_id = header.type_id;
  record.result = RK_SUCCESS;
  record.hlc_physical_ns = clock.physical_ns;
  record.hlc_logical = clock.logical;
  record.kind = kind;
  record.start_ns = at_ns;
  record.end_ns = at_ns;
  return record;
}

}  // namespace

// ---- the host's rings -------------------------------------------------------------------

HostTraceRing::HostTraceRing(uint32_t capacity) : mask_(capacity - 1u) {
  size_t bytes = sizeof(rk_trace_ring) + size_t{capacity} * sizeof(rk_trace_record);
  void* memory = ::operator new(bytes, std::align_val_t{alignof(rk_trace_ring)});
  std::memset(memory, 0, bytes);  // every page now, not on the message path
  ring_ = static_cast<rk_trace_ring*>(memory);
  ring_->capacity = capacity;
  ring_->mask = capacity - 1u;
  records_ = reinterpret_cast<rk_trace_record*>(ring_ + 1);
}

HostTraceRing::~HostTraceRing() { ::operator delete(ring_, std::align_val_t{alignof(rk_trace_ring)}); }

void HostTraceRing::put(const rk_trace_record& record) {
  if (tail_ - head_seen_ > mask_) {
    head_seen_ = rk_load_acquire_u64(&ring_->head);  // the collector copied those out
    if (tail_ - head_seen_ > mask_) {
      rk_store_relaxed_u64(&ring_->dropped, ++dropped_);
      return;
    }
  }
  records_[tail_ & mask_] = record;
  ++tail_;
  rk_store_release_u64(&ring_->tail, tail_);
}

rk_trace_record host_sent_record(const rk_msg_header& header) {
  return record_of(header, RK_TRACE_HOST_SENT, header.timestamp, header.sent_ns);
}

rk_trace_record host_received_record(const rk_msg_header& header) {
  // The host's clock with the message merged, as far as ordering goes: later than the
  // message's stamp, at least now.
  int64_t now = rk_clock_ns();
  rk_hlc merged = header.timestamp;
  if (now > merged.physical_ns) {
    merged.physical_ns = now;
    merged.logical = 0;
  } else {
    ++merged.logical;
  }
  return record_of(header, RK_TRACE_HOST_RECEIVED, merged, now);
}

// ---- the collector ----------------------------------------------------------------------

TraceCollector::TraceCollector()
    : max_records_(static_cast<size_t>(number_from_environment("RINGKERNEL_TRACE_MAX_RECORDS", kDefaultMaxRecords))),
      collect_every_ns_(static_cast<int64_t>(
          std::min<uint64_t>(number_from_environment("RINGKERNEL_TRACE_COLLECT_US", kDefaultCollectUs), 60'000'000) * 1000)),
      path_(trace_path_from_environment()) {}

TraceCollector::~TraceCollector() = default;

HostTraceRings TraceCollector::attach(uint32_t kernel_id, const std::string& name, rk_trace_ring* device_ring,
                                      uint32_t capacity) {
  auto sent = std::make_unique<HostTraceRing>(capacity);  // allocated outside the lock
  auto received = std::make_unique<HostTraceRing>(capacity);
  std::lock_guard lock(mutex_);
  if (!events_ && max_records_ != 0) {
    events_.reset(new (std::nothrow) TraceEvent[max_records_]);  // value-initialized: every page touched now
    if (!events_) {
      log_error("cannot allocate the trace collection of " + std::to_string(max_records_) +
                " records (RINGKERNEL_TRACE_MAX_RECORDS); every record is counted as dropped");
      max_records_ = 0;
    }
  }
  Kernel& kernel = kernels_[kernel_id];
  if (kernel.device.ring != nullptr) {  // the same id before: its rings were collected at terminate
    kernel.earlier_records += kernel.device.collected;
    kernel.earlier_dropped += kernel.device.dropped();
    kernel.earlier_host_records += kernel.sent.collected + kernel.received.collected;
    kernel.earlier_host_dropped += kernel.sent.dropped() + kernel.received.dropped();
  }
  kernel.name = name;
  kernel.device = Source{kernel_id, device_ring, capacity};
  kernel.sent = Source{RK_KERNEL_ID_HOST, sent->ring(), capacity};
  kernel.received = Source{RK_KERNEL_ID_HOST, received->ring(), capacity};
  kernel.sent_ring = std::move(sent);
  kernel.received_ring = std::move(received);
  running_.fetch_add(1, std::memory_order_relaxed);
  return HostTraceRings{kernel.sent_ring.get(), kernel.received_ring.get()};
}

void TraceCollector::stopped(uint32_t kernel_id) {
  std::lock_guard lock(mutex_);
  auto found = kernels_.find(kernel_id);
  if (found == kernels_.end() || closed_) return;
  collect_locked(found->second.sent);
  collect_locked(found->second.device);
  collect_locked(found->second.received);
  running_.fetch_sub(1, std::memory_order_relaxed);
}

void TraceCollector::collect_locked(Source& source) {
  rk_trace_ring* ring = source.ring;
  uint64_t head = rk_load_relaxed_u64(&ring->head);  // ours alone
  uint64_t tail = rk_load_acquire_u64(&ring->tail);  // pairs with the writer's release: records complete
  if (tail - head > source.capacity) {
    log_warn("a trace ring's tail " + std::to_string(tail) + " is more than " + std::to_string(source.capacity) +
             " records past its head " + std::to_string(head) + "; its records are skipped");
    source.kept_dropped += tail - head;
    rk_store_release_u64(&ring->head, tail);
    return;
  }
  const auto* records = reinterpret_cast<const rk_trace_record*>(ring + 1);  // right behind the header
  for (uint64_t i = head; i != tail; ++i) {
    if (event_count_ >= max_records_) {
      source.kept_dropped += tail - i;
      break;
    }
    TraceEvent& event = events_[event_count_++];
    event.track = source.track;
    std::memcpy(&event.record, &records[i & (source.capacity - 1)], sizeof(rk_trace_record));
    ++source.collected;
  }
  rk_store_release_u64(&ring->head, tail);  // after the copies: the writer may use the room
  source.ring_dropped = rk_load_relaxed_u64(&ring->dropped);
}

void TraceCollector::collect_all_locked() {
  if (closed_) return;
  for (auto& [id, kernel] : kernels_) {
    collect_locked(kernel.sent);  // a message's send before what the kernel did with it
    collect_locked(kernel.device);
    collect_locked(kernel.received);
  }
}

void TraceCollector::collect_soon() {
  if (!collecting()) return;
  int64_t now = rk_clock_ns();
  if (now - last_collect_ns_.load(std::memory_order_relaxed) < collect_every_ns_) return;
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return;  // someone else is collecting right now
  collect_all_locked();
  last_collect_ns_.store(now, std::memory_order_relaxed);
}

bool TraceCollector::collecting() const {
  return collect_every_ns_ != 0 && running_.load(std::memory_order_relaxed) != 0;
}

void TraceCollector::close() {
  std::lock_guard lock(mutex_);
  collect_all_locked();
  closed_ = true;
}

TraceSnapshot TraceCollector::snapshot(const std::string& backend) {
  std::lock_guard lock(mutex_);
  collect_all_locked();
  TraceSnapshot snapshot;
  snapshot.backend = backend;
  snapshot.events.assign(events_.get(), events_.get() + event_count_);
  TraceTrackCounts host{RK_KERNEL_ID_HOST, "host", 0, 0};
  std::vector<TraceTrackCounts> kernels;
  for (const auto& [id, kernel] : kernels_) {
    host.records += kernel.earlier_host_records + kernel.sent.collected + kernel.received.collected;
    host.dropped += kernel.earlier_host_dropped + kernel.sent.dropped() + kernel.received.dropped();
    kernels.push_back(TraceTrackCounts{id, kernel.name, kernel.earlier_records + kernel.device.collected,
                                       kernel.earlier_dropped + kernel.device.dropped()});
  }
  snapshot.tracks.push_back(host);
  snapshot.tracks.insert(snapshot.tracks.end(), kernels.begin(), kernels.end());
  return snapshot;
}

TraceTrackCounts TraceCollector::counts(uint32_t kernel_id) {
  std::lock_guard lock(mutex_);
  auto found = kernels_.find(kernel_id);
  if (found == kernels_.end()) return TraceTrackCounts{kernel_id, "", 0, 0};
  const Kernel& kernel = found->second;
  // The device's count read now (until the rings go): status shows drops as they happen.
  uint64_t ring_dropped = closed_ ? kernel.device.ring_dropped : rk_load_relaxed_u64(&kernel.device.ring->dropped);
  return TraceTrackCounts{kernel_id, kernel.name, kernel.earlier_records + kernel.device.collected,
                          kernel.earlier_dropped + ring_dropped + kernel.device.kept_dropped};
}

}  // namespace rk::core
