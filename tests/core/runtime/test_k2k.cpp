// Kernel-to-kernel messaging: a chain of three kernels, the HLC across it, and the errors
// a handler sees (unknown target, full inbox).
#include <vector>

#include "ring_test_support.hpp"

using namespace ringtest;

namespace {

struct Hop {
  static constexpr uint32_t type_id = 10;
  uint64_t value;
  uint32_t hops;
  uint32_t reserved;
  rk_hlc stamps[4];  // the timestamp of the message each kernel received
};

// Forwards to its first peer, or back to the host when it has none.
const char* const kHopSource = R"(
typedef struct hop { uint64_t value; uint32_t hops; uint32_t reserved; rk_hlc stamps[4]; } hop;
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  hop h = *(rk_global const hop*)payload;
  if (h.hops < 4u) h.stamps[h.hops] = msg->timestamp;
  h.hops += 1u;
  h.value += 1u;
  uint32_t next = rk_peer(ctx, 0);
  if (next != 0u) return rk_send_to_kernel_wait(ctx, next, 10u, &h, (uint32_t)sizeof(h));
  return rk_enqueue_output(ctx, 10u, &h, (uint32_t)sizeof(h));
}
)";

rk::KernelSpec hop_spec(const std::string& name, std::vector<std::string> peers) {
  rk::KernelSpec spec;
  spec.name = name;
  spec.source = kHopSource;
  spec.max_payload_size = sizeof(Hop);
  spec.peers = std::move(peers);
  return spec;
}

bool before(const rk_hlc& a, const rk_hlc& b) {
  return a.physical_ns < b.physical_ns || (a.physical_ns == b.physical_ns && a.logical < b.logical);
}

struct Result {
  static constexpr uint32_t type_id = 20;
  int32_t codes[3];
};

}  // namespace

TEST_CASE("a K2K chain of three kernels delivers in order with a monotonic HLC", "[k2k]") {
  rk::Kernel c = runtime().launch(hop_spec("k2k_c", {}));
  rk::Kernel b = runtime().launch(hop_spec("k2k_b", {"k2k_c"}));
  rk::Kernel a = runtime().launch(hop_spec("k2k_a", {"k2k_b"}));
  const uint64_t n = 2000;
  for (uint64_t i = 0; i < n; ++i) a.send(Hop{i * 10, 0, 0, {}});
  for (uint64_t i = 0; i < n; ++i) {
    auto out = c.receive<Hop>(10'000'000'000ull);
    REQUIRE(out.has_value());
    REQUIRE(out->message.value == i * 10 + 3);  // FIFO end to end
    REQUIRE(out->message.hops == 3);
    const rk_hlc* s = out->message.stamps;
    CHECK(s[0].node_id == RK_KERNEL_ID_HOST);
    CHECK(s[1].node_id == a.id());
    CHECK(s[2].node_id == b.id());
    CHECK(out->header.timestamp.node_id == c.id());
    CHECK(before(s[0], s[1]));
    CHECK(before(s[1], s[2]));
    CHECK(before(s[2], out->header.timestamp));
  }
  CHECK(telemetry_after(a, n).messages_processed == n);
  CHECK(telemetry_after(b, n).messages_processed == n);
  CHECK(telemetry_after(c, n).messages_processed == n);
  rk_hlc host{};
  REQUIRE(rk_runtime_hlc_now(runtime().get(), &host) == RK_SUCCESS);
  CHECK(host.node_id == RK_KERNEL_ID_HOST);
}

TEST_CASE("K2K errors reach the handler: unknown target and full inbox", "[k2k]") {
  rk::KernelSpec sink;
  sink.name = "k2k_sink";
  sink.source = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  (void)ctx; (void)msg; (void)payload; return RK_SUCCESS;
})";
  sink.inbox_capacity = 2;
  sink.auto_activate = false;  // launched but inactive: its inbox fills up
  rk::Kernel sink_kernel = runtime().launch(sink);

  rk::KernelSpec probe;
  probe.name = "k2k_probe";
  probe.peers = {"k2k_sink", "k2k_never_launched"};
  probe.source = R"(
typedef struct result { int32_t codes[3]; } result;
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  (void)payload;
  uint64_t v = 1u;
  result r;
  if (msg->type_id == 1u) {          /* fill the sink's inbox of 2 and the outbox of 2, then one more */
    for (int i = 0; i < 4; ++i) rk_send_to_kernel(ctx, rk_peer(ctx, 0), 5u, &v, 8u);
    r.codes[0] = rk_send_to_kernel(ctx, rk_peer(ctx, 0), 5u, &v, 8u);
  } else {
    r.codes[0] = 0;
  }
  r.codes[1] = rk_send_to_kernel(ctx, rk_peer(ctx, 1), 5u, &v, 8u);  /* named, never launched */
  r.codes[2] = rk_send_to_kernel(ctx, 9999u, 5u, &v, 8u);            /* no such id */
  return rk_reply(ctx, 20u, &r, (uint32_t)sizeof(r));
})";
  probe.outbox_capacity = 2;
  rk::Kernel probe_kernel = runtime().launch(probe);
  Result r = probe_kernel.request<Result>(Ping{0});
  CHECK(r.codes[0] == RK_ERROR_QUEUE_FULL);
  CHECK(r.codes[1] == RK_ERROR_UNKNOWN_KERNEL);
  CHECK(r.codes[2] == RK_ERROR_UNKNOWN_KERNEL);
  CHECK(sink_kernel.status().inbox_depth == 2);
  rk_kernel_status probe_status = probe_kernel.status();
  CHECK(probe_status.outbox_depth == 2);
  CHECK(probe_status.k2k_deferred == 2);
  CHECK(probe_status.k2k_refused == 1);  // counted once, where the sender gave up
  CHECK(sink_kernel.status().inbox_refused == 1);
  CHECK(probe_kernel.telemetry().messages_dropped == 3);  // two unknown targets, one refusal
  sink_kernel.activate();
  // The probe's loop flushes its outbox as the sink drains; then nothing is left anywhere.
  CHECK(wait_until([&] { return probe_kernel.status().outbox_depth == 0; }));
  sink_kernel.terminate();
  CHECK(sink_kernel.telemetry().messages_processed == 4);
}
