// C entry points for ring kernels: argument checks, then the rk::core operations.
#include "api/error.hpp"
#include "bridge/bridge.hpp"
#include "distributed/group.hpp"
#include "distributed/remote_kernel.hpp"
#include "runtime/kernel.hpp"
#include "runtime/kernel_messaging.hpp"
#include "runtime/kernel_ops.hpp"
#include "runtime/migrate.hpp"
#include "runtime/kernel_table.hpp"
#include "runtime/runtime.hpp"
#include "runtime/snapshot.hpp"
#include "runtime/supervision.hpp"

#include <string>

using namespace rk::core;

namespace {

rk_result null_kernel() { return fail(RK_ERROR_INVALID_ARGUMENT, "kernel handle is NULL"); }

// A kernel of this process: a handle for another rank's kernel has no queues here.
rk_result local_kernel(rk_kernel kernel, const char* call) {
  if (kernel == nullptr) return null_kernel();
  return is_remote(kernel) ? refuse_remote(kernel, call) : RK_SUCCESS;
}

// A call that waits for the kernel's loop, made from a callback that runs on that very
// loop's thread (cpu_sim kernels deliver their own output: docs/bridge.md), would wait for
// itself until its timeout.
rk_result local_kernel_off_its_thread(rk_kernel kernel, const char* call) {
  if (rk_result r = local_kernel(kernel, call); r != RK_SUCCESS) return r;
  if (Bridge::assisting_kernel() != kernel) return RK_SUCCESS;
  return fail(RK_ERROR_INVALID_STATE, std::string(call) + " of kernel '" + kernel->config.name +
                                          "' from a callback running on that kernel's own thread (cpu_sim delivers a "
                                          "kernel's output on its own thread), which cannot wait for its own loop: "
                                          "call it from another thread");
}

}  // namespace

extern "C" {

RK_API rk_result rk_kernel_create(rk_runtime runtime, const rk_kernel_options* options, rk_kernel* kernel) {
  clear_error();
  return kernel_create(runtime, options, kernel);
}

RK_API rk_result rk_kernel_launch(rk_kernel kernel) {
  clear_error();
  if (rk_result r = local_kernel(kernel, "rk_kernel_launch"); r != RK_SUCCESS) return r;
  return kernel_launch(kernel);
}

RK_API rk_result rk_kernel_activate(rk_kernel kernel) {
  clear_error();
  if (rk_result r = local_kernel(kernel, "rk_kernel_activate"); r != RK_SUCCESS) return r;
  return kernel_set_active(kernel, true, false);
}

RK_API rk_result rk_kernel_deactivate(rk_kernel kernel) {
  clear_error();
  if (rk_result r = local_kernel(kernel, "rk_kernel_deactivate"); r != RK_SUCCESS) return r;
  return kernel_set_active(kernel, false, false);
}

RK_API rk_result rk_kernel_reactivate(rk_kernel kernel) {
  clear_error();
  if (rk_result r = local_kernel(kernel, "rk_kernel_reactivate"); r != RK_SUCCESS) return r;
  return kernel_set_active(kernel, true, true);
}

RK_API rk_result rk_kernel_terminate(rk_kernel kernel, uint64_t timeout_ns) {
  clear_error();
  if (rk_result r = local_kernel_off_its_thread(kernel, "rk_kernel_terminate"); r != RK_SUCCESS) return r;
  return kernel_terminate(kernel, timeout_ns);
}

RK_API rk_result rk_kernel_destroy(rk_kernel kernel) {
  clear_error();
  if (is_remote(kernel)) return destroy_remote_kernel(kernel);
  return kernel ? kernel_destroy(kernel) : RK_SUCCESS;
}

RK_API rk_kernel_state rk_kernel_get_state(rk_kernel kernel) {
  return kernel ? kernel->state.load() : RK_KERNEL_STATE_UNDEFINED;
}

RK_API uint32_t rk_kernel_id(rk_kernel kernel) { return kernel ? kernel->id : 0; }

RK_API const char* rk_kernel_name(rk_kernel kernel) { return kernel ? kernel->config.name.c_str() : ""; }

RK_API uint32_t rk_kernel_max_payload_size(rk_kernel kernel) { return kernel ? kernel->config.max_payload_size : 0; }

RK_API rk_result rk_runtime_find_kernel(rk_runtime runtime, const char* name, rk_kernel* kernel) {
  clear_error();
  if (runtime == nullptr || name == nullptr || kernel == nullptr)
    return fail(RK_ERROR_INVALID_ARGUMENT, "runtime, name and kernel must not be NULL");
  // "R/name": kernel `name` of rank R of the process group (this rank's own: a local name).
  uint32_t rank = 0;
  std::string local = name;
  if (group::split_rank_name(name, rank, local) && !group::is_own_rank(rank))
    return find_remote_kernel(runtime, name, kernel);
  // Under the directory: a twin leaves its table under it, so it is not freed while we look.
  auto directory = hold_directory();
  *kernel = runtime->kernels->find(local);
  if (*kernel == nullptr) return fail(RK_ERROR_UNKNOWN_KERNEL, std::string("no kernel named '") + name + "' in this runtime");
  // A migration's twin is not the kernel until the move lands (it is freed if the move
  // fails): until then the kernel is where it was, and a handle to the twin would dangle.
  if ((*kernel)->migration_twin.load()) {
    *kernel = nullptr;
    return fail(RK_ERROR_UNKNOWN_KERNEL, std::string("kernel '") + name +
                                             "' is still moving into this runtime (rk_kernel_migrate): it is found "
                                             "here once the move lands, and where it was until then");
  }
  return RK_SUCCESS;
}

RK_API rk_result rk_kernel_send(rk_kernel kernel, uint32_t type_id, const void* payload, uint32_t size,
                                const rk_send_options* options, uint64_t* message_id) {
  clear_error();
  if (kernel == nullptr) return null_kernel();
  if (is_remote(kernel)) return remote_send(kernel, type_id, payload, size, options, message_id);
  return kernel_send(kernel, type_id, payload, size, options, message_id);
}

RK_API rk_result rk_kernel_reserve(rk_kernel kernel, uint32_t type_id, uint32_t size, uint64_t timeout_ns, rk_slot* slot) {
  clear_error();
  if (rk_result r = local_kernel(kernel, "rk_kernel_reserve"); r != RK_SUCCESS) return r;
  return kernel_reserve(kernel, type_id, size, timeout_ns, slot);
}

RK_API rk_result rk_kernel_commit(rk_kernel kernel, rk_slot* slot, uint64_t* message_id) {
  clear_error();
  if (rk_result r = local_kernel(kernel, "rk_kernel_commit"); r != RK_SUCCESS) return r;
  return kernel_commit(kernel, slot, message_id);
}

RK_API rk_result rk_kernel_receive(rk_kernel kernel, rk_msg_header* header, void* payload, uint32_t capacity,
                                   uint32_t* size, uint64_t timeout_ns) {
  clear_error();
  if (rk_result r = local_kernel(kernel, "rk_kernel_receive"); r != RK_SUCCESS) return r;
  return kernel_receive(kernel, header, payload, capacity, size, timeout_ns);
}

RK_API rk_result rk_kernel_request(rk_kernel kernel, uint32_t type_id, const void* payload, uint32_t size,
                                   rk_msg_header* reply_header, void* reply, uint32_t reply_capacity,
                                   uint32_t* reply_size, uint64_t timeout_ns) {
  clear_error();
  if (kernel == nullptr) return null_kernel();
  if (is_remote(kernel))
    return remote_request(kernel, type_id, payload, size, reply_header, reply, reply_capacity, reply_size, timeout_ns);
  return kernel_request(kernel, type_id, payload, size, reply_header, reply, reply_capacity, reply_size, timeout_ns);
}

RK_API rk_result rk_kernel_get_status(rk_kernel kernel, rk_kernel_status* status) {
  clear_error();
  if (rk_result r = local_kernel(kernel, "rk_kernel_get_status"); r != RK_SUCCESS) return r;
  return kernel_status(kernel, status);
}

RK_API rk_result rk_kernel_supervise(rk_kernel kernel, const rk_supervision_options* options) {
  clear_error();
  if (rk_result r = local_kernel(kernel, "rk_kernel_supervise"); r != RK_SUCCESS) return r;
  return kernel_supervise(kernel, options);
}

RK_API rk_result rk_kernel_restart(rk_kernel kernel, uint32_t flags, uint64_t timeout_ns) {
  clear_error();
  if (rk_result r = local_kernel_off_its_thread(kernel, "rk_kernel_restart"); r != RK_SUCCESS) return r;
  return kernel_restart(kernel, flags, timeout_ns);
}

RK_API size_t rk_kernel_fault_reason(rk_kernel kernel, char* buffer, size_t capacity) {
  clear_error();
  if (kernel == nullptr || is_remote(kernel)) {  // a remote kernel's faults are its rank's to tell
    if (buffer != nullptr && capacity != 0) buffer[0] = '\0';
    return 0;
  }
  return kernel_fault_reason(kernel, buffer, capacity);
}

RK_API rk_result rk_kernel_snapshot(rk_kernel kernel, void* buffer, size_t capacity, size_t* size) {
  clear_error();
  if (rk_result r = local_kernel_off_its_thread(kernel, "rk_kernel_snapshot"); r != RK_SUCCESS) return r;
  return kernel_snapshot(kernel, buffer, capacity, size);
}

RK_API rk_result rk_kernel_migrate(rk_kernel kernel, rk_runtime target, uint64_t timeout_ns, rk_kernel* moved) {
  clear_error();
  if (rk_result r = local_kernel_off_its_thread(kernel, "rk_kernel_migrate"); r != RK_SUCCESS) return r;
  return kernel_migrate(kernel, target, timeout_ns, moved);
}

RK_API rk_result rk_kernel_get_telemetry(rk_kernel kernel, rk_telemetry* telemetry) {
  clear_error();
  if (rk_result r = local_kernel(kernel, "rk_kernel_get_telemetry"); r != RK_SUCCESS) return r;
  return kernel_telemetry(kernel, telemetry);
}

RK_API rk_result rk_kernel_get_latency(rk_kernel kernel, rk_kernel_latency* latency) {
  clear_error();
  if (rk_result r = local_kernel(kernel, "rk_kernel_get_latency"); r != RK_SUCCESS) return r;
  return kernel_latency(kernel, latency);
}

RK_API uint64_t rk_latency_quantile_ns(const uint64_t* buckets, uint32_t count, double q) {
  if (buckets == nullptr || count == 0) return 0;
  uint64_t total = 0;
  for (uint32_t i = 0; i < count; ++i) total += buckets[i];
  if (total == 0) return 0;
  q = q < 0 ? 0 : (q > 1 ? 1 : q);
  // The rank of the q-quantile, 1-based: the smallest that covers q of the samples.
  uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(total));
  if (static_cast<double>(rank) < q * static_cast<double>(total) || rank == 0) rank += 1;
  uint64_t seen = 0;
  for (uint32_t i = 0; i < count; ++i) {
    seen += buckets[i];
    if (seen >= rank) return i + 1 >= 64 ? UINT64_MAX : (uint64_t{1} << (i + 1));  // bucket i ends at 2^(i+1)
  }
  return UINT64_MAX;
}

RK_API rk_result rk_runtime_hlc_now(rk_runtime runtime, rk_hlc* now) {
  clear_error();
  if (runtime == nullptr || now == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "runtime and now must not be NULL");
  *now = runtime->kernels->clock().tick();
  return RK_SUCCESS;
}

}  // extern "C"
