// The C++ layer over the bridge: request_async's future and the co_await-able
// async_request, from a minimal user coroutine type.
#include <coroutine>
#include <exception>
#include <future>

#include "bridge_test_support.hpp"

using namespace ringtest;
using namespace bridgetest;

namespace {

// The smallest coroutine type a user might write: starts at once, nothing to await it.
struct Detached {
  struct promise_type {
    Detached get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
};

Detached count_up(rk::Kernel& kernel, uint64_t steps, std::promise<uint64_t>& result) {
  uint64_t value = 0;
  for (uint64_t i = 0; i < steps; ++i) value = (co_await kernel.async_request<Pong>(Ping{value}, 60'000'000'000ull)).value;
  result.set_value(value);
}

Detached await_error(rk::Kernel& kernel, std::promise<rk_result>& result) {
  try {
    co_await kernel.async_request<Pong>(Ping{1}, 20'000'000);
    result.set_value(RK_SUCCESS);
  } catch (const rk::Error& e) {
    result.set_value(e.code());
  }
}

}  // namespace

TEST_CASE("bridge: request_async returns a future with the reply, or rk::Error with the code", "[bridge][cpp]") {
  rk::Kernel echo = runtime().launch(echo_spec("bridge_cpp_future"));
  std::vector<std::future<Pong>> futures;
  for (uint64_t i = 0; i < 50; ++i) futures.push_back(echo.request_async<Pong>(Ping{i}, 60'000'000'000ull));
  for (uint64_t i = 0; i < 50; ++i) CHECK(futures[i].get().value == i + 1);

  rk::Kernel sink = runtime().launch(sink_spec("bridge_cpp_future_sink"));
  std::future<Pong> never = sink.request_async<Pong>(Ping{1}, 20'000'000);
  try {
    never.get();
    FAIL("a request without a reply resolved");
  } catch (const rk::Error& e) {
    CHECK(e.code() == RK_ERROR_TIMEOUT);
  }
}

TEST_CASE("bridge: co_await async_request resumes with the reply, or throws rk::Error", "[bridge][cpp]") {
  rk::Kernel echo = runtime().launch(echo_spec("bridge_cpp_await"));
  std::promise<uint64_t> counted;
  std::future<uint64_t> counted_future = counted.get_future();
  count_up(echo, 100, counted);
  CHECK(counted_future.get() == 100);

  rk::Kernel sink = runtime().launch(sink_spec("bridge_cpp_await_sink"));
  std::promise<rk_result> failed;
  std::future<rk_result> failed_future = failed.get_future();
  await_error(sink, failed);
  CHECK(failed_future.get() == RK_ERROR_TIMEOUT);
}
