// SHA-256 for the plugins' kernel cache keys: a cache hit loads a compiled object without looking at
// it, so two different sources must never share a key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rk::plugin_common {

class Sha256 {
 public:
  Sha256();
  void update(std::string_view bytes);
  std::string hex_digest();  // finishes the hash; call once
  std::string digest();      // the same, as 32 raw bytes (either one, once)

 private:
  void compress(const uint8_t* block);

  uint32_t state_[8];
  uint8_t buffer_[64] = {};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

}  // namespace rk::plugin_common
