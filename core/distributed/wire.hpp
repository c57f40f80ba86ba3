// What processes of a group say to each other through the transport (docs/distributed.md,
// "On the wire"). Every message is a WireHeader, then for data the 64-byte ring message
// header, as the transport's header; the payload travels as the transport's payload. The
// receiver checks every field before anything touches an inbox.
#pragma once

#include <cstdint>
#include <string>

#include "ringkernel.h"

namespace rk::core::group {

constexpr uint32_t kWireMagic = 0x31474B52;  // "RKG1"
constexpr uint32_t kFromHost = UINT32_MAX;   // Data.source: the sender was its host

enum class WireKind : uint16_t {
  data = 1,          // sequence, target (export handle there), source (export handle here)
  credit = 2,        // value: how many more data messages the sender may have outstanding
  lookup = 3,        // target: request id; value: how long to wait, ms; payload: the name
  lookup_reply = 4,  // target: request id; value: rk_result; source: handle; value2: max payload
  leaving = 5,       // the sender leaves the group: what it sent before this is all it sends
  gone = 6,          // target: a handle of the sender's whose kernel is gone; routes to it close
  farewell = 7,      // answers `leaving`: everything its sender sent before that is taken here
  back = 8,          // target: a handle said `gone` before, launched again; value2: max payload
};

struct WireHeader {
  uint32_t magic = kWireMagic;
  WireKind kind = WireKind::data;
  uint16_t reserved = 0;
  uint64_t sequence = 0;  // data: 1, 2, ... per (sender, receiver)
  uint32_t target = 0;
  uint32_t source = 0;
  uint32_t value = 0;
  uint32_t value2 = 0;
};
static_assert(sizeof(WireHeader) == 32);

constexpr uint32_t kDataHeaderBytes = sizeof(WireHeader) + sizeof(rk_msg_header);
constexpr uint32_t kMaxNameBytes = 256;
// Data messages one sender may have outstanding at one receiver: what the receiver holds on
// the host when the target inbox is full is bounded by this (times 64 KiB at worst).
constexpr uint32_t kCreditWindow = 1024;
constexpr uint32_t kMaxPayloadBytes = 65536;

// What a delivery is, once its framing checked out: the group header, and for data the ring
// header (payload_size equal to the bytes that came); for a lookup the name.
struct Incoming {
  WireHeader wire;
  rk_msg_header message{};
  const uint8_t* payload = nullptr;
  uint32_t payload_size = 0;
};

// Checks a delivery's framing before anything reads it further: header sizes, magic, kind,
// payload against the ring header, name length. False with `why` for anything else.
// Pure (no state): the receive-path fuzzer drives it (fuzz/fuzz_group_wire.cpp).
bool check_incoming(const void* header, uint32_t header_size, const void* payload, uint32_t payload_size,
                    Incoming& out, std::string& why);

}  // namespace rk::core::group
