// libFuzzer harness: a freshly loaded backend plugin as a buggy or hostile one may behave,
// handed to the core's loader without dlopen (load_plugin_entry): the entry's answer, its
// error text (any size claimed), a table of any struct_size and version with entries NULL
// or missing, and entry points that return fuzzed codes, device counts, device infos and
// last_error text. The core must accept the plugin or record why not, read nothing the
// plugin did not hand it (the table is an allocation of exactly its struct_size), wrap
// every later call the same way, and let no exception escape.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_input.hpp"

#include "api/error.hpp"
#include "plugin/registry.hpp"

using namespace rk::core;

namespace {

#define CHECK(condition)             \
  do {                               \
    if (!(condition)) __builtin_trap(); \
  } while (0)

// The fake plugin's entry points read their answers from here, in call order.
FuzzInput g_in{nullptr, 0};
const rk_backend_table* g_table = nullptr;
std::string g_last_error;
bool g_last_error_null = false;
rk_result g_returned = RK_SUCCESS;  // what the last fake entry returned

std::string take_text(size_t max) {
  std::string text(g_in.take<uint16_t>() % (max + 1), '\0');
  for (char& c : text) c = g_in.take<char>();
  return text;
}

// Any value of the enum's range [0, INT32_MAX]: codes this core knows and codes a newer
// plugin may (negative ints are no rk_result in C++; the ABI gives them no meaning).
template <class Enum>
Enum take_enum() {
  return static_cast<Enum>(g_in.take<uint32_t>() & 0x7FFFFFFFu);
}

// A fuzzed code, and the words last_error() will give for it.
rk_result answer() {
  g_returned = take_enum<rk_result>();
  g_last_error_null = g_in.take<uint8_t>() & 1;
  g_last_error = take_text(300);
  return g_returned;
}

// Text into a caller's buffer as a careless plugin writes it: up to the capacity, NUL or
// not, and any full size claimed.
void write_text(rk_text_out* out) {
  std::string text = take_text(600);
  if (out->data) std::memcpy(out->data, text.data(), std::min(text.size(), out->capacity));
  out->size = (g_in.take<uint8_t>() & 1) ? g_in.take<uint64_t>() : text.size();
}

template <class Handle>
rk_result fake_handle(Handle* out) {
  rk_result r = answer();
  if (out) *out = reinterpret_cast<Handle>(uintptr_t{0x1000} + g_in.take<uint8_t>());
  return r;
}

rk_result fake_probe(uint32_t* count) {
  rk_result r = answer();
  uint8_t how = g_in.take<uint8_t>();
  if (how & 1) *count = (how & 2) ? g_in.take<uint32_t>() : how >> 2;  // raw, or a few devices
  return r;
}

rk_result fake_device_info(uint32_t, rk_device_info* info) {
  rk_result r = answer();
  // Within the struct_size the core gave: any bytes, struct_size and strings included.
  size_t n = std::min<size_t>(g_in.take<uint16_t>(), info->struct_size);
  for (size_t i = 0; i < n; ++i) reinterpret_cast<uint8_t*>(info)[i] = g_in.take<uint8_t>();
  return r;
}

const char* fake_last_error() { return g_last_error_null ? nullptr : g_last_error.c_str(); }
rk_result fake_context_create(uint32_t, rk_backend_context* context) { return fake_handle(context); }
rk_result fake_stream_create(rk_backend_context, rk_backend_stream* stream) { return fake_handle(stream); }
rk_result fake_stream_query(rk_backend_stream) { return answer(); }
rk_result fake_buffer_map(rk_backend_buffer, void** host) { return fake_handle(host); }
rk_result fake_module_compile(rk_backend_context, const rk_compile_request*, rk_backend_module* module,
                              rk_text_out* log) {
  if (log) write_text(log);
  return fake_handle(module);
}

rk_result fake_entry(const rk_host_services* host, const rk_backend_table** table, rk_text_out* error) {
  // The core's half of the contract: current services, an out-pointer, an error buffer.
  CHECK(host && host->struct_size >= sizeof(rk_host_services) && host->core_abi_major == RK_PLUGIN_ABI_MAJOR);
  CHECK(host->log && host->clock_ns && table && error && error->data && error->capacity > 0);
  uint8_t how = g_in.take<uint8_t>();
  if (how & 1) {
    std::string message = take_text(200);  // the ABI says it need not end in NUL
    host->log(host->user, take_enum<rk_log_level>(), message.data(), message.size());
  }
  (void)host->clock_ns(host->user);
  write_text(error);
  *table = (how & 2) ? nullptr : g_table;
  return answer();
}

constexpr uint16_t kNoProbe = 1, kNoDeviceInfo = 2, kNoLastError = 4, kNoContext = 8, kNoStream = 16,
                   kNoQuery = 32, kNoMap = 64, kNoCompile = 128;

// The table as the plugin declares it, copied into storage of exactly struct_size bytes
// (at least the 4 that hold it; at most 32 past what this core knows, as a newer plugin's).
std::vector<uint8_t> make_table(std::vector<char>& name) {
  rk_backend_table t{};
  uint8_t how = g_in.take<uint8_t>();
  t.struct_size = (how & 1) ? g_in.take<uint32_t>() : sizeof(t) - 8 * (g_in.take<uint8_t>() % 20);
  t.abi_major = (how & 2) ? g_in.take<uint32_t>() : RK_PLUGIN_ABI_MAJOR;
  t.abi_minor = g_in.take<uint32_t>();
  std::string text = take_text(80);
  name.assign(text.begin(), text.end());
  // Any bytes, but a C string as the ABI says, in a buffer of exactly its size: the core
  // cannot know where an unterminated name's buffer ends, so no bound would make it safe.
  name.push_back('\0');
  t.name = (how & 4) ? nullptr : name.data();
  t.caps = g_in.take<uint64_t>();
  uint16_t missing = g_in.take<uint16_t>();
  if (!(missing & kNoProbe)) t.probe = fake_probe;
  if (!(missing & kNoDeviceInfo)) t.get_device_info = fake_device_info;
  if (!(missing & kNoLastError)) t.last_error = fake_last_error;
  if (!(missing & kNoContext)) t.context_create = fake_context_create;
  if (!(missing & kNoStream)) t.stream_create = fake_stream_create;
  if (!(missing & kNoQuery)) t.stream_query = fake_stream_query;
  if (!(missing & kNoMap)) t.buffer_map = fake_buffer_map;
  if (!(missing & kNoCompile)) t.module_compile = fake_module_compile;
  std::vector<uint8_t> bytes(std::clamp<size_t>(t.struct_size, sizeof(uint32_t), sizeof(t) + 32), 0xAB);
  std::memcpy(bytes.data(), &t, std::min(bytes.size(), sizeof(t)));
  return bytes;
}

bool ends_within(const char* text, size_t capacity) { return strnlen(text, capacity) < capacity; }

void check_record(const PluginRecord& record, const rk_backend_table& declared) {
  CHECK(record.detail.find('\0') == std::string::npos);  // read back as a C string, whole
  if (record.outcome == RK_PLUGIN_REJECTED) {
    CHECK(record.reason == RK_PLUGIN_REASON_ABI_MISMATCH || record.reason == RK_PLUGIN_REASON_INIT_FAILED);
    // device_count, not devices: a get_device_info failure leaves the infos read before it.
    CHECK(!record.detail.empty() && !record.backend && record.device_count == 0);
    return;
  }
  CHECK(record.outcome == RK_PLUGIN_LOADED && record.backend);
  CHECK(declared.abi_major == RK_PLUGIN_ABI_MAJOR && record.name == declared.name);
  CHECK(record.device_count == record.devices.size() && record.device_count <= 4096);
  CHECK(record.reason == (record.device_count ? RK_PLUGIN_REASON_OK : RK_PLUGIN_REASON_NO_DEVICES));
  CHECK(record.device_count || !record.detail.empty());
  for (const rk_device_info& info : record.devices)
    CHECK(ends_within(info.name, sizeof(info.name)) && ends_within(info.vendor, sizeof(info.vendor)) &&
          ends_within(info.driver_version, sizeof(info.driver_version)));
}

// One wrapped call: UNSUPPORTED naming the entry when the table lacks it, else the plugin's
// own code, a failure carrying "backend '<name>' <entry>: ...".
template <class Call>
void expect_wrapped(bool present, const char* entry, Call call) {
  clear_error();
  rk_result r = call();
  const std::string& words = last_error_text();
  if (!present) {
    CHECK(r == RK_ERROR_UNSUPPORTED && words.find(std::string("does not provide ") + entry) != std::string::npos);
    return;
  }
  CHECK(r == g_returned);
  if (r != RK_SUCCESS && r != RK_ERROR_NOT_READY) CHECK(words.rfind("backend '", 0) == 0);
}

#define PRESENT(t, entry) (RK_TABLE_HAS(&t, rk_backend_table, entry) && t.entry != nullptr)

void drive_backend(Backend& backend, const rk_backend_table& t) {
  rk_backend_context context = nullptr;
  rk_backend_stream stream = nullptr;
  rk_backend_module module = nullptr;
  void* host = nullptr;
  expect_wrapped(PRESENT(t, context_create), "context_create", [&] { return backend.context_create(0, &context); });
  expect_wrapped(PRESENT(t, stream_create), "stream_create", [&] { return backend.stream_create(context, &stream); });
  expect_wrapped(PRESENT(t, stream_query), "stream_query", [&] { return backend.stream_query(stream); });
  expect_wrapped(PRESENT(t, buffer_map), "buffer_map", [&] { return backend.buffer_map(nullptr, &host); });
  std::vector<char> log(g_in.take<uint8_t>() + 1);
  rk_text_out log_out{log.data(), log.size(), 0};
  rk_compile_request request{};
  request.struct_size = sizeof(request);
  expect_wrapped(PRESENT(t, module_compile), "module_compile",
                 [&] { return backend.module_compile(context, &request, &module, &log_out); });
  expect_wrapped(false, "launch", [&] { return backend.launch(stream, nullptr, nullptr, nullptr, 0); });
}

// The record as rk-info and applications see it: its status, its devices, selection by name.
void check_registry(PluginRecord record) {
  rk_registry_s registry;
  registry.plugins.push_back(std::move(record));
  const PluginRecord& p = registry.plugins[0];
  rk_plugin_status status{};
  status.struct_size = (g_in.take<uint8_t>() & 1) ? g_in.take<uint8_t>() : sizeof(status);
  if (rk_registry_plugin_status(&registry, 0, &status) == RK_SUCCESS) {
    CHECK(status.outcome == p.outcome && status.reason == p.reason && std::strcmp(status.detail, p.detail.c_str()) == 0);
    CHECK(std::strcmp(rk_plugin_reason_name(status.reason), "unknown") != 0);
  } else {
    CHECK(status.struct_size < sizeof(status) && std::strlen(rk_last_error()) > 0);  // too short for the first layout
  }
  uint32_t devices = rk_registry_device_count(&registry);
  CHECK(devices == (p.outcome == RK_PLUGIN_LOADED ? p.device_count : 0));
  for (uint32_t i = 0; i <= std::min(devices, 3u); ++i) {
    rk_device_entry entry{};
    entry.struct_size = (g_in.take<uint8_t>() & 1) ? g_in.take<uint16_t>() : sizeof(entry);
    rk_result r = rk_registry_device(&registry, i, &entry);
    CHECK(i < devices || r == RK_ERROR_INVALID_ARGUMENT);
    if (r == RK_SUCCESS) CHECK(std::strcmp(entry.backend, p.name.c_str()) == 0 && ends_within(entry.info.name, 256));
  }
  const char* chosen = nullptr;
  rk_result r = rk_registry_select(&registry, p.name.c_str(), &chosen);
  if (p.outcome == RK_PLUGIN_REJECTED) CHECK(r == RK_ERROR_BACKEND_UNAVAILABLE);
  else CHECK(r == (p.device_count ? RK_SUCCESS : RK_ERROR_NO_DEVICE));
  CHECK(r == RK_SUCCESS || std::strlen(rk_last_error()) > 0);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setenv("RINGKERNEL_LOG_LEVEL", "off", 1);  // plugin log lines would drown the fuzzer's
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  g_in = {data, size};
  std::vector<char> name;
  std::vector<uint8_t> table = make_table(name);  // outlives the record, as a plugin's table would
  rk_backend_table declared{};
  std::memcpy(&declared, table.data(), std::min(table.size(), sizeof(declared)));
  g_table = reinterpret_cast<const rk_backend_table*>(table.data());
  PluginRecord record = load_plugin_entry("/fuzz/librk_backend_fuzz.so", fake_entry);
  check_record(record, declared);
  if (record.backend) drive_backend(*record.backend, declared);
  check_registry(std::move(record));
  return 0;
}
