// Who is in the group, from rk_group_options or the environment (docs/distributed.md,
// "Starting a group"): the launcher's rank and size (mpirun, or RINGKERNEL_RANK), the
// addresses every rank listens on (RINGKERNEL_PEERS), the job key, the transport's name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ringkernel.h"

namespace rk::core::group {

struct GroupConfig {
  uint32_t rank = 0;
  uint32_t size = 0;
  std::vector<std::string> addresses;
  std::vector<uint8_t> key;
  std::string key_source;  // where the key came from, for the log (never the key)
  std::string transport;
  std::string address_file;
  uint64_t connect_timeout_ns = 0;
};

// Fills `out`, or says what is missing or malformed (RK_ERROR_INVALID_ARGUMENT).
rk_result read_group_config(const rk_group_options* options, GroupConfig& out);

}  // namespace rk::core::group
