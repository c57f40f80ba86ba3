// The OpenCL C program for a portable-dialect source: the prelude, then the user's text.
// Shared by the backends that compile the OpenCL C form of the dialect (opencl, and
// level_zero through SPIR-V). Needs no OpenCL header.
#pragma once

#include <string>
#include <string_view>

namespace rk::opencl {

// True when a dialect source reads the clock, so it needs the clock word's address compiled
// in (common/host_clock.hpp), which binds the program to one context.
bool reads_clock(std::string_view user);

// [#define RK_OPENCL_CLOCK_WORD <clock_word>] + prelude + #line 1 "source" + user. A null
// clock_word leaves the define out (rk_clock_ns() then reads 0). The module name stays out
// of the text: it names nothing the program does, and one source under two names must hash
// to one cache key.
std::string dialect_source(std::string_view user, const void* clock_word);

}  // namespace rk::opencl
