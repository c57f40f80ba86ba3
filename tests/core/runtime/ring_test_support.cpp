#include "ring_test_support.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <thread>

namespace ringtest {

const char* const kEchoSource = R"(
typedef struct echo_state { uint64_t handled; } echo_state;
typedef struct ping { uint64_t value; } ping;
typedef struct pong { uint64_t value; uint64_t seen; } pong;
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  if (msg->type_id != 1u) return RK_ERROR_UNKNOWN_MESSAGE_TYPE;
  rk_global echo_state* state = (rk_global echo_state*)rk_state(ctx);
  pong out;
  out.value = ((rk_global const ping*)payload)->value + 1u;
  out.seen = state->handled;
  state->handled += 1u;
  return rk_reply(ctx, 2u, &out, (uint32_t)sizeof(out));
}
)";

bool runs_ring_kernels(rk::Runtime& rt) {
  // Persistent, or relaunched per batch (RINGKERNEL_BRIDGE_MODE=relaunch): both need the
  // ring block in memory host and device share. Relaunch-copy copies it instead.
  return (rt.device().caps & RK_CAP_HOST_COHERENT) != 0 || rt.bridge_mode() == RK_BRIDGE_RELAUNCH_COPY;
}

rk::Runtime& runtime() {
  static std::unique_ptr<rk::Runtime> instance;
  static std::string failure;
  if (!instance && failure.empty()) {
    try {
      instance = std::make_unique<rk::Runtime>("cpu_sim");
    } catch (const rk::Error& e) {
      failure = e.what();
    }
  }
  // cpu_sim is built with the project: its absence is a bug, never a skip.
  if (!instance) FAIL("cpu_sim is not usable: " << failure);
  return *instance;
}

rk::Runtime& runtime_for(const std::string& backend) {
  if (backend == "cpu_sim") return runtime();
  // One runtime per backend for the whole binary (opening a device is slow), or the reason
  // it could not be opened, so every case on that backend skips with the same words.
  struct Opened {
    std::unique_ptr<rk::Runtime> runtime;
    std::string failure;
  };
  static std::map<std::string, Opened> opened;
  Opened& entry = opened[backend];
  if (!entry.runtime && entry.failure.empty()) {
    try {
      entry.runtime = std::make_unique<rk::Runtime>(backend);
    } catch (const rk::Error& e) {
      entry.failure = e.what();
    }
  }
  if (!entry.runtime) SKIP(backend << " is not usable here: " << entry.failure);
  if (!runs_ring_kernels(*entry.runtime))
    SKIP(backend << " device '" << entry.runtime->device().name << "' runs no ring kernels (no host-coherent memory)");
  return *entry.runtime;
}

std::unique_ptr<rk::Runtime> own_runtime(const std::string& backend) {
  std::unique_ptr<rk::Runtime> rt;
  std::string failure;
  try {
    rt = std::make_unique<rk::Runtime>(backend);
  } catch (const rk::Error& e) {
    failure = e.what();
  }
  if (!rt && backend == "cpu_sim") FAIL("cpu_sim is not usable: " << failure);
  if (!rt) SKIP(backend << " is not usable here: " << failure);
  if (!runs_ring_kernels(*rt))
    SKIP(backend << " device '" << rt->device().name << "' runs no ring kernels (no host-coherent memory)");
  return rt;
}

const char* const kForwardSource = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  uint64_t value = *(rk_global const uint64_t*)payload + 1u;
  uint32_t next = rk_peer(ctx, 0);
  (void)msg;
  if (next != 0u) return rk_send_to_kernel_wait(ctx, next, 3u, &value, 8u);
  return rk_enqueue_output(ctx, 3u, &value, 8u);
}
)";

rk::KernelSpec echo_spec(const std::string& name, bool auto_activate) {
  rk::KernelSpec spec;
  spec.name = name;
  spec.source = kEchoSource;
  spec.state_bytes = sizeof(uint64_t);
  spec.input_capacity = 64;
  spec.output_capacity = 64;
  spec.auto_activate = auto_activate;
  return spec;
}

rk_telemetry telemetry_after(rk::Kernel& kernel, uint64_t count) {
  // Generous: it returns as soon as the count is reached; only a hang waits this long.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  rk_telemetry t = kernel.telemetry();
  while (t.messages_processed < count && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::microseconds(100));
    t = kernel.telemetry();
  }
  return t;
}

bool wait_until(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return true;
}

bool wait_while_progressing(const std::function<bool()>& done, const std::function<uint64_t()>& progress) {
  uint64_t seen = progress();
  auto stalled_since = std::chrono::steady_clock::now();
  while (!done()) {
    uint64_t now_at = progress();
    if (now_at != seen) {
      seen = now_at;
      stalled_since = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - stalled_since >= std::chrono::seconds(30)) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return true;
}

}  // namespace ringtest
