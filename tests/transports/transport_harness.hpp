// What the transport tests share: loading a transport plugin's table without libringcore
// (as the core does: dlopen, the entry symbol, the ABI version), a group on loopback, and
// the little message the tests exchange.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ringkernel/rk_transport.h"

namespace rk::transport_test {

// The test's own header in front of every payload.
struct TestHeader {
  uint64_t seq;
  uint32_t kind;  // kData, kBye (the peer exits 0), kDie (the peer kills itself)
  uint32_t payload_size;
};
enum Kind : uint32_t { kData = 0, kBye = 1, kDie = 2 };

// Payload byte i of message `seq`: the receiver checks every byte.
inline uint8_t payload_byte(uint64_t seq, size_t i) { return static_cast<uint8_t>(seq * 7 + i); }
inline uint32_t payload_size_of(uint64_t seq) { return static_cast<uint32_t>(seq % 300); }

// The plugin's table (dlopened once; never unloaded), or nullptr with the reason.
const rk_transport_table* load_transport(const std::string& path, std::string& why);

// A group of addresses.size() with `key`. Only the lower rank of a pair dials, so the tests
// give each process port 0 for itself (the system picks one, local_address says which) and
// rank 0 the address rank 1 reports: no port is guessed, none can be taken meanwhile.
struct Group {
  std::vector<std::string> addresses;
  std::vector<const char*> pointers;
  std::vector<uint8_t> key;
  rk_transport_group group{};
  Group(uint32_t rank, std::vector<std::string> group_addresses, const std::vector<uint8_t>& job_key);
};

constexpr const char* kAnyLoopbackPort = "127.0.0.1:0";

// A fresh random key, so that no two tests' processes can ever join each other.
std::vector<uint8_t> random_key();

std::string hex(const std::vector<uint8_t>& bytes);
std::vector<uint8_t> unhex(const std::string& text);

}  // namespace rk::transport_test
