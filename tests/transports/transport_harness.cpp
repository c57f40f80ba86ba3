#include "transport_harness.hpp"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <random>

namespace rk::transport_test {

#if defined(__SANITIZE_THREAD__)
// UCX patches mmap/munmap/brk to watch memory for its registration caches; under
// ThreadSanitizer's own interceptors that patching crashes the process at once. The tests
// send small eager messages, which need no registration cache, so it is turned off before
// anything starts UCX (the peer process inherits it).
namespace {
const bool kUcxMemoryEventsOff = setenv("UCX_MEM_EVENTS", "no", 0) == 0;
}  // namespace
#endif

const rk_transport_table* load_transport(const std::string& path, std::string& why) {
  void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    why = dlerror();
    return nullptr;
  }
  auto entry = reinterpret_cast<rk_transport_entry_fn>(dlsym(library, RK_TRANSPORT_ENTRY_NAME));
  if (entry == nullptr) {
    why = "no " RK_TRANSPORT_ENTRY_NAME " in " + path;
    return nullptr;
  }
  const rk_transport_table* table = nullptr;
  char text[512] = {};
  rk_text_out error{text, sizeof text, 0};
  if (entry(nullptr, &table, &error) != RK_SUCCESS || table == nullptr) {
    why = text;
    return nullptr;
  }
  if (table->abi_major != RK_TRANSPORT_ABI_MAJOR) {
    why = "transport ABI " + std::to_string(table->abi_major);
    return nullptr;
  }
  return table;
}

Group::Group(uint32_t rank, std::vector<std::string> group_addresses, const std::vector<uint8_t>& job_key)
    : addresses(std::move(group_addresses)), key(job_key) {
  for (const std::string& address : addresses) pointers.push_back(address.c_str());
  group.struct_size = sizeof(group);
  group.rank = rank;
  group.size = static_cast<uint32_t>(addresses.size());
  group.addresses = pointers.data();
  group.job_key = key.data();
  group.job_key_size = static_cast<uint32_t>(key.size());
}

std::vector<uint8_t> random_key() {
  std::random_device random;
  std::vector<uint8_t> key(32);
  for (uint8_t& b : key) b = static_cast<uint8_t>(random());
  return key;
}

std::string hex(const std::vector<uint8_t>& bytes) {
  std::string text;
  char pair[3];
  for (uint8_t b : bytes) {
    std::snprintf(pair, sizeof pair, "%02x", b);
    text += pair;
  }
  return text;
}

std::vector<uint8_t> unhex(const std::string& text) {
  std::vector<uint8_t> bytes;
  for (size_t i = 0; i + 1 < text.size(); i += 2) bytes.push_back(static_cast<uint8_t>(std::stoul(text.substr(i, 2), nullptr, 16)));
  return bytes;
}

}  // namespace rk::transport_test
