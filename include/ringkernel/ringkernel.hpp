// ringkernel — the C++ layer: a thin, header-only wrapper over the C API, so C, C++ and
// foreign-language users see the same behaviour. Errors throw rk::Error carrying the
// rk_result and rk_last_error(); the try_ forms return the code instead.
#pragma once

#include <coroutine>
#include <cstdint>
#include <cstring>
#include <atomic>
#include <exception>
#include <future>
#include <memory>
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

// p-quantile (0..1) of a latency histogram's buckets (rk_kernel_latency): the upper bound
// of its log2 bucket, in ns.
inline uint64_t latency_quantile_ns(const uint64_t (&buckets)[RK_LATENCY_BUCKETS], double q) {
  return rk_latency_quantile_ns(buckets, RK_LATENCY_BUCKETS, q);
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

namespace detail {

// A reply as the bridge hands it to a completion: the Reply, or rk::Error with the code
// (rk_last_error() describes it during the callback).
template <RingMessage Reply>
Reply decode_reply(rk_result result, const rk_msg_header* header, const void* payload, uint32_t size,
                   const char* during) {
  if (result != RK_SUCCESS)
    throw Error(result, std::string(during) + ": " + rk_result_name(result) + ": " + rk_last_error());
  if (header->type_id != type_id_of<Reply>() || size != sizeof(Reply))
    throw Error(RK_ERROR_UNKNOWN_MESSAGE_TYPE, std::string(during) + ": reply has type " +
                                                   std::to_string(header->type_id) + " of " + std::to_string(size) +
                                                   " bytes, expected type " + std::to_string(type_id_of<Reply>()));
  Reply reply;
  std::memcpy(&reply, payload, sizeof(Reply));
  return reply;
}

template <RingMessage Reply>
void complete_promise(void* user_data, rk_result result, const rk_msg_header* header, const void* payload,
                      uint32_t size) noexcept {
  std::unique_ptr<std::promise<Reply>> promise(static_cast<std::promise<Reply>*>(user_data));
  try {
    promise->set_value(decode_reply<Reply>(result, header, payload, size, "request_async"));
  } catch (...) {
    promise->set_exception(std::current_exception());
  }
}

// An output handler's target: owned by the Kernel, called on the bridge thread.
struct OutputCallback {
  virtual ~OutputCallback() = default;
  virtual void on_message(const rk_msg_header& header, const void* payload, uint32_t size) = 0;
  virtual uint64_t mismatches() const noexcept { return 0; }
  static void call(void* self, const rk_msg_header* header, const void* payload, uint32_t size) noexcept {
    static_cast<OutputCallback*>(self)->on_message(*header, payload, size);  // a throw ends the program
  }
};

template <class F>
struct AnyOutput final : OutputCallback {
  explicit AnyOutput(F f) : callback(std::move(f)) {}
  void on_message(const rk_msg_header& header, const void* payload, uint32_t size) override {
    Message message;
    message.header = header;
    const auto* bytes = static_cast<const uint8_t*>(payload);
    message.payload.assign(bytes, bytes + size);
    callback(message);
  }
  F callback;
};

template <RingMessage T, class F>
struct TypedOutput final : OutputCallback {
  explicit TypedOutput(F f) : callback(std::move(f)) {}
  void on_message(const rk_msg_header& header, const void* payload, uint32_t size) override {
    if (header.type_id != type_id_of<T>() || size != sizeof(T)) {
      mismatched.fetch_add(1, std::memory_order_relaxed);  // a statistic; see Kernel::on_output
      return;
    }
    T message;
    std::memcpy(&message, payload, sizeof(T));
    callback(header, message);
  }
  uint64_t mismatches() const noexcept override { return mismatched.load(std::memory_order_relaxed); }
  F callback;
  std::atomic<uint64_t> mismatched{0};
};

}  // namespace detail

// `co_await kernel.async_request<Reply>(msg)` from any coroutine type: the request is sent
// when the coroutine suspends, and the coroutine resumes on the runtime's bridge thread with
// the reply (or rk::Error). Code after the co_await runs on the bridge thread: it may send
// and co_await again, but not block on a kernel the bridge serves (docs/bridge.md).
template <RingMessage Reply, RingMessage Request>
class AsyncRequest {
 public:
  AsyncRequest(rk_kernel kernel, const Request& message, uint64_t timeout_ns)
      : kernel_(kernel), message_(message), timeout_ns_(timeout_ns) {}

  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> waiting) {
    waiting_ = waiting;
    rk_request_options options = RK_REQUEST_OPTIONS_INIT;
    options.timeout_ns = timeout_ns_;
    rk_result r = rk_kernel_request_async(kernel_, type_id_of<Request>(), &message_, sizeof(Request), &options,
                                          &AsyncRequest::complete, this);
    if (r == RK_SUCCESS) return true;  // `this` may already be resumed and gone: touch nothing
    error_ = std::make_exception_ptr(Error(r, std::string("async_request: ") + rk_result_name(r) + ": " + rk_last_error()));
    return false;
  }
  Reply await_resume() {
    if (error_) std::rethrow_exception(error_);
    return reply_;
  }

 private:
  static void complete(void* self_ptr, rk_result result, const rk_msg_header* header, const void* payload,
                       uint32_t size) noexcept {
    auto* self = static_cast<AsyncRequest*>(self_ptr);
    try {
      self->reply_ = detail::decode_reply<Reply>(result, header, payload, size, "async_request");
    } catch (...) {
      self->error_ = std::current_exception();
    }
    self->waiting_.resume();
  }

  rk_kernel kernel_;
  Request message_;
  uint64_t timeout_ns_;
  std::coroutine_handle<> waiting_;
  Reply reply_{};
  std::exception_ptr error_;
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
  Kernel(Kernel&& other) noexcept
      : handle_(std::exchange(other.handle_, nullptr)), output_(std::move(other.output_)) {}
  Kernel& operator=(Kernel&& other) noexcept {
    if (this != &other) {
      reset(std::exchange(other.handle_, nullptr));
      output_ = std::move(other.output_);
    }
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

  // The reply in a future; the bridge thread sets it. A failure (RK_ERROR_TIMEOUT,
  // RK_ERROR_TERMINATED, a reply of another type) is an rk::Error in the future; a request
  // that could not be sent throws here.
  template <RingMessage Reply, RingMessage Request>
  std::future<Reply> request_async(const Request& message, uint64_t timeout_ns = 10'000'000'000ull) {
    auto promise = std::make_unique<std::promise<Reply>>();
    std::future<Reply> future = promise->get_future();
    rk_request_options options = RK_REQUEST_OPTIONS_INIT;
    options.timeout_ns = timeout_ns;
    check(rk_kernel_request_async(handle_, type_id_of<Request>(), &message, sizeof(Request), &options,
                                  &detail::complete_promise<Reply>, promise.get()),
          "request_async");
    promise.release();  // the completion owns it now
    return future;
  }

  // The awaitable form: `Reply r = co_await kernel.async_request<Reply>(msg);`.
  template <RingMessage Reply, RingMessage Request>
  AsyncRequest<Reply, Request> async_request(const Request& message, uint64_t timeout_ns = 10'000'000'000ull) {
    return AsyncRequest<Reply, Request>(handle_, message, timeout_ns);
  }

  // Every output message not claimed by a request goes to callback(header, T) on the
  // bridge thread, in order. For kernels whose output is all T: a message of another type
  // or size is skipped and counted in output_type_mismatches() (use on_output_any for
  // several types). The kernel then has no receive readers (receive throws).
  template <RingMessage T, class F>
  void on_output(F callback) {
    set_output(std::make_unique<detail::TypedOutput<T, F>>(std::move(callback)));
  }
  // callback(const rk::Message&) for output of any type.
  template <class F>
  void on_output_any(F callback) {
    set_output(std::make_unique<detail::AnyOutput<F>>(std::move(callback)));
  }
  // Output that on_output<T> skipped because it was not a T.
  uint64_t output_type_mismatches() const noexcept { return output_ ? output_->mismatches() : 0; }
  // Removes the handler; once this returns the old callback is no longer running. Neither
  // this nor on_output may be called from inside the callback it replaces.
  void clear_output() {
    check(rk_kernel_set_output_handler(handle_, nullptr, nullptr), "clear output handler");
    output_.reset();
  }

  rk_kernel_status status() const {
    rk_kernel_status s = RK_KERNEL_STATUS_INIT;
    check(rk_kernel_get_status(handle_, &s), "status");
    return s;
  }

  // Watchdog and supervision (rk_kernel_supervise): options.on_event, if set, runs on the
  // runtime's bridge thread and must outlive the supervision.
  void supervise(const rk_supervision_options& options) { check(rk_kernel_supervise(handle_, &options), "supervise"); }
  // Stops the loop at a message boundary and launches it again, queued messages kept;
  // the way back from Faulted. flags: RK_RESTART_RESET_STATE.
  void restart(uint32_t flags = 0, uint64_t timeout_ns = 10'000'000'000ull) {
    check(rk_kernel_restart(handle_, flags, timeout_ns), "restart");
  }
  // The kernel's state and every message it holds, as an image to launch from
  // (KernelSpec::snapshot); the kernel must be Launched or Deactivated, and keeps it all.
  std::vector<uint8_t> snapshot() const {
    std::vector<uint8_t> image;
    for (;;) {  // messages may arrive between asking the size and taking the copy
      size_t size = 0;
      check(rk_kernel_snapshot(handle_, nullptr, 0, &size), "snapshot");
      image.resize(size + size / 4 + 4096);
      rk_result r = rk_kernel_snapshot(handle_, image.data(), image.size(), &size);
      if (r == RK_SUCCESS) {
        image.resize(size);
        return image;
      }
      if (size <= image.size()) check(r, "snapshot");
    }
  }

  // Why the kernel is Faulted; empty when it is not.
  std::string fault_reason() const {
    std::string reason(rk_kernel_fault_reason(handle_, nullptr, 0), '\0');
    rk_kernel_fault_reason(handle_, reason.data(), reason.size() + 1);
    reason.resize(std::char_traits<char>::length(reason.c_str()));  // a restart may have cleared it meanwhile
    return reason;
  }

  rk_telemetry telemetry() const {
    rk_telemetry t{};
    check(rk_kernel_get_telemetry(handle_, &t), "telemetry");
    return t;
  }

  // The device's latency histograms; rk::latency_quantile_ns(l.handler, 0.99) gives a p99.
  rk_kernel_latency latency() const {
    rk_kernel_latency l = RK_KERNEL_LATENCY_INIT;
    check(rk_kernel_get_latency(handle_, &l), "latency");
    return l;
  }

 private:
  void set_output(std::unique_ptr<detail::OutputCallback> next) {
    check(rk_kernel_set_output_handler(handle_, &detail::OutputCallback::call, next.get()), "set output handler");
    output_ = std::move(next);  // the old one no longer runs: set_output_handler waited for it
  }
  void reset(rk_kernel next) noexcept {
    // No callback runs after destroy returns. Refused (from inside a bridge callback of
    // this kernel), the kernel lives on with its handler, so the handler must too.
    if (handle_ && rk_kernel_destroy(handle_) == RK_ERROR_INVALID_STATE) (void)output_.release();
    output_.reset();
    handle_ = next;
  }
  rk_kernel handle_ = nullptr;
  std::unique_ptr<detail::OutputCallback> output_;
};

struct KernelSpec {
  // Members without a default have {}: a designated initializer that leaves any member out
  // compiles warning-free under -Wextra (GCC's -Wmissing-field-initializers).
  std::string name{};
  std::string source{};
  uint32_t block_size = 1;
  uint32_t input_capacity = 0;
  uint32_t output_capacity = 0;
  uint32_t inbox_capacity = 0;
  uint32_t outbox_capacity = 0;       // 0 = 64
  uint64_t k2k_send_timeout_ns = 0;   // 0 = 10 s
  uint32_t max_payload_size = 0;
  uint32_t state_bytes = 0;
  std::vector<uint32_t> accepted_types{};
  std::vector<std::string> peers{};
  bool auto_activate = true;
  std::string compile_flags{};
  bool trace = false;           // message tracing (RK_KERNEL_TRACE); Runtime::write_trace writes it out
  uint32_t trace_capacity = 0;  // records in the kernel's trace ring; 0 = 8192
  uint64_t idle_exit_ns = 0;    // elastic: the loop leaves the device after this long idle; 0 = never
  uint64_t max_run_ns = 0;      // elastic: ... after running this long (a time slice); 0 = never
  std::vector<uint8_t> snapshot{};  // launch from this image (Kernel::snapshot): state and messages put back
};

// A kernel of another process of the group, "R/name" (docs/distributed.md), as the host
// reaches it: after rk_group_join. Its handler answers requests by its reply address
// (rk_reply_later(ctx, rk_reply_address(ctx), ...)).
class RemoteKernel {
 public:
  explicit RemoteKernel(std::string peer) : peer_(std::move(peer)) {}
  const std::string& name() const { return peer_; }

  template <RingMessage Message>
  void send(const Message& message, uint64_t timeout_ns = 10'000'000'000ull) {
    check(rk_group_send(peer_.c_str(), type_id_of<Message>(), &message, sizeof(Message), timeout_ns), "group send");
  }

  template <RingMessage Reply, RingMessage Request>
  Reply request(const Request& message, uint64_t timeout_ns = 10'000'000'000ull) {
    Reply reply{};
    rk_msg_header header{};
    uint32_t size = 0;
    check(rk_group_request(peer_.c_str(), type_id_of<Request>(), &message, sizeof(Request), timeout_ns, &header, &reply,
                           sizeof(Reply), &size),
          "group request");
    if (header.type_id != type_id_of<Reply>() || size != sizeof(Reply))
      throw Error(RK_ERROR_UNKNOWN_MESSAGE_TYPE, "group request: reply has type " + std::to_string(header.type_id));
    return reply;
  }

 private:
  std::string peer_;
};

class Runtime {
 public:
  // backend empty: RINGKERNEL_BACKEND, else cpu_sim. Never falls back to another backend.
  // bridge_mode RK_BRIDGE_UNDEFINED: RINGKERNEL_BRIDGE_MODE, else what the device allows.
  explicit Runtime(const std::string& backend = {}, uint32_t device_index = 0,
                   rk_bridge_mode bridge_mode = RK_BRIDGE_UNDEFINED) {
    rk_runtime_options options = RK_RUNTIME_OPTIONS_INIT;
    options.device_index = device_index;
    options.backend = backend.empty() ? nullptr : backend.c_str();
    options.bridge_mode = static_cast<uint32_t>(bridge_mode);
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
  // The Prometheus text exposition of the runtime's kernels (rk_runtime_metrics_text).
  std::string metrics_text() const { return text_of(rk_runtime_metrics_text, "metrics"); }
  // What every kernel is doing, for a person (rk_runtime_dump).
  std::string dump() const { return text_of(rk_runtime_dump, "dump"); }
  // The message trace so far, as Chrome trace JSON for Perfetto (rk_runtime_write_trace).
  void write_trace(const std::string& path) const { check(rk_runtime_write_trace(handle_, path.c_str()), "write trace"); }
  // Runs one bridge pass on this thread: completions and output handlers of kernels with
  // async consumers run here (rk_runtime_progress). Returns how many ran; never blocks.
  // Call it where a thread waits for completions anyway; not from inside a callback.
  uint32_t progress() {
    uint32_t delivered = 0;
    check(rk_runtime_progress(handle_, &delivered), "progress");
    return delivered;
  }
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
    options.flags = (spec.auto_activate ? RK_KERNEL_AUTO_ACTIVATE : 0u) | (spec.trace ? RK_KERNEL_TRACE : 0u);
    options.trace_capacity = spec.trace_capacity;
    options.idle_exit_ns = spec.idle_exit_ns;
    options.max_run_ns = spec.max_run_ns;
    if (!spec.snapshot.empty()) {
      options.snapshot = spec.snapshot.data();
      options.snapshot_size = spec.snapshot.size();
    }
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
  using TextFunction = rk_result (*)(rk_runtime, char*, size_t, size_t*);
  std::string text_of(TextFunction function, const char* what) const {
    size_t size = 0;
    check(function(handle_, nullptr, 0, &size), what);
    std::string text(size + 1, '\0');
    for (;;) {  // kernels may come between the two calls: ask again until it fits
      check(function(handle_, text.data(), text.size(), &size), what);
      if (size < text.size()) break;
      text.assign(size + 1, '\0');
    }
    text.resize(size);
    return text;
  }
  rk_runtime handle_ = nullptr;
};

}  // namespace rk
