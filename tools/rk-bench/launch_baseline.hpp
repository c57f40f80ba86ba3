// The launch-per-message baseline (launch_bench.cpp), shared with the suites that compare
// against it (elastic_bench.cpp): one kernel launch + synchronize + read back per 64-byte
// message, `count` samples in ns after 100 warm-up messages.
#pragma once

#include <cstdint>
#include <vector>

#include "ringkernel.h"

namespace rk::bench {

std::vector<double> launch_per_message(rk_runtime rt, uint64_t count);

}  // namespace rk::bench
