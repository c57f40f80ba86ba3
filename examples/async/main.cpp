// Async requests to a ring kernel (docs/bridge.md): a std::future from request_async, and
// co_await async_request from a coroutine type of the program's own. Replies come back on
// the runtime's bridge thread; the main thread never waits on the kernel itself. Last, the
// main thread drives the bridge itself while it waits (runtime.progress()).
#include <chrono>
#include <coroutine>
#include <cstdio>
#include <exception>
#include <future>
#include <vector>

#include <ringkernel/ringkernel.hpp>

struct Ping {
  static constexpr uint32_t type_id = 1;
  uint64_t value;
};
struct Pong {
  static constexpr uint32_t type_id = 2;
  uint64_t value;
};

static const char* const kIncrement = R"(
typedef struct ping { uint64_t value; } ping;
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  (void)msg;
  uint64_t next = ((rk_global const ping*)payload)->value + 1u;
  return rk_reply(ctx, 2u, &next, 8u);
})";

// The smallest coroutine type: starts at once; the caller learns the end through a promise.
struct Task {
  struct promise_type {
    Task get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
};

// Ten requests in a row; each co_await resumes on the bridge thread with the reply.
Task count_to_ten(rk::Kernel& kernel, std::promise<uint64_t>& done) {
  uint64_t value = 0;
  try {
    for (int i = 0; i < 10; ++i) value = (co_await kernel.async_request<Pong>(Ping{value})).value;
    done.set_value(value);
  } catch (...) {
    done.set_exception(std::current_exception());
  }
}

int main() {
  try {
    rk::Runtime runtime;  // RINGKERNEL_BACKEND, else cpu_sim
    rk::KernelSpec spec;
    spec.name = "increment";
    spec.source = kIncrement;
    spec.input_capacity = 256;  // room for every request in flight
    spec.output_capacity = 256;
    rk::Kernel kernel = runtime.launch(spec);

    // 100 requests in flight at once, each answered through its future.
    std::vector<std::future<Pong>> replies;
    for (uint64_t i = 0; i < 100; ++i) replies.push_back(kernel.request_async<Pong>(Ping{i}));
    uint64_t wrong = 0;
    for (uint64_t i = 0; i < 100; ++i) wrong += replies[i].get().value != i + 1;

    std::promise<uint64_t> counted;
    std::future<uint64_t> counted_result = counted.get_future();
    count_to_ten(kernel, counted);
    uint64_t ten = counted_result.get();

    // 100 more, and this thread hands the replies over itself while it waits for them
    // (rk_runtime_progress): no hand-over from another thread, which pays most where the
    // bridge must poll for output (OpenCL, CUDA). Whichever thread gets to a reply first
    // delivers it, so `here` is anywhere from 0 to 100.
    std::vector<std::future<Pong>> driven;
    for (uint64_t i = 0; i < 100; ++i) driven.push_back(kernel.request_async<Pong>(Ping{i}));
    uint64_t here = 0;
    for (auto& reply : driven)
      while (reply.wait_for(std::chrono::seconds(0)) != std::future_status::ready) here += runtime.progress();
    for (uint64_t i = 0; i < 100; ++i) wrong += driven[i].get().value != i + 1;

    std::printf("futures: %llu of 200 replies wrong (%llu handed over by this thread); coroutine counted to %llu\n",
                static_cast<unsigned long long>(wrong), static_cast<unsigned long long>(here),
                static_cast<unsigned long long>(ten));
    if (wrong != 0 || ten != 10) {
      std::printf("async example: MISMATCH\n");
      return 1;
    }
    std::printf("async example: every reply matched its request\n");
    kernel.terminate();
    return 0;
  } catch (const rk::Error& e) {
    std::fprintf(stderr, "async example failed: %s\n", e.what());
    return 1;
  }
}
