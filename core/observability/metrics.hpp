// A runtime's metrics in the Prometheus text exposition format (version 0.0.4): what
// rk_runtime_metrics_text returns (docs/observability.md).
#pragma once

#include <string>

#include "ringkernel.h"

namespace rk::core {

std::string metrics_text(rk_runtime_s* runtime);

}  // namespace rk::core
