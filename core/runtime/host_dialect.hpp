// The dialect's queue and HLC operations compiled for the host: the runtime uses the very
// code the ring loop runs on the device.
#pragma once

// clang-format off
#include "dialect/preludes/rk_prelude_host.h"
#include "rk_ring_layout.h"
#include "dialect/rk_queue_ops.h"
#include "dialect/rk_hlc_ops.h"
// clang-format on
