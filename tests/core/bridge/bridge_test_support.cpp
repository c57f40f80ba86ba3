#include "bridge_test_support.hpp"

#include <cstring>

namespace bridgetest {

void Completion::record(void* self, rk_result result, const rk_msg_header* header, const void* payload,
                        uint32_t size) noexcept {
  auto* c = static_cast<Completion*>(self);
  c->result = result;
  if (header) c->correlation_id = header->correlation_id;
  if (payload && size == sizeof(ringtest::Pong)) {
    ringtest::Pong pong;
    std::memcpy(&pong, payload, sizeof(pong));
    c->value = pong.value;
  }
  c->error = rk_last_error();
  c->calls.fetch_add(1, std::memory_order_release);  // publishes the fields above
}

rk_result request_async(rk::Kernel& kernel, uint64_t value, uint64_t timeout_ns, Completion& completion) {
  ringtest::Ping ping{value};
  rk_request_options options = RK_REQUEST_OPTIONS_INIT;
  options.timeout_ns = timeout_ns;
  return rk_kernel_request_async(kernel.get(), ringtest::Ping::type_id, &ping, sizeof(ping), &options,
                                 &Completion::record, &completion);
}

const char* const kSinkSource = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  (void)ctx;
  (void)payload;
  return msg->type_id == 1u ? RK_SUCCESS : RK_ERROR_UNKNOWN_MESSAGE_TYPE;
}
)";

rk::KernelSpec sink_spec(const std::string& name) {
  rk::KernelSpec spec;
  spec.name = name;
  spec.source = kSinkSource;
  return spec;
}

rk::KernelSpec pipelined_echo_spec(const std::string& name) {
  rk::KernelSpec spec = ringtest::echo_spec(name);
  spec.input_capacity = 256;
  spec.output_capacity = 256;
  return spec;
}

}  // namespace bridgetest
