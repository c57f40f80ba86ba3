// libFuzzer harness: what another process of a group can send (docs/distributed.md, "The
// path of a message"), through check_incoming, the framing check every delivery passes
// before the group reads it further. The input is a run of deliveries, each a header size,
// a payload size and their bytes. Anything it accepts must be what the receive path may
// rely on: data with exactly the ring header, a payload the size that header claims (at
// most 64 KiB) and a sequence number; a lookup with a name of 1 to 256 bytes without NUL or
// '/'; control messages without payload. A crash, a read past the bytes (ASan), or an
// accepted delivery that breaks one of these aborts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "distributed/wire.hpp"
#include "fuzz_input.hpp"

using namespace rk::core::group;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in{data, size};
  while (in.size > 0) {
    // Mostly the sizes a sender would use, sometimes any.
    const uint8_t pick = in.take<uint8_t>();
    uint32_t header_size = pick % 4 == 0 ? sizeof(WireHeader) : pick % 4 == 1 ? kDataHeaderBytes : in.take<uint8_t>();
    uint32_t payload_size = in.take<uint16_t>() % 512u;
    header_size = static_cast<uint32_t>(std::min<size_t>(header_size, in.size));
    std::vector<uint8_t> header(in.data, in.data + header_size);  // its own allocation: ASan sees overreads
    in.data += header_size;
    in.size -= header_size;
    if (header_size >= 4) std::memcpy(header.data(), &kWireMagic, 4);  // past the magic, mostly
    payload_size = static_cast<uint32_t>(std::min<size_t>(payload_size, in.size));
    std::vector<uint8_t> payload(in.data, in.data + payload_size);
    in.data += payload_size;
    in.size -= payload_size;

    Incoming got;
    std::string why;
    if (!check_incoming(header.empty() ? nullptr : header.data(), header_size, payload.empty() ? nullptr : payload.data(),
                        payload_size, got, why)) {
      if (why.empty()) std::abort();  // a refusal always says why
      continue;
    }
    switch (got.wire.kind) {
      case WireKind::data:
        if (header_size != kDataHeaderBytes || got.message.payload_size != payload_size ||
            payload_size > kMaxPayloadBytes || got.wire.sequence == 0)
          std::abort();
        break;
      case WireKind::lookup:
        if (payload_size == 0 || payload_size > kMaxNameBytes || header_size != sizeof(WireHeader) ||
            std::memchr(payload.data(), '\0', payload_size) || std::memchr(payload.data(), '/', payload_size))
          std::abort();
        break;
      case WireKind::credit:
      case WireKind::lookup_reply:
      case WireKind::leaving:
      case WireKind::gone:
      case WireKind::farewell:
      case WireKind::back:
        if (payload_size != 0 || header_size != sizeof(WireHeader)) std::abort();
        break;
      default:
        std::abort();  // an unknown kind accepted
    }
  }
  return 0;
}
