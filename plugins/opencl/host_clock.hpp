// The device's wall clock (plugins/common/host_clock.hpp), its word in fine-grained SVM.
#pragma once

#include <memory>
#include <string>

#include "cl_api.hpp"
#include "common/host_clock.hpp"

namespace rk::opencl {

using rk::plugin_common::HostClock;

// nullptr with `error` set when the SVM word cannot be allocated.
std::unique_ptr<HostClock> create_host_clock(cl_context context, std::string& error);

}  // namespace rk::opencl
