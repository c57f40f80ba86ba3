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
                           "core/dialect/rk_hlc_ops.h", "core/dialect/rk_ring_context.h"})
    source += without_includes(read_source_file(part));
  source += "\n#line 1 \"user_source\"\n" + user + "\n";
  return source + without_includes(read_source_file("core/dialect/rk_ring_loop.h"));
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

}  // namespace rk::test
