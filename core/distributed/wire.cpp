#include "distributed/wire.hpp"

#include <cstring>

namespace rk::core::group {

bool check_incoming(const void* header, uint32_t header_size, const void* payload, uint32_t payload_size,
                    Incoming& out, std::string& why) {
  out = Incoming{};
  if (header == nullptr || header_size < sizeof(WireHeader)) {
    why = "a header of " + std::to_string(header_size) + " bytes";
    return false;
  }
  if (payload == nullptr && payload_size != 0) {
    why = "a payload size without a payload";
    return false;
  }
  std::memcpy(&out.wire, header, sizeof out.wire);
  if (out.wire.magic != kWireMagic) {
    why = "not ours (bad magic)";
    return false;
  }
  out.payload = static_cast<const uint8_t*>(payload);
  out.payload_size = payload_size;
  const bool data = out.wire.kind == WireKind::data;
  if (header_size != (data ? kDataHeaderBytes : sizeof(WireHeader))) {
    why = "a header of " + std::to_string(header_size) + " bytes for its kind";
    return false;
  }
  switch (out.wire.kind) {
    case WireKind::data:
      std::memcpy(&out.message, static_cast<const uint8_t*>(header) + sizeof(WireHeader), sizeof out.message);
      if (out.message.payload_size != payload_size || payload_size > kMaxPayloadBytes) {
        why = "its header says " + std::to_string(out.message.payload_size) + " payload bytes, " +
              std::to_string(payload_size) + " came";
        return false;
      }
      if (out.wire.sequence == 0) {
        why = "sequence number 0";
        return false;
      }
      return true;
    case WireKind::lookup:
      if (payload_size == 0 || payload_size > kMaxNameBytes ||
          std::memchr(payload, '\0', payload_size) != nullptr || std::memchr(payload, '/', payload_size) != nullptr) {
        why = "a lookup without a valid name";
        return false;
      }
      return true;
    case WireKind::credit:
    case WireKind::lookup_reply:
    case WireKind::leaving:
    case WireKind::gone:
    case WireKind::farewell:
    case WireKind::back:
      if (payload_size != 0) {
        why = "a payload on a control message";
        return false;
      }
      return true;
  }
  why = "unknown kind " + std::to_string(static_cast<unsigned>(out.wire.kind));
  return false;
}

}  // namespace rk::core::group
