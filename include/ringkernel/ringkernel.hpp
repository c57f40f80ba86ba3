// ringkernel — the C++ layer: a thin, header-only wrapper over the C API, so C, C++ and
// foreign-language users see the same behaviour. Errors throw rk::Error carrying the
// rk_result and rk_last_error(); the try_ forms return the code instead.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "ringkernel.h"

namespace rk {

class Error : public std::runtime_error {
 public:
  Error(rk_result code, const std::string& what) : std::runtime_error(what), code_(code) {}
  rk_result code() const noexcept { return code_; }

 private:
  rk_result code_;
};

inline void check(rk_result result, std::string_view during) {
  if (result == RK_SUCCESS) return;
  throw Error(result, std::string(during) + ": " + rk_result_name(result) + ": " + rk_last_error());
}

// A message type: trivially copyable (it is written byte for byte into a queue slot) with
// a type id, given either as `static constexpr uint32_t type_id` or through
// message_traits<T> (for structs shared with C kernel sources, which cannot hold one).
template <class T>
struct message_traits {};

template <class T>
concept HasTypeIdMember = requires { { T::type_id } -> std::convertible_to<uint32_t>; };

template <class T>
concept HasTypeIdTraits = requires { { message_traits<T>::type_id } -> std::convertible_to<uint32_t>; };

template <class T>
concept RingMessage = std::is_trivially_copyable_v<T> && (HasTypeIdMember<T> || HasTypeIdTraits<T>);

template <RingMessage T>
constexpr uint32_t type_id_of() {
  if constexpr (HasTypeIdMember<T>) return T::type_id;
  else return message_traits<T>::type_id;
}

// Declares the type id of a C struct: RK_MESSAGE(Event, 1);
#define RK_MESSAGE(type, id)          \
  template <>                         \
  struct rk::message_traits<type> {   \
    static constexpr uint32_t type_id = (id); \
  }

template <class T>
struct Received {
  rk_msg_header header;
  T message;
};

// Any message: its header and payload bytes, for output of several types.
struct Message {
  rk_msg_header header{};
  std::vector<uint8_t> payload;

  uint32_t type_id() const noexcept { return header.type_id; }
  template <RingMessage T>
  bool is() const noexcept {
    return header.type_id == type_id_of<T>() && payload.size() == sizeof(T);
  }
  // The payload as a T, or nullopt when the message is of another type or size.
  template <RingMessage T>
  std::optional<T> as() const {
    if (!is<T>()) return std::nullopt;
    T out;
    std::memcpy(&out, payload.data(), sizeof(T));
    return out;
  }
};

// What a send carries besides the payload (rk_send_options).
struct SendOptions {
  uint64_t timeout_ns = RK_WAIT_FOREVER;
  uint64_t correlation_id = 0;  // 0 = none; a reply to this message carries it
  uint32_t flags = 0;           // RK_MSG_FLAG_* to set
};

class Kernel {
 public:
  Kernel() = default;
  explicit Kernel(rk_kernel handle) noexcept : handle_(handle) {}
  Kernel(Kernel&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  Kernel& operator=(Kernel&& other) noexcept {
    if (this != &other) reset(std::exchange(other.handle_, nullptr));
    return *this;
  }
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;
  ~Kernel() { reset(nullptr); }

  rk_kernel get() const noexcept { return handle_; }
  std::string name() const { return rk_kernel_name(handle_); }
  uint32_t id() const { return rk_kernel_id(handle_); }
  rk_kernel_state state() const { return rk_kernel_get_state(handle_); }

  void launch() { check(rk_kernel_launch(handle_), "launch"); }
  void activate() { check(rk_kernel_activate(handle_), "activate"); }
  void deactivate() { check(rk_kernel_deactivate(handle_), "deactivate"); }
  void reactivate() { check(rk_kernel_reactivate(handle_), "reactivate"); }
  void terminate(uint64_t timeout_ns = 10'000'000'000ull) { check(rk_kernel_terminate(handle_, timeout_ns), "terminate"); }

  // Blocks up to timeout_ns (RK_WAIT_FOREVER by default) for room in the input queue.
  template <RingMessage T>
  uint64_t send(const T& message, uint64_t timeout_ns = RK_WAIT_FOREVER) {
    uint64_t id = 0;
    check(try_send(message, timeout_ns, &id), "send");
    return id;
  }

  // RK_ERROR_QUEUE_FULL at once when full (timeout 0), or the code of any other failure.
  template <RingMessage T>
  rk_result try_send(const T& message, uint64_t timeout_ns = 0, uint64_t* message_id = nullptr) {
    return try_send_bytes(type_id_of<T>(), &message, sizeof(T), SendOptions{timeout_ns, 0, 0}, message_id);
  }

  // A T with a correlation id or flags; returns the message id.
  template <RingMessage T>
  uint64_t send(const T& message, const SendOptions& options) {
    uint64_t id = 0;
    check(try_send_bytes(type_id_of<T>(), &message, sizeof(T), options, &id), "send");
    return id;
  }

  // Raw bytes of any type and size up to the kernel's max payload (a T's prefix, say).
  uint64_t send_bytes(uint32_t type_id, const void* payload, uint32_t size, const SendOptions& options = {}) {
    uint64_t id = 0;
    check(try_send_bytes(type_id, payload, size, options, &id), "send");
    return id;
  }

  rk_result try_send_bytes(uint32_t type_id, const void* payload, uint32_t size, const SendOptions& options,
                           uint64_t* message_id = nullptr) {
    rk_send_options c = RK_SEND_OPTIONS_INIT;
    c.timeout_ns = options.timeout_ns;
    c.correlation_id = options.correlation_id;
    c.flags = options.flags;
    return rk_kernel_send(handle_, type_id, payload, size, &c, message_id);
  }

  // The next output message whatever its type; nullopt as for receive<T>.
  std::optional<Message> receive_any(uint64_t timeout_ns = RK_WAIT_FOREVER) {
    Message out;
    out.payload.resize(rk_kernel_max_payload_size(handle_));
    uint32_t size = 0;
    rk_result r = rk_kernel_receive(handle_, &out.header, out.payload.data(), static_cast<uint32_t>(out.payload.size()),
                                    &size, timeout_ns);
    if (r == RK_ERROR_TIMEOUT || r == RK_ERROR_QUEUE_EMPTY || r == RK_ERROR_TERMINATED) return std::nullopt;
    check(r, "receive");
    out.payload.resize(size);
    return out;
  }

  // Receives one message and calls visitor(header, T) with the first of Ts it matches;
  // false when nothing arrived in time. A message of none of the Ts throws, naming it.
  template <RingMessage... Ts, class Visitor>
  bool receive_visit(Visitor&& visitor, uint64_t timeout_ns = RK_WAIT_FOREVER) {
    std::optional<Message> next = receive_any(timeout_ns);
    if (!next) return false;
    bool matched = ((next->is<Ts>() ? (visitor(next->header, *next->as<Ts>()), true) : false) || ...);
    if (!matched)
      throw Error(RK_ERROR_UNKNOWN_MESSAGE_TYPE, "receive: type " + std::to_string(next->type_id()) + " of " +
                                                     std::to_string(next->payload.size()) +
                                                     " bytes matches none of the visitor's types");
    return true;
  }

  // nullopt when nothing arrived in time, or the kernel is terminated and fully drained;
  // throws on anything else, or when the next message is not a T.
  template <RingMessage T>
  std::optional<Received<T>> receive(uint64_t timeout_ns = RK_WAIT_FOREVER) {
    Received<T> out{};
    uint32_t size = 0;
    rk_result r = rk_kernel_receive(handle_, &out.header, &out.message, sizeof(T), &size, timeout_ns);
    if (r == RK_ERROR_TIMEOUT || r == RK_ERROR_QUEUE_EMPTY || r == RK_ERROR_TERMINATED) return std::nullopt;
    check(r, "receive");
    if (out.header.type_id != type_id_of<T>() || size != sizeof(T))
      throw Error(RK_ERROR_UNKNOWN_MESSAGE_TYPE, "receive: got type " + std::to_string(out.header.type_id) + " of " +
                                                     std::to_string(size) + " bytes, expected type " +
                                                     std::to_string(type_id_of<T>()));
    return out;
  }

  template <RingMessage Reply, RingMessage Request>
  Reply request(const Request& message, uint64_t timeout_ns = 10'000'000'000ull) {
    Reply reply{};
    rk_msg_header header{};
    uint32_t size = 0;
    check(rk_kernel_request(handle_, type_id_of<Request>(), &message, sizeof(Request), &header, &reply, sizeof(Reply),
                            &size, timeout_ns),
          "request");
    if (header.type_id != type_id_of<Reply>() || size != sizeof(Reply))
      throw Error(RK_ERROR_UNKNOWN_MESSAGE_TYPE, "request: reply has type " + std::to_string(header.type_id));
    return reply;
  }

  rk_kernel_status status() const {
    rk_kernel_status s = RK_KERNEL_STATUS_INIT;
    check(rk_kernel_get_status(handle_, &s), "status");
    return s;
  }

  rk_telemetry telemetry() const {
    rk_telemetry t{};
    check(rk_kernel_get_telemetry(handle_, &t), "telemetry");
    return t;
  }

 private:
  void reset(rk_kernel next) noexcept {
    if (handle_) rk_kernel_destroy(handle_);
    handle_ = next;
  }
  rk_kernel handle_ = nullptr;
};

struct KernelSpec {
  std::string name;
  std::string source;
  uint32_t block_size = 1;
  uint32_t input_capacity = 0;
  uint32_t output_capacity = 0;
  uint32_t inbox_capacity = 0;
  uint32_t outbox_capacity = 0;       // 0 = 64
  uint64_t k2k_send_timeout_ns = 0;   // 0 = 10 s
  uint32_t max_payload_size = 0;
  uint32_t state_bytes = 0;
  std::vector<uint32_t> accepted_types;
  std::vector<std::string> peers;
  bool auto_activate = true;
  std::string compile_flags;
};

class Runtime {
 public:
  // backend empty: RINGKERNEL_BACKEND, else cpu_sim. Never falls back to another backend.
  explicit Runtime(const std::string& backend = {}, uint32_t device_index = 0) {
    rk_runtime_options options = RK_RUNTIME_OPTIONS_INIT;
    options.device_index = device_index;
    options.backend = backend.empty() ? nullptr : backend.c_str();
    check(rk_runtime_create(&options, &handle_), "runtime");
  }
  Runtime(Runtime&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
  Runtime& operator=(Runtime&&) = delete;
  ~Runtime() {
    if (handle_) rk_runtime_destroy(handle_);
  }

  rk_runtime get() const noexcept { return handle_; }
  std::string backend() const { return rk_runtime_backend_name(handle_); }
  rk_bridge_mode bridge_mode() const { return rk_runtime_bridge_mode(handle_); }
  rk_device_info device() const {
    rk_device_info info = RK_DEVICE_INFO_INIT;
    check(rk_runtime_device_info(handle_, &info), "device info");
    return info;
  }

  // Creates (compiles) and launches a ring kernel; auto-activates unless told not to.
  Kernel launch(const KernelSpec& spec) {
    std::vector<const char*> peers;
    for (const auto& peer : spec.peers) peers.push_back(peer.c_str());
    rk_kernel_options options = RK_KERNEL_OPTIONS_INIT;
    options.flags = spec.auto_activate ? RK_KERNEL_AUTO_ACTIVATE : 0u;
    options.name = spec.name.c_str();
    options.source = spec.source.c_str();
    options.source_size = spec.source.size();
    options.compile_flags = spec.compile_flags.empty() ? nullptr : spec.compile_flags.c_str();
    options.block_size = spec.block_size;
    options.input_capacity = spec.input_capacity;
    options.output_capacity = spec.output_capacity;
    options.inbox_capacity = spec.inbox_capacity;
    options.outbox_capacity = spec.outbox_capacity;
    options.k2k_send_timeout_ns = spec.k2k_send_timeout_ns;
    options.max_payload_size = spec.max_payload_size;
    options.state_bytes = spec.state_bytes;
    options.accepted_type_count = static_cast<uint32_t>(spec.accepted_types.size());
    options.accepted_types = spec.accepted_types.data();
    options.peer_count = static_cast<uint32_t>(peers.size());
    options.peers = peers.data();
    rk_kernel handle = nullptr;
    check(rk_kernel_create(handle_, &options, &handle), "create kernel '" + spec.name + "'");
    Kernel kernel(handle);
    kernel.launch();
    return kernel;
  }

 private:
  rk_runtime handle_ = nullptr;
};

}  // namespace rk
