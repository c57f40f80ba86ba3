// Snapshots (rk_kernel_snapshot, rk_kernel_options.snapshot; docs/runtime.md, "Snapshots
// and migration"): a kernel's state and every message it holds go into an image and come
// back at launch, in the same runtime or another backend's; a damaged image is refused with
// the reason.
#include <cstring>
#include <string>
#include <vector>

#include "ring_test_support.hpp"

using namespace ringtest;

namespace {

constexpr uint64_t kLong = 30'000'000'000ull;

rk::KernelSpec echo_of(const std::string& name) {
  rk::KernelSpec spec = echo_spec(name);
  spec.input_capacity = 64;
  spec.output_capacity = 64;
  return spec;
}

// Three Pings handled, then deactivated with five more queued and two replies unread.
std::vector<uint8_t> busy_snapshot(rk::Runtime& rt, const std::string& name) {
  rk::Kernel k = rt.launch(echo_of(name));
  for (uint64_t i = 0; i < 3; ++i) CHECK(k.request<Pong>(Ping{i}).seen == i);
  k.send(Ping{10});
  k.send(Ping{11});
  REQUIRE(wait_until([&] { return k.status().output_depth == 2; }));  // replies written, not received
  k.deactivate();
  for (uint64_t i = 0; i < 5; ++i) k.send(Ping{100 + i});
  std::vector<uint8_t> image = k.snapshot();
  // A copy: the kernel keeps everything and goes on from where it was. (Deactivate does
  // not wait for the loop: one Ping sent right after may still be handled, its reply then
  // waiting as output. Either way all seven are still here, and in the image.)
  rk_kernel_status held = k.status();
  CHECK(held.input_depth + held.output_depth == 7);
  CHECK(held.input_depth >= 3);
  k.reactivate();
  for (uint64_t i = 0; i < 7; ++i) REQUIRE(k.receive<Pong>(kLong).has_value());
  k.terminate();
  return image;
}

void launch_from(rk::Runtime& rt, const std::string& name, const std::vector<uint8_t>& image) {
  rk::KernelSpec spec = echo_of(name);
  spec.snapshot = image;
  rk::Kernel k = rt.launch(spec);
  // The unread replies first, then the queued Pings, the state's count going on.
  for (uint64_t i = 0; i < 2; ++i) {
    auto out = k.receive<Pong>(kLong);
    REQUIRE(out.has_value());
    CHECK(out->message.value == 11 + i);
    CHECK(out->message.seen == 3 + i);
  }
  for (uint64_t i = 0; i < 5; ++i) {
    auto out = k.receive<Pong>(kLong);
    REQUIRE(out.has_value());
    CHECK(out->message.value == 101 + i);
    CHECK(out->message.seen == 5 + i);
  }
  CHECK(k.request<Pong>(Ping{7}).seen == 10);  // new requests get fresh correlation ids
  k.terminate();
}

std::vector<uint8_t> some_image() {
  static const std::vector<uint8_t> image = busy_snapshot(runtime(), "snap_source_for_damage");
  return image;
}

std::string refusal(const std::vector<uint8_t>& image, uint32_t state_bytes = 8, uint32_t input_capacity = 64) {
  rk_kernel_options options = RK_KERNEL_OPTIONS_INIT;
  options.name = "snap_refused";
  options.source = kEchoSource;
  options.state_bytes = state_bytes;
  options.input_capacity = input_capacity;
  options.snapshot = image.data();
  options.snapshot_size = image.size();
  rk_kernel k = nullptr;
  rk_result r = rk_kernel_create(runtime().get(), &options, &k);
  if (r == RK_SUCCESS) {
    rk_kernel_destroy(k);
    return "";
  }
  CHECK(r == RK_ERROR_INVALID_ARGUMENT);
  return rk_last_error();
}

}  // namespace

TEST_CASE("a snapshot launches again with its state, queued input and unread output (cpu_sim)", "[snapshot]") {
  auto image = busy_snapshot(runtime(), "snap_a");
  launch_from(runtime(), "snap_a_again", image);
}

TEST_CASE("a snapshot taken on cpu_sim launches on OpenCL", "[snapshot][opencl]") {
  auto image = busy_snapshot(runtime(), "snap_b");
  launch_from(runtime_for("opencl"), "snap_b_on_opencl", image);
}

TEST_CASE("K2K messages waiting in an inbox go along, their senders found by name", "[coherent][snapshot][k2k]") {
  auto first = own_runtime("cpu_sim");
  rk::KernelSpec last;
  last.name = "snap_last";
  last.source = kForwardSource;
  last.inbox_capacity = 64;
  rk::Kernel c = first->launch(last);
  rk::KernelSpec head;
  head.name = "snap_head";
  head.source = kForwardSource;
  head.peers = {"snap_last"};
  rk::Kernel a = first->launch(head);
  c.deactivate();
  for (uint64_t i = 0; i < 10; ++i) a.send(Value{i * 10});  // a -> c: they wait in c's inbox
  REQUIRE(wait_until([&] { return c.status().inbox_depth == 10; }));
  std::vector<uint8_t> image = c.snapshot();
  // In another runtime, under the same name: its inbox is back, and `snap_head` (a kernel
  // of the first runtime now) is what the messages say sent them.
  auto second = own_runtime("cpu_sim");
  last.snapshot = image;
  rk::Kernel moved = second->launch(last);
  for (uint64_t i = 0; i < 10; ++i) {
    auto out = moved.receive<Value>(kLong);
    REQUIRE(out.has_value());
    CHECK(out->message.value == i * 10 + 2);
    CHECK(out->header.source_kernel == moved.id());
  }
  moved.terminate();
  c.terminate();  // the original still had them too: a snapshot copies
  for (uint64_t i = 0; i < 10; ++i) REQUIRE(c.receive<Value>(0).has_value());
}

TEST_CASE("damaged or mismatched snapshots are refused with the reason", "[snapshot]") {
  std::vector<uint8_t> good = some_image();
  CHECK(refusal(good).empty());  // the image itself is fine

  std::vector<uint8_t> truncated(good.begin(), good.end() - 9);
  CHECK(refusal(truncated).find("truncated") != std::string::npos);
  std::vector<uint8_t> longer = good;
  longer.push_back(0);
  CHECK(refusal(longer).find("trailing bytes") != std::string::npos);
  for (size_t at : {size_t{64}, good.size() / 2, good.size() - 1}) {
    std::vector<uint8_t> corrupted = good;
    corrupted[at] ^= 0x10;
    CHECK(refusal(corrupted).find("checksum") != std::string::npos);
  }
  std::vector<uint8_t> foreign = good;
  foreign[0] = 'X';
  CHECK(refusal(foreign).find("magic") != std::string::npos);
  std::vector<uint8_t> future = good;
  future[8] = 2;  // format version 2
  CHECK(refusal(future).find("format version 2") != std::string::npos);
  CHECK(refusal(std::vector<uint8_t>(good.begin(), good.begin() + 10)).find("header") != std::string::npos);

  CHECK(refusal(good, 16).find("state_bytes is 16") != std::string::npos);
  CHECK(refusal(good, 8, 2).find("input_capacity is 2") != std::string::npos);  // it holds 3 or more
}

TEST_CASE("a snapshot is taken only of a kernel that is not running its handler", "[snapshot]") {
  rk::Kernel k = runtime().launch(echo_of("snap_states"));
  size_t size = 0;
  CHECK(rk_kernel_snapshot(k.get(), nullptr, 0, &size) == RK_ERROR_INVALID_STATE);
  CHECK(std::string(rk_last_error()).find("deactivate it first") != std::string::npos);
  CHECK(rk_kernel_snapshot(k.get(), nullptr, 0, nullptr) == RK_ERROR_INVALID_ARGUMENT);
  k.deactivate();
  REQUIRE(rk_kernel_snapshot(k.get(), nullptr, 0, &size) == RK_SUCCESS);
  CHECK(size > 64);
  std::vector<uint8_t> small(size - 1);
  size_t needed = 0;
  CHECK(rk_kernel_snapshot(k.get(), small.data(), small.size(), &needed) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(needed == size);
  CHECK(std::string(rk_last_error()).find("needs " + std::to_string(size)) != std::string::npos);
  k.terminate();
  CHECK(rk_kernel_snapshot(k.get(), nullptr, 0, &size) == RK_ERROR_INVALID_STATE);
}
