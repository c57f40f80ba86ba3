#include <ringkernel/ringkernel.hpp>

#include <cstdint>
#include <cstdio>

struct Ping { static constexpr uint32_t type_id = 1; uint64_t value; };
struct Pong { static constexpr uint32_t type_id = 2; uint64_t value; };

int main() {
  rk::Runtime runtime;                          // RINGKERNEL_BACKEND, else cpu_sim
  rk::KernelSpec spec;
  spec.name = "echo";
  spec.source = R"(
    typedef struct ping { uint64_t value; } ping;
    RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg,
                                 rk_global const uint8_t* payload) {
      uint64_t v = ((rk_global const ping*)payload)->value + 1u;
      return rk_reply(ctx, 2u, &v, 8u);
    })";
  rk::Kernel echo = runtime.launch(spec);
  Pong pong = echo.request<Pong>(Ping{41});     // pong.value == 42
  echo.terminate();                             // drains: no accepted message is lost
  std::printf("echo: 41 -> %llu\n", static_cast<unsigned long long>(pong.value));
  return pong.value == 42 ? 0 : 1;
}
