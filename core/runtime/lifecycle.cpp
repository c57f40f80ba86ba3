#include "runtime/lifecycle.hpp"

#include <array>

namespace rk::core {
namespace {

struct Transition {
  rk_kernel_state from;
  LifecycleAction action;
  rk_kernel_state to;
};

constexpr std::array kTransitions{
    Transition{RK_KERNEL_CREATED, LifecycleAction::launch, RK_KERNEL_LAUNCHED},
    Transition{RK_KERNEL_LAUNCHED, LifecycleAction::activate, RK_KERNEL_ACTIVE},
    Transition{RK_KERNEL_ACTIVE, LifecycleAction::deactivate, RK_KERNEL_DEACTIVATED},
    Transition{RK_KERNEL_DEACTIVATED, LifecycleAction::reactivate, RK_KERNEL_ACTIVE},
    Transition{RK_KERNEL_LAUNCHED, LifecycleAction::terminate, RK_KERNEL_TERMINATING},
    Transition{RK_KERNEL_ACTIVE, LifecycleAction::terminate, RK_KERNEL_TERMINATING},
    Transition{RK_KERNEL_DEACTIVATED, LifecycleAction::terminate, RK_KERNEL_TERMINATING},
    Transition{RK_KERNEL_TERMINATING, LifecycleAction::finish_termination, RK_KERNEL_TERMINATED},
    Transition{RK_KERNEL_LAUNCHED, LifecycleAction::fault, RK_KERNEL_FAULTED},
    Transition{RK_KERNEL_ACTIVE, LifecycleAction::fault, RK_KERNEL_FAULTED},
    Transition{RK_KERNEL_DEACTIVATED, LifecycleAction::fault, RK_KERNEL_FAULTED},
    Transition{RK_KERNEL_ACTIVE, LifecycleAction::restart, RK_KERNEL_ACTIVE},
    Transition{RK_KERNEL_DEACTIVATED, LifecycleAction::restart, RK_KERNEL_DEACTIVATED},
    Transition{RK_KERNEL_FAULTED, LifecycleAction::restart, RK_KERNEL_ACTIVE},
    Transition{RK_KERNEL_FAULTED, LifecycleAction::terminate, RK_KERNEL_TERMINATING},
};

}  // namespace

const char* action_name(LifecycleAction action) {
  switch (action) {
    case LifecycleAction::launch: return "launch";
    case LifecycleAction::activate: return "activate";
    case LifecycleAction::deactivate: return "deactivate";
    case LifecycleAction::reactivate: return "reactivate";
    case LifecycleAction::terminate: return "terminate";
    case LifecycleAction::finish_termination: return "finish termination of";
    case LifecycleAction::fault: return "fault";
    case LifecycleAction::restart: return "restart";
  }
  return "?";
}

std::optional<rk_kernel_state> next_state(rk_kernel_state from, LifecycleAction action) {
  for (const Transition& t : kTransitions)
    if (t.from == from && t.action == action) return t.to;
  return std::nullopt;
}

std::string transition_error(rk_kernel_state from, LifecycleAction action) {
  std::string allowed;
  for (const Transition& t : kTransitions) {
    if (t.action != action) continue;
    if (!allowed.empty()) allowed += ", ";
    allowed += rk_kernel_state_name(t.from);
  }
  return std::string("cannot ") + action_name(action) + " a kernel that is " + rk_kernel_state_name(from) +
         " (allowed from: " + allowed + ")";
}

}  // namespace rk::core

extern "C" const char* rk_kernel_state_name(rk_kernel_state state) {
  switch (state) {
    case RK_KERNEL_CREATED: return "Created";
    case RK_KERNEL_LAUNCHED: return "Launched";
    case RK_KERNEL_ACTIVE: return "Active";
    case RK_KERNEL_DEACTIVATED: return "Deactivated";
    case RK_KERNEL_TERMINATING: return "Terminating";
    case RK_KERNEL_TERMINATED: return "Terminated";
    case RK_KERNEL_FAULTED: return "Faulted";
    default: return "Undefined";
  }
}
