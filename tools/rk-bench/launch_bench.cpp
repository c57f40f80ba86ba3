// Launch suite: the baselines a ring kernel is measured against, on the selected backend
// (RINGKERNEL_BACKEND): one message handled by one kernel launch + synchronize + read back
// per message, and a bare persistent kernel answering a host flag in shared memory (no
// runtime, no queues): once with nothing but the flag, once carrying the same 64-byte
// message the ring kernel carries (message line + flag line each way, the least any queue
// moves). Compare with the "roundtrip" suite's ring-kernel row.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include <ringkernel/ringkernel.hpp>

#include "bench.hpp"
#include "launch_baseline.hpp"

namespace rk::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Handles one "message": reads 64 bytes, writes them back incremented.
const char* const kHandleOnce = R"(
RK_KERNEL void handle_once(rk_global const uint64_t* in, rk_global uint64_t* out) {
  if (rk_thread_idx(0) == 0u) for (uint32_t i = 0; i < 8u; ++i) out[i] = in[i] + 1u;
}
)";

// A persistent kernel spinning on a host-written sequence word: the least a persistent
// round trip can cost on this backend.
const char* const kBarePingPong = R"(
RK_KERNEL void bare_ping_pong(rk_global uint64_t* words) {
  uint64_t seen = 0u;
  for (;;) {
    uint64_t request = rk_load_acquire_u64(&words[0]);
    if (request == ~(uint64_t)0) return;
    if (request != seen) {
      seen = request;
      rk_store_release_u64(&words[16], request);
    } else {
      rk_pause();
    }
  }
}
)";

// The same, carrying a 64-byte message each way: request in words[0..7], its sequence in
// words[8]; the reply (each word + 1) in words[16..23], its sequence in words[24]. Four
// 64-byte lines, so message and flag travel as separate lines, as in a queue.
const char* const kBareMessagePingPong = R"(
RK_KERNEL void bare_message_ping_pong(rk_global uint64_t* words) {
  uint64_t seen = 0u;
  for (;;) {
    uint64_t request = rk_load_acquire_u64(&words[8]);
    if (request == ~(uint64_t)0) return;
    if (request != seen) {
      seen = request;
      for (uint32_t i = 0; i < 8u; ++i) words[16u + i] = words[i] + 1u;
      rk_store_release_u64(&words[24], request);
    } else {
      rk_pause();
    }
  }
}
)";

struct Device {
  rk_runtime rt;
  rk_module module = nullptr;
  rk_function fn = nullptr;
  Device(rk_runtime runtime, const char* source, const char* name) : rt(runtime) {
    rk_module_options options = RK_MODULE_OPTIONS_INIT;
    options.source = source;
    rk::check(rk_module_compile(rt, &options, &module), "compile");
    rk::check(rk_module_function(module, name, &fn), "function");
  }
  ~Device() { rk_module_destroy(module); }
};

rk_launch_config one_thread(uint32_t flags) {
  rk_launch_config c = RK_LAUNCH_CONFIG_INIT;  // one block of one thread
  c.flags = flags;
  return c;
}

}  // namespace

std::vector<double> launch_per_message(rk_runtime rt, uint64_t count) {
  Device d(rt, kHandleOnce, "handle_once");
  rk_buffer in = nullptr, out = nullptr;
  rk::check(rk_buffer_create(rt, 64, RK_MEMORY_DEVICE, &in), "buffer");
  rk::check(rk_buffer_create(rt, 64, RK_MEMORY_DEVICE, &out), "buffer");
  rk_arg args[] = {{RK_ARG_BUFFER, 0, nullptr, in}, {RK_ARG_BUFFER, 0, nullptr, out}};
  rk_launch_config config = one_thread(0);
  uint64_t message[8] = {}, reply[8] = {};
  std::vector<double> samples;
  for (uint64_t i = 0; i < count + 100; ++i) {
    message[0] = i;
    auto start = Clock::now();
    rk::check(rk_buffer_write(in, 0, message, sizeof(message)), "write");
    rk::check(rk_launch(rt, d.fn, &config, args, 2), "launch");
    rk::check(rk_runtime_synchronize(rt), "synchronize");
    rk::check(rk_buffer_read(out, 0, reply, sizeof(reply)), "read");
    if (reply[0] != i + 1) throw std::runtime_error("launch-per-message returned a wrong answer");
    if (i >= 100) samples.push_back(std::chrono::duration<double, std::nano>(Clock::now() - start).count());
  }
  rk_buffer_destroy(in);
  rk_buffer_destroy(out);
  return samples;
}

namespace {

// Runs `kernel` persistently on 256 bytes of host-mapped words and times `count` host
// round trips; with_message also writes a 64-byte request and checks the reply.
std::vector<double> bare_persistent(rk_runtime rt, uint64_t count, bool with_message) {
  const char* name = with_message ? "bare_message_ping_pong" : "bare_ping_pong";
  Device d(rt, with_message ? kBareMessagePingPong : kBarePingPong, name);
  rk_buffer words = nullptr;
  rk::check(rk_buffer_create(rt, 256, RK_MEMORY_HOST_MAPPED, &words), "buffer");
  void* mapped = nullptr;
  rk::check(rk_buffer_map(words, &mapped), "map");
  auto* w = static_cast<uint64_t*>(mapped);
  std::memset(w, 0, 256);
  size_t request_word = with_message ? 8 : 0, reply_word = with_message ? 24 : 16;
  rk_arg arg{RK_ARG_BUFFER, 0, nullptr, words};
  rk_launch_config config = one_thread(RK_LAUNCH_COOPERATIVE);
  rk::check(rk_launch(rt, d.fn, &config, &arg, 1), "launch");
  std::vector<double> samples;
  uint64_t reply[8] = {};
  for (uint64_t i = 1; i <= count + 100; ++i) {
    auto start = Clock::now();
    if (with_message)
      for (uint64_t k = 0; k < 8; ++k) w[k] = i + k;
    __atomic_store_n(&w[request_word], i, __ATOMIC_RELEASE);
    while (__atomic_load_n(&w[reply_word], __ATOMIC_ACQUIRE) != i) {
    }
    if (with_message) std::memcpy(reply, &w[16], sizeof(reply));
    if (i > 100) samples.push_back(std::chrono::duration<double, std::nano>(Clock::now() - start).count());
    if (with_message && (reply[0] != i + 1 || reply[7] != i + 8))
      throw std::runtime_error("bare message ping-pong returned a wrong answer");
  }
  __atomic_store_n(&w[request_word], ~uint64_t{0}, __ATOMIC_RELEASE);
  rk::check(rk_runtime_synchronize(rt), "synchronize");
  rk_buffer_destroy(words);
  return samples;
}

ResultRow latency_row(const std::string& name, const std::string& backend, std::vector<double> samples) {
  return backend_row("launch", name, "ns", backend, std::move(samples));
}

std::vector<ResultRow> launch_suite(const Options& options) {
  uint64_t count = options.messages ? options.messages : (options.quick ? 500 : 10000);
  rk::Runtime runtime;
  std::string backend = runtime.backend();
  std::vector<ResultRow> rows;
  rows.push_back(latency_row("one launch + synchronize + read per message", backend, launch_per_message(runtime.get(), count)));
  if (runtime.bridge_mode() == RK_BRIDGE_PERSISTENT) {
    rows.push_back(latency_row("bare persistent ping-pong, flag only (no runtime)", backend,
                               bare_persistent(runtime.get(), count, false)));
    rows.push_back(latency_row("bare persistent ping-pong, 64-byte message (no runtime)", backend,
                               bare_persistent(runtime.get(), count, true)));
  }
  return rows;
}

SuiteRegistration launch_registration{"launch", "baselines: launch per message, bare persistent-kernel ping-pong",
                                      launch_suite};

}  // namespace
}  // namespace rk::bench
