// Payload copies of every size and alignment arrive intact: replies straight from the
// request's slot, replies from a private buffer at an odd place, and K2K sends from the
// slot into a peer's inbox. Preludes copy payloads their own way (cpu_sim: memcpy; CUDA
// and HIP: 16-byte words where both ends allow, 8, 4 or bytes otherwise, rk_copy_in_words;
// OpenCL: per address space), so each backend runs every size around those word
// boundaries from every start within 16 bytes.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "ring_test_support.hpp"

using namespace ringtest;

namespace {

// payload[0] = off; the data is payload[1 + off ...]: its start moves through every
// alignment within 16 bytes of the slot's (64-byte aligned) payload.
const char* const kCopySource = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  if (msg->type_id == 25u) return rk_enqueue_output(ctx, 25u, payload, msg->payload_size); /* a peer: to the host */
  uint32_t off = payload[0];
  uint32_t size = msg->payload_size - 1u - off;
  rk_global const uint8_t* data = payload + 1u + off;
  if (msg->type_id == 20u) return rk_reply(ctx, 21u, data, size); /* slot to slot */
  if (msg->type_id == 22u) {                                      /* through private memory, at an odd place */
    uint8_t buffer[176];
    for (uint32_t i = 0u; i < size; ++i) buffer[3u + off + i] = data[i];
    return rk_reply(ctx, 23u, buffer + 3u + off, size);
  }
  if (msg->type_id == 24u) return rk_send_to_kernel_wait(ctx, rk_peer(ctx, 0u), 25u, data, size); /* into an inbox */
  return RK_ERROR_UNKNOWN_MESSAGE_TYPE;
}
)";

constexpr uint32_t kMaxData = 144;
constexpr std::array<uint32_t, 17> kSizes{0, 1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, kMaxData};
constexpr uint64_t kLong = 30'000'000'000ull;

rk::KernelSpec copy_spec(const std::string& name, std::vector<std::string> peers = {}) {
  rk::KernelSpec spec;
  spec.name = name;
  spec.source = kCopySource;
  spec.max_payload_size = 1 + 15 + kMaxData;
  spec.peers = std::move(peers);
  return spec;
}

// Sends `type` with the data at every offset and size; the answer comes from `from`.
void every_size_and_offset(rk::Kernel& to, rk::Kernel& from, uint32_t type, uint32_t answer_type) {
  for (uint32_t off = 0; off < 16; ++off)
    for (uint32_t size : kSizes) {
      std::vector<uint8_t> message(1 + off + size);
      message[0] = static_cast<uint8_t>(off);
      for (uint32_t i = 0; i < size; ++i) message[1 + off + i] = static_cast<uint8_t>(i * 7u + off * 13u + size + 1u);
      INFO("type " << type << ", offset " << off << ", size " << size);
      REQUIRE(rk_kernel_send(to.get(), type, message.data(), static_cast<uint32_t>(message.size()), nullptr, nullptr) ==
              RK_SUCCESS);
      rk_msg_header header{};
      std::vector<uint8_t> got(kMaxData + 16, 0xEE);
      uint32_t got_size = 0;
      REQUIRE(rk_kernel_receive(from.get(), &header, got.data(), static_cast<uint32_t>(got.size()), &got_size, kLong) ==
              RK_SUCCESS);
      CHECK(header.type_id == answer_type);
      REQUIRE(got_size == size);
      CHECK(std::equal(got.begin(), got.begin() + size, message.begin() + 1 + off));
    }
}

void payload_copies_arrive_intact(const std::string& backend) {
  auto rt = own_runtime(backend);
  rk::Kernel peer = rt->launch(copy_spec("copies_peer_" + backend));
  rk::Kernel kernel = rt->launch(copy_spec("copies_" + backend, {"copies_peer_" + backend}));
  SECTION("replies straight from the request's slot") { every_size_and_offset(kernel, kernel, 20, 21); }
  SECTION("replies from a private buffer") { every_size_and_offset(kernel, kernel, 22, 23); }
  SECTION("K2K sends from the slot into a peer's inbox") { every_size_and_offset(kernel, peer, 24, 25); }
  CHECK(kernel.status().errors_encountered == 0);
  kernel.terminate();
  peer.terminate();
}

}  // namespace

TEST_CASE("payloads of every size and alignment arrive intact (cpu_sim)", "[messaging][payload]") {
  payload_copies_arrive_intact("cpu_sim");
}
TEST_CASE("payloads of every size and alignment arrive intact (opencl)", "[messaging][payload][opencl]") {
  payload_copies_arrive_intact("opencl");
}
TEST_CASE("payloads of every size and alignment arrive intact (cuda)", "[messaging][payload][cuda]") {
  payload_copies_arrive_intact("cuda");
}
