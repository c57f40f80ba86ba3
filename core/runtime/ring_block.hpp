// Allocates and initializes a kernel's ring block: control block, telemetry, environment,
// accepted types, user state and the three queues, in one host-mapped buffer.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "ringkernel.h"

namespace rk::core {

rk_result allocate_ring_block(rk_kernel_s* kernel, const std::vector<uint32_t>& peer_ids);

uint32_t fnv1a32(std::string_view text);

}  // namespace rk::core
