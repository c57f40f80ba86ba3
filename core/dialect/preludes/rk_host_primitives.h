/* ringkernel — the dialect's primitives on a Linux host, shared by the host prelude
 * (libringcore, tests, rk-bench) and the cpu_sim prelude (kernels compiled at run time;
 * plugins/cpu_sim/embed_prelude.cmake pastes this file where that prelude includes it):
 * GCC/Clang __atomic builtins, which ThreadSanitizer models, the realtime clock, and
 * futex park/unpark, so both sides can sleep and wake each other (RK_CAN_PARK 1). */
#ifndef RINGKERNEL_RK_HOST_PRIMITIVES_H
#define RINGKERNEL_RK_HOST_PRIMITIVES_H

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#define RK_CAN_PARK 1 /* rk_park_u32 is a futex wait; rk_unpark_u32 wakes it */

#define rk_load_acquire_u32(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define rk_load_acquire_u64(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define rk_load_relaxed_u32(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define rk_load_relaxed_u64(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define rk_store_release_u32(p, v) __atomic_store_n((p), (uint32_t)(v), __ATOMIC_RELEASE)
#define rk_store_release_u64(p, v) __atomic_store_n((p), (uint64_t)(v), __ATOMIC_RELEASE)
#define rk_store_relaxed_u32(p, v) __atomic_store_n((p), (uint32_t)(v), __ATOMIC_RELAXED)
#define rk_store_relaxed_u64(p, v) __atomic_store_n((p), (uint64_t)(v), __ATOMIC_RELAXED)
#define rk_fetch_add_u32(p, v) __atomic_fetch_add((p), (uint32_t)(v), __ATOMIC_ACQ_REL)
#define rk_fetch_add_u64(p, v) __atomic_fetch_add((p), (uint64_t)(v), __ATOMIC_ACQ_REL)
#define rk_fence_seq_cst() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#if defined(__SANITIZE_THREAD__) && !defined(__clang__) && __GNUC__ >= 12
/* ThreadSanitizer does not model a lone fence and GCC warns at every use; the ring code's
 * fences are documented where they are used. */
#pragma GCC diagnostic ignored "-Wtsan"
#endif

static inline int rk_cas_u64(uint64_t* p, uint64_t expected, uint64_t desired) {
  return __atomic_compare_exchange_n(p, &expected, desired, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) ? 1 : 0;
}

static inline void rk_fetch_max_u64(uint64_t* p, uint64_t v) {
  uint64_t seen = __atomic_load_n(p, __ATOMIC_RELAXED);
  while (seen < v && !__atomic_compare_exchange_n(p, &seen, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
  }
}

static inline void rk_fetch_min_u64(uint64_t* p, uint64_t v) {
  uint64_t seen = __atomic_load_n(p, __ATOMIC_RELAXED);
  while (seen > v && !__atomic_compare_exchange_n(p, &seen, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
  }
}

/* ---- the clock: CLOCK_REALTIME in ns ------------------------------------------------ *
 * Read on every message several times (a send's stamp, the loop's admission and handler
 * end), so its cost shows: clock_gettime through the vDSO takes 25-40 ns under kvm-clock,
 * rdtsc 11 (docs/benchmarks.md, "A TSC clock"). Where the CPU has an invariant TSC
 * (x86-64, CPUID 0x80000007 EDX bit 8) the time is the TSC scaled from an anchor: a
 * clock_gettime reading and the TSC beside it, renewed by the first caller 10 ms past it,
 * with the rate measured over the last interval. So it follows CLOCK_REALTIME (NTP's slew
 * included) to well under a microsecond, and stays comparable across threads and
 * processes; at a renewal it may step back by that much (the HLC and the latency counters
 * allow for it).
 * RINGKERNEL_CLOCK=vdso, a CPU without an invariant TSC, or a kernel that keeps time with
 * another clocksource than the TSC or kvm-clock keeps clock_gettime.
 * One anchor per shared object (an inline variable): libringcore, each cpu_sim kernel. */
static inline int64_t rk_clock_vdso_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#if defined(__x86_64__)
#define RK_TSC_UNKNOWN 0u     /* not looked at yet */
#define RK_TSC_CALIBRATING 1u /* an anchor, no rate yet: the vDSO answers */
#define RK_TSC_RUNNING 2u
#define RK_TSC_OFF 3u /* no invariant TSC, an implausible rate, or RINGKERNEL_CLOCK=vdso */
#define RK_TSC_CALIBRATE_NS 1000000 /* the first rate: over 1 ms */
#define RK_TSC_RENEW_NS 10000000    /* then renewed every 10 ms */
#define RK_TSC_PAIR_MAX_TICKS 4000u  /* about 1-2 us: a clock_gettime takes 25-40 ns */

/* Every field is read and written with __atomic (a seqlock: `seq` is odd while the one
 * renewing thread writes), so readers never wait and ThreadSanitizer sees no race. */
struct alignas(64) rk_tsc_clock_state { /* a line of its own: read on every call, written every 10 ms */
  uint64_t seq;
  uint32_t mode;
  uint64_t tsc;      /* the anchor: TSC ... */
  int64_t ns;        /* ... and CLOCK_REALTIME there */
  uint64_t mult;     /* ns per tick << 32 */
  uint64_t renew_in; /* ticks after the anchor when it is renewed */
  char pad[16];      /* so nothing else shares the line */
};
/* Hidden: each shared object keeps its own (a default-visibility inline variable would
 * be one process-wide symbol, shared by kernels built from another version of this file). */
__attribute__((visibility("hidden"))) inline rk_tsc_clock_state rk_tsc_clock{};

__extension__ typedef unsigned __int128 rk_u128; /* GCC and Clang on x86-64 */

static inline uint64_t rk_tsc_now(void) { return __builtin_ia32_rdtsc(); }

/* Whether the kernel keeps time with the TSC itself: its clocksource is the TSC, or
 * kvm-clock (which reads the guest's TSC, synchronized across vCPUs, in the vDSO). Where
 * the kernel found the TSC unfit (not in sync between CPUs, say) it uses another source,
 * and so do we. */
static inline bool rk_tsc_kernel_uses_tsc(void) {
  char name[32] = {0};
  FILE* f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
  if (f == NULL) return false;
  bool read = fgets(name, sizeof name, f) != NULL;
  fclose(f);
  return read && (strncmp(name, "tsc\n", 4) == 0 || strncmp(name, "kvm-clock\n", 10) == 0);
}

static inline void rk_tsc_set_anchor(rk_tsc_clock_state* c, uint64_t tsc, int64_t ns) {
  __atomic_store_n(&c->tsc, tsc, __ATOMIC_RELAXED);
  __atomic_store_n(&c->ns, ns, __ATOMIC_RELAXED);
}

/* The slow path: a clock_gettime reading, which also calibrates and renews the anchor. */
__attribute__((noinline)) static int64_t rk_clock_renew_ns(void) {
  rk_tsc_clock_state* c = &rk_tsc_clock;
  uint32_t mode = __atomic_load_n(&c->mode, __ATOMIC_ACQUIRE);
  if (mode == RK_TSC_OFF) return rk_clock_vdso_ns();
  uint64_t before = rk_tsc_now();
  int64_t ns = rk_clock_vdso_ns();
  uint64_t spread = rk_tsc_now() - before;
  uint64_t tsc = before + spread / 2u;
  /* A pair that took long (the thread was preempted between its readings) would misplace
   * the anchor by up to its spread: only a tight one anchors. */
  if (spread > RK_TSC_PAIR_MAX_TICKS) return ns;
  uint64_t seq = __atomic_load_n(&c->seq, __ATOMIC_RELAXED);
  if ((seq & 1u) != 0u || !__atomic_compare_exchange_n(&c->seq, &seq, seq + 1u, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
    return ns; /* another thread renews it */
  if (mode == RK_TSC_UNKNOWN) {
    unsigned a = 0, b = 0, cx = 0, d = 0;
    const char* forced = getenv("RINGKERNEL_CLOCK");
    bool invariant = __get_cpuid(0x80000007u, &a, &b, &cx, &d) != 0 && ((d >> 8) & 1u) != 0u;
    bool wanted = !(forced != NULL && strcmp(forced, "vdso") == 0);
    mode = wanted && invariant && rk_tsc_kernel_uses_tsc() ? RK_TSC_CALIBRATING : RK_TSC_OFF;
    rk_tsc_set_anchor(c, tsc, ns);
  } else {
    int64_t elapsed_ns = ns - __atomic_load_n(&c->ns, __ATOMIC_RELAXED);
    uint64_t elapsed_tsc = tsc - __atomic_load_n(&c->tsc, __ATOMIC_RELAXED);
    if (elapsed_ns <= 0 || elapsed_tsc == 0u || elapsed_tsc > (uint64_t{1} << 40)) {
      /* The wall clock was set back, the TSC did not move, or a long pause: start over. */
      mode = RK_TSC_CALIBRATING;
      rk_tsc_set_anchor(c, tsc, ns);
    } else if (elapsed_ns >= (mode == RK_TSC_RUNNING ? RK_TSC_RENEW_NS / 2 : RK_TSC_CALIBRATE_NS)) {
      /* Only over a long interval: a rate from a short one (a thread whose reading came
       * just after another's renewal) would carry the readings' jitter into every tick. */
      uint64_t mult = (uint64_t)(((rk_u128)elapsed_ns << 32) / elapsed_tsc);
      /* Between 0.1 and 20 GHz, or the TSC is not what it claims. */
      if (mult > (uint64_t{10} << 32) || mult < (uint64_t{1} << 32) / 20u) {
        mode = RK_TSC_OFF;
      } else {
        mode = RK_TSC_RUNNING;
        __atomic_store_n(&c->mult, mult, __ATOMIC_RELAXED);
        __atomic_store_n(&c->renew_in, (uint64_t)(((rk_u128)RK_TSC_RENEW_NS << 32) / mult), __ATOMIC_RELAXED);
        rk_tsc_set_anchor(c, tsc, ns);
      }
    }
  }
  __atomic_store_n(&c->mode, mode, __ATOMIC_RELEASE);
  __atomic_store_n(&c->seq, seq + 2u, __ATOMIC_RELEASE);
  return ns;
}

static inline int64_t rk_clock_ns(void) {
  rk_tsc_clock_state* c = &rk_tsc_clock;
  uint64_t seq = __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE);
  if ((seq & 1u) == 0u && __atomic_load_n(&c->mode, __ATOMIC_RELAXED) == RK_TSC_RUNNING) {
    uint64_t tsc = __atomic_load_n(&c->tsc, __ATOMIC_RELAXED);
    int64_t ns = __atomic_load_n(&c->ns, __ATOMIC_RELAXED);
    uint64_t mult = __atomic_load_n(&c->mult, __ATOMIC_RELAXED);
    uint64_t renew_in = __atomic_load_n(&c->renew_in, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    uint64_t ticks = rk_tsc_now() - tsc;
    if (__atomic_load_n(&c->seq, __ATOMIC_RELAXED) == seq && ticks < renew_in)
      return ns + (int64_t)(((rk_u128)ticks * mult) >> 32);
  }
  return rk_clock_renew_ns();
}
#else
static inline int64_t rk_clock_ns(void) { return rk_clock_vdso_ns(); }
#endif

static inline void rk_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static inline void rk_yield(void) { sched_yield(); }

/* Sleeps while *p == expected, until woken or timeout_ns passes (private futex: every
 * waiter and waker is in this process). Spurious returns are fine: callers re-check. */
static inline void rk_park_u32(uint32_t* p, uint32_t expected, int64_t timeout_ns) {
  if (timeout_ns < 0) timeout_ns = 0;
  struct timespec ts;
  ts.tv_sec = (time_t)(timeout_ns / 1000000000);
  ts.tv_nsec = (long)(timeout_ns % 1000000000);
  syscall(SYS_futex, p, FUTEX_WAIT_PRIVATE, expected, &ts, NULL, 0);
}

static inline void rk_unpark_u32(uint32_t* p) { syscall(SYS_futex, p, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0); }

#endif /* RINGKERNEL_RK_HOST_PRIMITIVES_H */
