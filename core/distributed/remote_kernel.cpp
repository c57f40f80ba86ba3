#include "distributed/remote_kernel.hpp"

#include <map>
#include <memory>
#include <mutex>

#include "api/error.hpp"
#include "api/struct_growth.hpp"
#include "distributed/group.hpp"
#include "runtime/kernel.hpp"

namespace rk::core {
namespace {

struct RemoteHandles {
  std::mutex mutex;
  std::map<const rk_runtime_s*, std::map<std::string, std::unique_ptr<rk_kernel_s>>> by_runtime;
};

// Never destroyed by a static destructor: a program may exit with runtimes still open.
RemoteHandles& handles() {
  static auto* all = new RemoteHandles;
  return *all;
}

}  // namespace

bool is_remote(const rk_kernel_s* kernel) { return kernel != nullptr && !kernel->remote.empty(); }

rk_result find_remote_kernel(rk_runtime_s* runtime, const std::string& peer, rk_kernel_s** kernel) {
  uint32_t max_payload = 0;
  // Outside the handles' lock: the lookup may wait for rank R to create the kernel.
  if (rk_result r = group::host_find(peer, max_payload); r != RK_SUCCESS) return r;
  RemoteHandles& all = handles();
  std::lock_guard lock(all.mutex);
  std::unique_ptr<rk_kernel_s>& slot = all.by_runtime[runtime][peer];
  if (!slot) {
    slot = std::make_unique<rk_kernel_s>();
    slot->runtime = runtime;
    slot->remote = peer;
    slot->config.name = peer;
    slot->config.max_payload_size = max_payload;
    slot->state = RK_KERNEL_STATE_UNDEFINED;  // rank R's to know
  }
  *kernel = slot.get();
  return RK_SUCCESS;
}

rk_result refuse_remote(const rk_kernel_s* kernel, const char* call) {
  return fail(RK_ERROR_UNSUPPORTED, std::string(call) + ": '" + kernel->remote +
                                        "' is a kernel of another process; only rk_kernel_send, rk_kernel_request "
                                        "and rk_kernel_destroy (of the handle) apply to it here");
}

rk_result destroy_remote_kernel(rk_kernel_s* kernel) {
  RemoteHandles& all = handles();
  std::lock_guard lock(all.mutex);
  auto runtime = all.by_runtime.find(kernel->runtime);
  if (runtime == all.by_runtime.end() || runtime->second.erase(kernel->remote) == 0)
    return fail(RK_ERROR_INVALID_ARGUMENT, "not a live handle of a kernel of another process");
  return RK_SUCCESS;
}

void forget_remote_kernels(rk_runtime_s* runtime) {
  RemoteHandles& all = handles();
  std::lock_guard lock(all.mutex);
  all.by_runtime.erase(runtime);
}

rk_result remote_send(rk_kernel_s* kernel, uint32_t type_id, const void* payload, uint32_t size,
                      const rk_send_options* options, uint64_t* message_id) {
  rk_send_options given{};
  given.timeout_ns = RK_WAIT_FOREVER;  // no options: block, as for a kernel of this process
  if (options)
    if (rk_result r = read_struct(*options, given); r != RK_SUCCESS) return r;
  group::HostSend message{type_id, size, payload, given.flags, given.correlation_id};
  const std::string peer = kernel->remote;  // the handle may be destroyed while this waits
  return group::host_send(peer, message, given.timeout_ns, message_id);
}

rk_result remote_request(rk_kernel_s* kernel, uint32_t type_id, const void* payload, uint32_t size,
                         rk_msg_header* reply_header, void* reply, uint32_t reply_capacity, uint32_t* reply_size,
                         uint64_t timeout_ns) {
  const std::string peer = kernel->remote;  // the handle may be destroyed while this waits
  return group::host_request(peer, type_id, payload, size, timeout_ns, reply_header, reply, reply_capacity, reply_size);
}

}  // namespace rk::core
