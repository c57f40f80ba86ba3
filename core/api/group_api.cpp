// C entry points of the process group (docs/distributed.md): K2K between processes.
#include <cstdio>

#include "api/error.hpp"
#include "api/struct_growth.hpp"
#include "distributed/group.hpp"
#include "plugin/registry.hpp"

using namespace rk::core;

extern "C" {

RK_API rk_result rk_group_join(rk_registry registry, const rk_group_options* options) {
  clear_error();
  if (registry == nullptr)
    if (rk_result r = rk_registry_default(&registry); r != RK_SUCCESS) return r;
  return group::join(*registry, options);
}

RK_API rk_result rk_group_leave(void) {
  clear_error();
  return group::leave();
}

RK_API rk_result rk_group_status_get(rk_group_status* status) {
  clear_error();
  if (status == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "status is NULL");
  rk_group_status now{};
  if (rk_result r = group::status(now); r != RK_SUCCESS) return r;
  return write_struct(now, status);
}

RK_API rk_result rk_group_peer_state_get(uint32_t rank, rk_group_peer_state* state, char* why, size_t capacity) {
  clear_error();
  if (state == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "state is NULL");
  std::string words;
  if (rk_result r = group::peer_state(rank, *state, words); r != RK_SUCCESS) return r;
  if (why != nullptr && capacity > 0) std::snprintf(why, capacity, "%s", words.c_str());
  return RK_SUCCESS;
}

RK_API rk_result rk_group_flush(uint64_t timeout_ns) {
  clear_error();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(std::min<uint64_t>(timeout_ns, 1ull << 62));
  return group::wait_acknowledged(deadline, true);
}

RK_API rk_result rk_group_send(const char* peer, uint32_t type_id, const void* payload, uint32_t size,
                               uint64_t timeout_ns) {
  clear_error();
  if (peer == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "peer is NULL");
  return group::host_send(peer, group::HostSend{type_id, size, payload}, timeout_ns, nullptr);
}

RK_API rk_result rk_group_request(const char* peer, uint32_t type_id, const void* payload, uint32_t size,
                                  uint64_t timeout_ns, rk_msg_header* reply_header, void* reply_payload,
                                  uint32_t capacity, uint32_t* reply_size) {
  clear_error();
  if (peer == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "peer is NULL");
  return group::host_request(peer, type_id, payload, size, timeout_ns, reply_header, reply_payload, capacity,
                             reply_size);
}

}  // extern "C"
