// struct rk_runtime_s and the device-level handles: one backend device with its context
// and default stream, and the ring kernels on it.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bridge/bridge.hpp"
#include "bridge/remote_k2k.hpp"
#include "observability/trace.hpp"
#include "plugin/backend.hpp"
#include "ringkernel.h"
#include "runtime/copy_mode.hpp"
#include "runtime/kernel_table.hpp"

struct rk_runtime_s {
  std::shared_ptr<rk::core::Backend> backend;
  uint32_t device_index = 0;
  rk_device_info device_info{};
  rk_backend_context context = nullptr;
  rk_backend_stream stream = nullptr;  // for rk_launch
  rk_bridge_mode bridge_mode = RK_BRIDGE_UNDEFINED;
  bool kernel_wakes_host = false;  // RK_CAP_HOST_WAKEUP: device unpark reaches parked host threads
  // Kernels that sleep need a doorbell after each publish. Backends with RK_CAP_HOST_WAKEUP
  // park both ways (their prelude defines RK_CAN_PARK 1); on the others kernels only poll,
  // so a send skips the fence and the shared-flag read (see rk_ring_doorbell).
  bool kernels_park = false;
  // RK_CAP_LOAD_WAITS_FOR_KERNELS (or RINGKERNEL_PARK_TO_LOAD=1): ring kernels on the device
  // are parked around module loads and ring-block allocation (runtime/park.hpp).
  bool park_to_load = false;
  std::unique_ptr<rk::core::KernelTable> kernels;
  // RK_BRIDGE_RELAUNCH_COPY only: ring blocks in device memory, copied around each launch.
  std::unique_ptr<rk::core::CopySteps> copy_steps;
  // Message traces of the kernels built with tracing (observability/trace.hpp); always
  // there, touched only for traced kernels.
  std::unique_ptr<rk::core::TraceCollector> trace;
  // Elastic kernels launched and not yet terminated (runtime/elastic.hpp): while there are
  // any, the bridge relaunches the ones whose loop left while work waits.
  std::atomic<uint32_t> elastic_kernels{0};
  std::atomic<int64_t> elastic_checked_ns{0};
  std::atomic<int64_t> elastic_interval_ns{1'000'000};  // the bridge's pace for them (elastic.cpp)
  // Supervised kernels (runtime/supervision.hpp): while there are any, the bridge watches
  // them at a quarter of their shortest interval.
  std::atomic<uint32_t> supervised_kernels{0};
  std::atomic<int64_t> supervision_checked_ns{0};
  std::atomic<int64_t> supervision_pace_ns{100'000'000};
  std::mutex supervision_dispatch;  // held while supervision callbacks run
  // The message bridge (core/bridge/), started on first need; programs that never use
  // async never create it. Stopped in rk_runtime_destroy after the kernels are gone.
  std::mutex bridge_mutex;
  std::unique_ptr<rk::core::Bridge> bridge;
  // Set while the bridge thread rests, no async consumer wanting its one kernel's output
  // (Bridge::idle): a new one wakes it (wake_bridge_if_resting). Here, not in the Bridge,
  // so a submitter reads it without the bridge pointer (created under bridge_mutex).
  std::atomic<bool> bridge_resting{false};
  // K2K between runtimes (bridge/remote_k2k.hpp): a process-unique number, and the egress
  // queue our kernels write messages for other runtimes into, made on first need.
  uint32_t serial = 0;
  std::shared_ptr<rk::core::Egress> egress;
};

struct rk_buffer_s {
  rk_runtime_s* runtime = nullptr;
  rk_backend_buffer buffer = nullptr;
  size_t size = 0;
  rk_memory_kind kind = RK_MEMORY_UNDEFINED;
};

struct rk_function_s {
  struct rk_module_s* module = nullptr;
  rk_backend_function function = nullptr;
  std::string name;
};

struct rk_module_s {
  rk_runtime_s* runtime = nullptr;
  rk_backend_module module = nullptr;
  std::string build_log;
  std::vector<std::unique_ptr<rk_function_s>> functions;  // freed with the module
};
