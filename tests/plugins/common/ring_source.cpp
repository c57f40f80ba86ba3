#include "ring_source.hpp"

#include <fstream>
#include <iterator>
#include <stdexcept>

namespace rk::test {
namespace {

std::string without_includes(const std::string& text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line.compare(first, 8, "#include") != 0) out += line;
    out += '\n';
    pos = end + 1;
  }
  return out;
}

}  // namespace

std::string read_source_file(const std::string& relative) {
  std::ifstream in(std::string(RK_TEST_SOURCE_DIR) + "/" + relative);
  if (!in) throw std::runtime_error("cannot read " + relative);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string ring_source(const std::string& user) {
  std::string source;
  for (const char* part : {"abi/ringkernel/rk_result.h", "abi/ringkernel/rk_ring_layout.h", "core/dialect/rk_queue_ops.h",
                           "core/dialect/rk_hlc_ops.h", "core/dialect/rk_trace.h", "core/dialect/rk_ring_context.h",
                           "core/dialect/rk_k2k.h"})
    source += without_includes(read_source_file(part));
  source += "\n#line 1 \"user_source\"\n" + user + "\n";
  return source + without_includes(read_source_file("core/dialect/rk_ring_loop.h"));
}

const char* const kSumBytesAnySpace = R"(
#define RK_TEST_SUM_BYTES(AS)                                                 \
  RK_INLINE RK_OVERLOADABLE uint32_t sum_bytes(AS const void* p, uint32_t n) { \
    AS const uint8_t* bytes = (AS const uint8_t*)p;                           \
    uint32_t total = 0u;                                                      \
    for (uint32_t i = 0u; i < n; ++i) total += bytes[i];                      \
    return total;                                                             \
  }
RK_TEST_SUM_BYTES(rk_any)
#if !RK_ANY_IS_GENERIC
RK_TEST_SUM_BYTES(rk_global)
RK_TEST_SUM_BYTES(rk_shared)
#endif
RK_KERNEL void sums(rk_global uint32_t* out, rk_global const uint8_t* in) {
  RK_SHARED_ARRAY(uint8_t, shared_bytes, 4);
  uint8_t private_bytes[4];
  for (uint32_t i = 0u; i < 4u; ++i) {
    private_bytes[i] = (uint8_t)(i + 1u);
    shared_bytes[i] = (uint8_t)(10u * (i + 1u));
  }
  out[0] = sum_bytes(in, 4u);
  out[1] = sum_bytes(private_bytes, 4u);
  out[2] = sum_bytes(shared_bytes, 4u);
)";

std::string ring_source_with_every_option() {
  const char* handler = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  (void)msg;
  rk_msg_header pulled;
  uint64_t value = *(rk_global const uint64_t*)payload;
  uint64_t more = 0;
  while (rk_try_receive_from_kernel(ctx, &pulled, &more, 8u) == RK_SUCCESS) value += more;
  if (rk_peer(ctx, 0) != 0u) return rk_send_to_kernel(ctx, rk_peer(ctx, 0), 3u, &value, 8u);
  return rk_reply(ctx, 3u, &value, 8u);
}
)";
  return "#define RK_TRACE 1\n#define RK_IDLE_EXIT_NS ((int64_t)1000000)\n#define RK_MAX_RUN_NS ((int64_t)2000000)\n" +
         ring_source(handler);
}

const char* const kEchoHandler = R"(
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

const char* const kSlotEchoHandler = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  return rk_reply(ctx, 1u, payload, msg->payload_size);
}
)";

std::string every_prelude_name_source(const std::string& dialect_macro) {
  return "#ifdef " + dialect_macro + "\n#define RK_EXPECTED_DIALECT 1\n#endif\n" + R"(
RK_INLINE uint32_t ids(void) {
  return rk_thread_idx(0) + rk_thread_idx(1) + rk_thread_idx(2) + rk_block_idx(0) + rk_block_idx(1) + rk_block_idx(2) +
         rk_block_dim(0) + rk_block_dim(1) + rk_block_dim(2) + rk_grid_dim(0) + rk_grid_dim(1) + rk_grid_dim(2);
}
RK_KERNEL void all_names(rk_global uint32_t* w32, rk_global uint64_t* w64, rk_global int64_t* out) {
  RK_SHARED_ARRAY(uint32_t, shared_words, 32);
  shared_words[rk_thread_idx(0) & 31u] = ids();
  rk_sync_threads();
  uint32_t a = rk_load_acquire_u32(w32) + rk_load_relaxed_u32(w32);
  uint64_t b = rk_load_acquire_u64(w64) + rk_load_relaxed_u64(w64);
  rk_store_release_u32(w32, a);
  rk_store_relaxed_u32(w32 + 1, shared_words[0]);
  rk_store_release_u64(w64, b);
  rk_store_relaxed_u64(w64 + 1, b);
  a += rk_fetch_add_u32(w32 + 2, 1u);
  b += rk_fetch_add_u64(w64 + 2, 1u);
  int won = rk_cas_u64(w64 + 3, b, b + 1u);
  rk_fetch_max_u64(w64 + 4, b);
  rk_fetch_min_u64(w64 + 5, b);
  rk_fence_seq_cst();
  rk_pause();
  rk_yield();
  rk_park_u32(w32 + 3, a, 1000);
  rk_unpark_u32(w32 + 3);
  int8_t i8 = 1; int16_t i16 = 2; uint8_t u8 = 3; uint16_t u16 = 4; uintptr_t up = (uintptr_t)w32;
  out[0] = rk_clock_ns() + won + i8 + i16 + u8 + u16 + (int64_t)(up & 1u);
#if !defined(RK_DEVICE_DIALECT) || !defined(RK_EXPECTED_DIALECT)
#error the prelude must define RK_DEVICE_DIALECT and its RK_DIALECT_<name>
#endif
}
)";
}

}  // namespace rk::test
