// What rk::core::assemble_ring_source builds, from this tree's files (the core does not
// export it): the dialect headers without their #include lines, the user source, the ring
// loop. Shared by the cuda, hip and level_zero compile tests, with the echo handler both compile.
#pragma once

#include <string>

namespace rk::test {

// A file of this source tree, by its path from the root.
std::string read_source_file(const std::string& relative);

std::string ring_source(const std::string& user);

extern const char* const kEchoHandler;

// An echo that replies straight from the request's slot, as users write it:
// rk_reply(ctx, 1u, payload, msg->payload_size), a copy from one slot to another.
extern const char* const kSlotEchoHandler;

// ring_source with every kernel option that is compiled in (message tracing, idle exit,
// time slices: what RK_KERNEL_TRACE, idle_exit_ns and max_run_ns add), around a handler
// that pulls from its inbox, forwards by K2K and replies: every place the loop writes a
// trace record (rk_trace.h) and every way it leaves.
std::string ring_source_with_every_option();

// The portable way to take a pointer from any address space (docs/dialect.md): a helper
// stamped for rk_any, and where that is no generic space once more per named space; then
// the start of a kernel `sums(out, in)` that sums global, private and shared bytes into
// out[0..2]. Callers append the rest of the kernel body and its closing brace.
extern const char* const kSumBytesAnySpace;

// A kernel that uses every name of the dialect's prelude table once; it fails to compile
// unless the prelude defines RK_DEVICE_DIALECT and `dialect_macro` (e.g. "RK_DIALECT_HIP").
std::string every_prelude_name_source(const std::string& dialect_macro);

}  // namespace rk::test
