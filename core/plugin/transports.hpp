// Transport discovery (docs/transports.md): librk_transport_*.so files in the plugin search
// path, loaded and classified as backends are (docs/discovery.md), then asked whether they
// can run here (probe). A transport that loads stays loaded for its registry's life.
#pragma once

#include <boost/dll/shared_library.hpp>
#include <string>
#include <vector>

#include "ringkernel.h"
#include "rk_transport.h"

namespace rk::core {

struct TransportRecord {
  rk_plugin_outcome outcome = RK_PLUGIN_REJECTED;
  rk_plugin_reason reason = RK_PLUGIN_REASON_UNDEFINED;
  uint32_t abi_major = 0;
  uint32_t abi_minor = 0;
  std::string path;
  std::string name;    // the transport's name, or the file's stem until it says
  std::string detail;  // what probe said it runs on, or why it was rejected
  boost::dll::shared_library library;
  const rk_transport_table* table = nullptr;  // set when loaded
};

std::vector<std::string> transport_candidates(const std::string& folder);

// Loads one candidate and classifies the outcome: LOADED/OK when its probe says it can run
// here; REJECTED with the reason otherwise (a library it needs is missing, no entry, another
// major ABI, a short table, or probe's words). Never throws.
TransportRecord load_transport(const std::string& path);

}  // namespace rk::core
