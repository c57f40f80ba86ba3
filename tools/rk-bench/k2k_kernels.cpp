#include "k2k_kernels.hpp"

#include <chrono>
#include <stdexcept>

namespace rk::bench {

const char* const kForward = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  uint64_t value = *(rk_global const uint64_t*)payload;
  (void)msg;
  if (rk_peer(ctx, 0) != 0u) return rk_send_to_kernel_wait(ctx, rk_peer(ctx, 0), 7u, &value, 8u);
  return rk_enqueue_output(ctx, 7u, &value, 8u);
})";

const char* const kVolley = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  uint64_t left = *(rk_global const uint64_t*)payload;
  if (left == 0u) return rk_enqueue_output(ctx, 8u, &left, 8u);
  left -= 1u;
  uint32_t next = rk_peer(ctx, 0) != 0u ? rk_peer(ctx, 0) : msg->source_kernel;
  return rk_send_to_kernel_wait(ctx, next, 8u, &left, 8u);
})";

rk::KernelSpec forward_spec(const std::string& name, std::vector<std::string> peers, const char* source) {
  rk::KernelSpec spec;
  spec.name = name;
  spec.source = source;
  spec.input_capacity = spec.output_capacity = spec.inbox_capacity = 64;
  spec.max_payload_size = 8;
  spec.peers = std::move(peers);
  return spec;
}

std::vector<double> volley_hops(rk::Kernel& a, uint64_t count) {
  using Clock = std::chrono::steady_clock;
  std::vector<double> samples;
  for (uint64_t i = 0; i < count + 10; ++i) {
    auto start = Clock::now();
    a.send(Volley{kVolleyHops});
    auto reply = a.receive<Volley>(10'000'000'000);
    if (!reply) throw std::runtime_error("k2k ping-pong lost its volley");
    double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
    if (i >= 10) samples.push_back(ns / double(kVolleyHops));
  }
  return samples;
}

}  // namespace rk::bench
