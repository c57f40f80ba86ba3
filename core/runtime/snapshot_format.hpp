// The snapshot image (docs/runtime.md, "Snapshots and migration"): a kernel's user state,
// clock, and every message it has not finished with, as bytes that can be written to a
// file and launched again, here or in another runtime. Encoding and decoding are pure
// functions of bytes (fuzz/fuzz_snapshot.cpp feeds the decoder anything).
//
// Layout, little-endian, every section 8-byte aligned:
//   header (64 bytes): magic "RKSNAP\r\n", format version, header size, total size, an
//     FNV-1a 64 checksum of every byte after the header, and the sizes below;
//   the kernel's name; its id where it was taken; the names of the kernels its messages
//     name (K2K sources and targets), so a restore can map them to ids of its runtime;
//   its HLC and next message id; its user state;
//   four message sections: input (from the host), inbox (K2K), outbox (its own K2K sends
//     still waiting for room), output (written for the host, not yet received). Each
//     message is its 64-byte header and its payload.
// A truncated, corrupted or foreign image is refused with the reason; nothing in it is
// trusted before the checksum and every bound have been checked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ringkernel.h"

namespace rk::core {

constexpr uint32_t kSnapshotFormatVersion = 1;

struct SnapshotMessage {
  rk_msg_header header{};
  std::vector<uint8_t> payload;  // header.payload_size bytes
};

struct SnapshotName {
  uint32_t id = 0;  // in the runtime the snapshot was taken in
  std::string name;
};

struct Snapshot {
  std::string kernel_name;
  uint32_t kernel_id = 0;
  uint32_t max_payload_size = 0;
  rk_hlc hlc{};
  uint64_t next_message_id = 0;
  std::vector<uint8_t> state;
  std::vector<SnapshotName> names;
  std::vector<SnapshotMessage> input, inbox, outbox, output;
};

std::vector<uint8_t> encode_snapshot(const Snapshot& snapshot);

// RK_ERROR_INVALID_ARGUMENT with the reason (rk_last_error) for anything but a whole,
// intact image of a format this build reads.
rk_result decode_snapshot(const void* data, size_t size, Snapshot& out);

}  // namespace rk::core
