// The one rule for public structs that start with struct_size (docs/abi.md, "Structs that
// grow"). Every entry point that takes or fills such a struct goes through read_struct or
// write_struct, so a program built against older (shorter) headers keeps working:
// - an input struct is accepted from its first published size up; fields beyond the
//   caller's struct_size read as their defaults (zero), fields we do not know are ignored;
// - an output struct is filled only up to the caller's struct_size, never past it;
// - a struct_size below the first published size is RK_ERROR_INVALID_ARGUMENT, and so is
//   0, except for the structs whose 0.1 callers were allowed to leave it 0 (zero_is_first).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>

#include "api/error.hpp"

namespace rk::core {

// Where a struct's first published (0.1.0) layout ended: offset + size of its last field
// then. Fields are only ever appended, so this stays true of every later header.
#define RK_END_OF(type, field) (offsetof(type, field) + sizeof(((type*)nullptr)->field))

template <class T>
struct FirstPublished;  // size, name, zero_is_first

#define RK_FIRST_PUBLISHED(type, bytes, zero_ok)          \
  template <>                                             \
  struct FirstPublished<type> {                           \
    static constexpr size_t size = (bytes);               \
    static constexpr const char* name = #type;            \
    static constexpr bool zero_is_first = (zero_ok);      \
  }

RK_FIRST_PUBLISHED(rk_registry_options, RK_END_OF(rk_registry_options, search_path), false);
RK_FIRST_PUBLISHED(rk_plugin_status, RK_END_OF(rk_plugin_status, detail), false);
RK_FIRST_PUBLISHED(rk_device_info, RK_END_OF(rk_device_info, reserved0), true);  // plugins' rule since 1.0
RK_FIRST_PUBLISHED(rk_device_entry, offsetof(rk_device_entry, info) + RK_END_OF(rk_device_info, reserved0), false);
RK_FIRST_PUBLISHED(rk_runtime_options, RK_END_OF(rk_runtime_options, max_clock_skew_ns), false);
RK_FIRST_PUBLISHED(rk_module_options, RK_END_OF(rk_module_options, name), false);
RK_FIRST_PUBLISHED(rk_launch_config, RK_END_OF(rk_launch_config, flags), false);
RK_FIRST_PUBLISHED(rk_kernel_options, RK_END_OF(rk_kernel_options, peers), false);
// 0.1 never checked these two (its C++ layer left the status's struct_size 0).
RK_FIRST_PUBLISHED(rk_send_options, RK_END_OF(rk_send_options, timeout_ns), true);
RK_FIRST_PUBLISHED(rk_kernel_status, RK_END_OF(rk_kernel_status, reserved0), true);
// Published in API 1.1 (libringcore 0.2.0): their first size is their whole 1.1 size.
RK_FIRST_PUBLISHED(rk_request_options, RK_END_OF(rk_request_options, timeout_ns), false);
RK_FIRST_PUBLISHED(rk_kernel_latency, RK_END_OF(rk_kernel_latency, handler), false);
// Published in API 1.3.
RK_FIRST_PUBLISHED(rk_supervision_options, RK_END_OF(rk_supervision_options, user_data), false);
// Published in API 1.6.
RK_FIRST_PUBLISHED(rk_group_options, RK_END_OF(rk_group_options, connect_timeout_ns), false);
RK_FIRST_PUBLISHED(rk_group_status, RK_END_OF(rk_group_status, transport), false);

// How many bytes of a T the caller's struct holds, or INVALID_ARGUMENT naming the rule.
template <class T>
rk_result usable_bytes(uint32_t struct_size, size_t& bytes) {
  using First = FirstPublished<T>;
  size_t given = struct_size == 0 && First::zero_is_first ? First::size : struct_size;
  if (given < First::size)
    return fail(RK_ERROR_INVALID_ARGUMENT,
                std::string(First::name) + ".struct_size is " + std::to_string(struct_size) +
                    "; it must be at least " + std::to_string(First::size) +
                    " (the first published size): initialize the struct with its RK_*_INIT macro");
  bytes = std::min(given, sizeof(T));
  return RK_SUCCESS;
}

// Copies the caller's input struct into `out` (defaults for fields it does not have).
template <class T>
rk_result read_struct(const T& in, T& out) {
  size_t bytes = 0;
  if (rk_result r = usable_bytes<T>(in.struct_size, bytes); r != RK_SUCCESS) return r;
  out = T{};
  std::memcpy(static_cast<void*>(&out), &in, bytes);
  out.struct_size = static_cast<uint32_t>(sizeof(T));
  return RK_SUCCESS;
}

// Fills the caller's output struct up to its struct_size; struct_size then says how much
// was written.
template <class T>
rk_result write_struct(const T& value, T* out) {
  size_t bytes = 0;
  if (rk_result r = usable_bytes<T>(out->struct_size, bytes); r != RK_SUCCESS) return r;
  T copy = value;
  copy.struct_size = static_cast<uint32_t>(bytes);
  std::memcpy(static_cast<void*>(out), &copy, bytes);
  return RK_SUCCESS;
}

}  // namespace rk::core
