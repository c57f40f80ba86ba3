// libFuzzer harness: kernel snapshot images as a file on disk may hold them (truncated,
// corrupted, hostile), through the decoder rk_kernel_create runs on rk_kernel_options.snapshot.
// Anything but an intact image must come back as an error with a reason, never a crash, a
// read past the image or an allocation a corrupt count asked for; an image it accepts must
// encode back to the very same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "runtime/snapshot_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rk::core::Snapshot snapshot;
  if (rk::core::decode_snapshot(data, size, snapshot) != RK_SUCCESS) return 0;
  std::vector<uint8_t> again = rk::core::encode_snapshot(snapshot);
  if (again.size() != size || std::memcmp(again.data(), data, size) != 0) std::abort();  // not canonical
  return 0;
}
