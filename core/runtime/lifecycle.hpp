// The ring kernel lifecycle (docs/runtime.md, "Lifecycle") as a pure table, enforced for
// every backend.
//
//   Created -launch-> Launched -activate-> Active <-deactivate/reactivate-> Deactivated
//   Launched | Active | Deactivated -terminate-> Terminating -> Terminated
//   Launched | Active | Deactivated -fault-> Faulted (the supervisor, runtime/supervision.hpp)
//   Active | Deactivated | Faulted -restart-> Active (Deactivated stays Deactivated)
//   Faulted -terminate-> Terminating
//
// Launch with auto-activate goes Created -> Launched -> Active in one call.
#pragma once

#include <optional>
#include <string>

#include "ringkernel.h"

namespace rk::core {

enum class LifecycleAction { launch, activate, deactivate, reactivate, terminate, finish_termination, fault, restart };

const char* action_name(LifecycleAction action);

// The state an action leads to from `from`, or nullopt when the transition is not allowed.
std::optional<rk_kernel_state> next_state(rk_kernel_state from, LifecycleAction action);

// "cannot deactivate a kernel that is Launched (allowed from: Active)".
std::string transition_error(rk_kernel_state from, LifecycleAction action);

}  // namespace rk::core
