// Registering async consumers: a pending request is entered (pending_requests.hpp) before
// its message is sent, so its reply always finds it; it is armed once the send succeeded.
#include "bridge/async_ops.hpp"

#include <string>

#include "api/error.hpp"
#include "api/struct_growth.hpp"
#include "bridge/bridge.hpp"
#include "runtime/kernel.hpp"
#include "runtime/supervision.hpp"
#include "runtime/kernel_messaging.hpp"
#include "runtime/kernel_ops.hpp"
#include "runtime/runtime.hpp"

namespace rk::core {
namespace {

constexpr uint64_t kDefaultRequestTimeoutNs = 10'000'000'000ull;

rk_result check_launched(rk_kernel_s* kernel, const char* what) {
  if (kernel->state.load() != RK_KERNEL_CREATED) return RK_SUCCESS;
  return fail(RK_ERROR_INVALID_STATE, "kernel '" + kernel->config.name + "' is Created: launch it before " + what);
}

// Marks the kernel as served by the bridge (receive_mutex held); true the first time.
bool attach_locked(rk_kernel_s* kernel) {
  if (kernel->async.attached) return false;
  kernel->async.attached = true;
  return true;
}

// From a callback, never wait for room: the bridge itself may be what would drain it.
rk_result send_async(rk_kernel_s* kernel, uint32_t type_id, const void* payload, uint32_t size,
                     uint64_t correlation_id, uint64_t timeout_ns) {
  uint64_t wait_ns = Bridge::on_bridge_thread(kernel->runtime) ? 0 : timeout_ns;
  return send_request(kernel, type_id, payload, size, correlation_id, wait_ns);
}

}  // namespace

rk_result kernel_request_async(rk_kernel_s* kernel, uint32_t type_id, const void* payload, uint32_t size,
                               const rk_request_options* options, rk_completion_fn completion, void* user_data) {
  if (completion == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "completion function is NULL");
  if (size > 0 && payload == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "payload is NULL but size > 0");
  rk_request_options given{};
  if (options)
    if (rk_result r = read_struct(*options, given); r != RK_SUCCESS) return r;
  uint64_t timeout_ns = given.timeout_ns ? given.timeout_ns : kDefaultRequestTimeoutNs;
  if (rk_result r = check_launched(kernel, "requesting"); r != RK_SUCCESS) return r;
  uint64_t correlation_id = next_request_id(kernel);
  KernelAsync& async = kernel->async;
  PendingRequests::Place place = async.pending.add(correlation_id, {completion, user_data, deadline_after(timeout_ns)});
  if (!async.attached.load(std::memory_order_acquire)) {
    bool first = false;
    {
      std::lock_guard lock(kernel->receive_mutex);
      first = attach_locked(kernel);
    }
    if (first) bridge_for(kernel->runtime).attach(kernel);
    else wake_bridge_if_resting(kernel->runtime);  // another request attached it meanwhile
  } else {
    wake_bridge_if_resting(kernel->runtime);
  }
  rk_result sent = send_async(kernel, type_id, payload, size, correlation_id, timeout_ns);
  if (sent != RK_SUCCESS) {
    async.pending.cancel(correlation_id, place);
    return sent;
  }
  async.pending.arm(correlation_id, place);  // false: answered already
  return RK_SUCCESS;
}

rk_result kernel_set_output_handler(rk_kernel_s* kernel, rk_output_fn fn, void* user_data) {
  if (rk_result r = check_launched(kernel, "setting an output handler"); r != RK_SUCCESS) return r;
  // Wait out a running dispatch of the old handler, unless we are inside it.
  std::unique_lock dispatch(kernel->async.dispatch_mutex, std::defer_lock);
  if (Bridge::dispatching_kernel() != kernel) dispatch.lock();
  bool first = false;
  {
    std::lock_guard lock(kernel->receive_mutex);
    if (fn != nullptr && kernel->async.blocking_receivers > 0)
      return fail(RK_ERROR_INVALID_STATE, "kernel '" + kernel->config.name +
                                              "' has an rk_kernel_receive in progress: a kernel has either an "
                                              "output handler or receive readers");
    kernel->async.handler = fn;
    kernel->async.has_handler.store(fn != nullptr, std::memory_order_release);
    kernel->async.handler_user_data = fn ? user_data : nullptr;
    if (fn) first = attach_locked(kernel);
  }
  if (dispatch.owns_lock()) dispatch.unlock();  // before the bridge's mutex: it is taken first elsewhere
  if (first) bridge_for(kernel->runtime).attach(kernel);
  else if (fn != nullptr) wake_bridge_if_resting(kernel->runtime);
  return RK_SUCCESS;
}

rk_result check_may_destroy(rk_runtime_s* runtime, rk_kernel_s* kernel) {
  if (in_supervision_callback())
    return fail(RK_ERROR_INVALID_STATE, "rk_kernel_destroy or rk_runtime_destroy from a supervision callback: the "
                                        "bridge runs it and cannot wait for itself");
  if (!Bridge::on_bridge_thread(runtime)) return RK_SUCCESS;
  if (kernel == nullptr)
    return fail(RK_ERROR_INVALID_STATE, "rk_runtime_destroy from a bridge callback: the bridge cannot stop itself");
  std::lock_guard lock(kernel->receive_mutex);
  if (!kernel->async.attached) return RK_SUCCESS;
  return fail(RK_ERROR_INVALID_STATE, "rk_kernel_destroy of kernel '" + kernel->config.name +
                                          "' from a bridge callback: the bridge serves it and cannot wait for itself");
}

void detach_from_bridge(rk_kernel_s* kernel) {
  rk_runtime_s* runtime = kernel->runtime;
  {
    std::lock_guard lock(kernel->receive_mutex);
    if (!kernel->async.attached) return;
  }
  Bridge* bridge = nullptr;
  {
    std::lock_guard lock(runtime->bridge_mutex);
    bridge = runtime->bridge.get();
  }
  if (bridge) bridge->detach(kernel);
}

}  // namespace rk::core
