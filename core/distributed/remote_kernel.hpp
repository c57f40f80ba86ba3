// Handles for kernels of other ranks: rk_runtime_find_kernel(runtime, "R/name") (docs/
// distributed.md, "From the host"). Such a handle is an rk_kernel_s with `remote` set and no
// ring block: send and request reach the kernel through the process group (as rk_group_send
// and rk_group_request do), name and payload limit are known, destroy frees the handle (the
// kernel itself is rank R's). Everything else is about this process's queues and refuses it.
#pragma once

#include <string>

#include "ringkernel.h"

namespace rk::core {

bool is_remote(const rk_kernel_s* kernel);
// The runtime keeps one handle per name until it is destroyed (or the handle is).
rk_result find_remote_kernel(rk_runtime_s* runtime, const std::string& peer, rk_kernel_s** kernel);
// RK_ERROR_UNSUPPORTED naming `call` and the kernel's rank.
rk_result refuse_remote(const rk_kernel_s* kernel, const char* call);
rk_result destroy_remote_kernel(rk_kernel_s* kernel);
void forget_remote_kernels(rk_runtime_s* runtime);  // rk_runtime_destroy

rk_result remote_send(rk_kernel_s* kernel, uint32_t type_id, const void* payload, uint32_t size,
                      const rk_send_options* options, uint64_t* message_id);
rk_result remote_request(rk_kernel_s* kernel, uint32_t type_id, const void* payload, uint32_t size,
                         rk_msg_header* reply_header, void* reply, uint32_t reply_capacity, uint32_t* reply_size,
                         uint64_t timeout_ns);

}  // namespace rk::core
