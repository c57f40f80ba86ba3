/* ringkernel — the cpu_sim prelude: the portable dialect as host C++, so the very source a
 * GPU backend compiles runs on threads here. One OS thread per GPU thread; a block's
 * threads share a real barrier and a shared-memory arena. */
#ifndef RINGKERNEL_RK_PRELUDE_CPU_H
#define RINGKERNEL_RK_PRELUDE_CPU_H

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <type_traits>
#include <utility>

#define RK_DEVICE_DIALECT 1
#define RK_DIALECT_CPU 1

#define rk_global
#define rk_shared
#define rk_any /* one address space: a payload pointer may point anywhere; no overloads needed */
#define RK_ANY_IS_GENERIC 1
#define RK_OVERLOADABLE
#define RK_KERNEL static
#define RK_INLINE static inline

/* Payload copies between generic pointers (rk_copy_payload, pulls): memcpy. The dialect's
 * portable byte loop stays bytes at -O2, and a reply's 64 stores of one byte each fill the
 * store buffer while the first waits for the output line the host read last: the header
 * stores, publish_seq last, then wait for that line before they can even start on theirs. */
#define rk_copy_generic_bytes(dst, src, size) ((void)__builtin_memcpy((dst), (src), (size)))

static thread_local const rk_cpu_thread_info* rk_cpu_thread;
static thread_local unsigned long rk_cpu_shared_cursor;

/* A busy loop offers its time for its own kernel's output only (rk_ring_loop.h,
 * rk_loop_offer_output): that much output waiting is a batch worth delivering now. */
static inline int rk_cpu_busy_assist(const void* control_block) {
  const rk_cpu_thread_info* t = rk_cpu_thread;
  return t->kernel_assist != 0 && t->kernel_assist(t->assist_user, control_block) != 0;
}
#define rk_busy_assist(ctx) rk_cpu_busy_assist((const void*)(ctx)->control)

/* An idle or waiting loop offers its time to the host before it yields (rk_ring_context.h):
 * first to deliver its own kernel's output to async consumers (the bridge's work), then to
 * the process's forwarding work. */
static inline int rk_cpu_idle_assist(const void* control_block) {
  const rk_cpu_thread_info* t = rk_cpu_thread;
  if (rk_cpu_busy_assist(control_block)) return 1;
  return t->assist != 0 && t->assist(t->assist_user) != 0;
}
#define rk_idle_assist(ctx) rk_cpu_idle_assist((const void*)(ctx)->control)

/* Every thread of a block declares the same arrays in the same order, so the same cursor
 * walk gives every thread the same addresses. */
static inline void* rk_cpu_shared_alloc(unsigned long bytes, unsigned long align) {
  unsigned long at = (rk_cpu_shared_cursor + align - 1) / align * align;
  if (at + bytes > rk_cpu_thread->shared_bytes) {
    std::fprintf(stderr, "cpu_sim: RK_SHARED_ARRAY needs more than %lu bytes of block-shared memory\n",
                 rk_cpu_thread->shared_bytes);
    std::abort();
  }
  rk_cpu_shared_cursor = at + bytes;
  return rk_cpu_thread->shared + at;
}

#define RK_SHARED_ARRAY(type, name, count) \
  type* name = static_cast<type*>(rk_cpu_shared_alloc(sizeof(type) * (count), alignof(type)))

static inline void* rk_dynamic_shared(void) { return rk_cpu_thread->dynamic_shared; }

#define rk_thread_idx(d) (rk_cpu_thread->thread_idx[(d)])
#define rk_block_idx(d) (rk_cpu_thread->block_idx[(d)])
#define rk_block_dim(d) (rk_cpu_thread->block_dim[(d)])
#define rk_grid_dim(d) (rk_cpu_thread->grid_dim[(d)])
#define rk_sync_threads() rk_cpu_thread->sync(rk_cpu_thread->barrier)

#include "rk_host_primitives.h" /* pasted in by embed_prelude.cmake */

/* Entry trampolines: cpu_sim appends RK_CPU_EXPORT_KERNEL(name) for every RK_KERNEL it
 * finds. args[i] points at argument i's bytes; the kernel's own parameter types say how to
 * read them. rk_cpu_params_<name> reports those types' sizes so a launch with the wrong
 * number or size of arguments fails with a message instead of reading past them. */
namespace rk_cpu {
template <class... P, std::size_t... I>
void invoke_unpacked(void (*kernel)(P...), void** args, std::index_sequence<I...>) {
  kernel(*static_cast<std::remove_reference_t<P>*>(args[I])...);
}

template <class... P>
void invoke(void (*kernel)(P...), void** args) {
  invoke_unpacked(kernel, args, std::index_sequence_for<P...>{});
}

template <class... P>
unsigned param_sizes(void (*)(P...), unsigned* sizes, unsigned capacity) {
  const unsigned all[] = {static_cast<unsigned>(sizeof(P))..., 0u};
  for (unsigned i = 0; i < sizeof...(P) && i < capacity; ++i) sizes[i] = all[i];
  return static_cast<unsigned>(sizeof...(P));
}
}  // namespace rk_cpu

#define RK_CPU_VISIBLE extern "C" __attribute__((visibility("default")))

#define RK_CPU_EXPORT_KERNEL(name)                                                     \
  RK_CPU_VISIBLE void rk_cpu_entry_##name(const rk_cpu_thread_info* info, void** args) { \
    rk_cpu_thread = info;                                                              \
    rk_cpu_shared_cursor = 0;                                                          \
    rk_cpu::invoke(name, args);                                                        \
  }                                                                                    \
  RK_CPU_VISIBLE unsigned rk_cpu_params_##name(unsigned* sizes, unsigned capacity) {   \
    return rk_cpu::param_sizes(name, sizes, capacity);                                 \
  }

#endif /* RINGKERNEL_RK_PRELUDE_CPU_H */
