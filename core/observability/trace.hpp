// Message traces, the host's side (docs/observability.md, "Message traces"). Each runtime
// has one collector. Records come from trace rings (rk_trace_ring, the protocol of
// core/dialect/rk_trace.h): each traced kernel writes one in its ring block, and the host
// writes two per traced kernel in its own memory, one from the kernel's send path and one
// from its receive path, so every ring has one producer and nothing on the message path
// takes a lock. The collector (the bridge thread, every millisecond; and terminate and
// write) copies them into one list, which trace_json.cpp turns into Chrome trace JSON.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ringkernel.h"

namespace rk::core {

struct TraceEvent {
  uint32_t track = 0;  // the recorder: a kernel id, or RK_KERNEL_ID_HOST
  rk_trace_record record{};
};

struct TraceTrackCounts {
  uint32_t id = 0;
  std::string name;
  uint64_t records = 0;  // collected from it (for the host: events it recorded)
  uint64_t dropped = 0;  // lost: a full trace ring, or the collection was full
};

// What the JSON writer needs, copied out under the collector's lock.
struct TraceSnapshot {
  std::vector<TraceEvent> events;
  std::vector<TraceTrackCounts> tracks;  // the host first, then kernels by id
  std::string backend;
};

// A trace ring in host memory that the host writes its own events into. Allocated and
// zeroed whole when the kernel launches, so the message path never faults in a page.
class HostTraceRing {
 public:
  explicit HostTraceRing(uint32_t capacity);
  ~HostTraceRing();
  HostTraceRing(const HostTraceRing&) = delete;
  HostTraceRing& operator=(const HostTraceRing&) = delete;

  // One producer at a time (the caller's lock says which). Never waits: a full ring counts
  // the record as dropped.
  void put(const rk_trace_record& record);
  rk_trace_ring* ring() const { return ring_; }

 private:
  rk_trace_ring* ring_ = nullptr;  // header, then the records
  rk_trace_record* records_ = nullptr;
  uint64_t mask_ = 0;
  uint64_t tail_ = 0;       // the producer's own copies of what it stores
  uint64_t head_seen_ = 0;
  uint64_t dropped_ = 0;
};

// The host's rings of one kernel.
struct HostTraceRings {
  HostTraceRing* sent = nullptr;      // written under the kernel's send_mutex
  HostTraceRing* received = nullptr;  // written under its receive_mutex
};

// The host's events as trace records.
rk_trace_record host_sent_record(const rk_msg_header& header);
rk_trace_record host_received_record(const rk_msg_header& header);

class TraceCollector {
 public:
  // Reads RINGKERNEL_TRACE (trace every kernel; write that file at the end),
  // RINGKERNEL_TRACE_MAX_RECORDS (the collection's limit) and RINGKERNEL_TRACE_COLLECT_US
  // (how often the bridge collects; 0: only on write and terminate, so each ring keeps the
  // first trace_capacity records written between those).
  TraceCollector();
  ~TraceCollector();

  bool all() const { return !path_.empty(); }
  // Where RINGKERNEL_TRACE says this runtime's trace goes: the file named, or for the
  // second and later runtime of the process the name with "-2", "-3" ... before its extension.
  const std::string& path() const { return path_; }

  // A traced kernel's device ring, once its loop is launched; returns the host's rings for
  // its events, which the collector owns. The kernel counts as running until stopped(). Ring blocks stay mapped until
  // the runtime is destroyed (KernelTable::retired), so the device ring stays readable
  // after the kernel terminates. A kernel created again under the same name (the same id)
  // replaces them once they are collected: the old kernel is gone by then.
  HostTraceRings attach(uint32_t kernel_id, const std::string& name, rk_trace_ring* device_ring, uint32_t capacity);

  // The kernel's loop has ended (terminate): its last records are collected now, and the
  // bridge need not wake for it any more.
  void stopped(uint32_t kernel_id);

  // Copies every ring's new records out and frees their room, once the collection interval
  // has passed and no one else is at it: the bridge thread calls it on every round, so
  // rings do not fill up while kernels run. (Terminate, write and close collect at once.)
  void collect_soon();
  // Whether the bridge should collect for us now: periodic collection is on and a traced
  // kernel runs. A bridge with nothing else to do sleeps until this holds.
  bool collecting() const;
  // The last collection: nothing reads a ring after this (the ring blocks are about to be
  // freed); what was collected stays writable.
  void close();

  TraceSnapshot snapshot(const std::string& backend);  // collects first
  TraceTrackCounts counts(uint32_t kernel_id);

 private:
  struct Source {
    uint32_t track = 0;      // who recorded: the kernel, or RK_KERNEL_ID_HOST
    rk_trace_ring* ring = nullptr;
    uint32_t capacity = 0;   // the host's own copy: a device cannot change what we index with
    uint64_t collected = 0;
    uint64_t ring_dropped = 0;  // the ring's own count, as last read
    uint64_t kept_dropped = 0;  // copied out, but the collection was full
    uint64_t dropped() const { return ring_dropped + kept_dropped; }
  };
  struct Kernel {
    std::string name;
    Source device;
    Source sent, received;  // the host's, for this kernel's messages
    std::unique_ptr<HostTraceRing> sent_ring, received_ring;
    uint64_t earlier_records = 0, earlier_dropped = 0;  // of rings this id had before
    uint64_t earlier_host_records = 0, earlier_host_dropped = 0;
  };
  void collect_locked(Source& source);
  void collect_all_locked();

  std::mutex mutex_;
  // The collection: max_records_ events, allocated and zeroed whole when the first traced
  // kernel launches. Memory touched for the first time costs a page fault each 4 KiB (on
  // our CI VMs about 4 ms per MiB), which must not land on a running pipeline.
  std::unique_ptr<TraceEvent[]> events_;
  size_t event_count_ = 0;
  std::map<uint32_t, Kernel> kernels_;
  size_t max_records_ = 0;
  int64_t collect_every_ns_ = 0;
  std::string path_;
  std::atomic<int64_t> last_collect_ns_{0};
  std::atomic<uint32_t> running_{0};  // traced kernels between attach and stopped
  bool closed_ = false;
};

}  // namespace rk::core
