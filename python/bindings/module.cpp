// ringkernel._ringkernel: the C API for Python (pybind11), thin on purpose. Handles,
// buffers and errors cross here; message types, NumPy dtypes, asyncio and context managers
// are the Python layer's (python/src/ringkernel/). docs/python.md has the user's view.
//
// Threads: every call that may wait (send, receive, request, terminate, close) releases
// the GIL, so other Python threads and the asyncio loop run meanwhile, and so the bridge
// thread can take the GIL to run a completion or output callback. Callbacks never run once
// the interpreter is finalizing: the package closes every runtime at exit first
// (atexit), and a callback that still comes is dropped rather than touching a dying
// interpreter.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ringkernel.h"

namespace py = pybind11;

namespace {

// ---- errors --------------------------------------------------------------------------

struct Failure {
  rk_result code;
  std::string detail;
  py::object message;  // a message received and handed back with the error (None if none)
};

Failure failure(rk_result code, const std::string& fallback = "") {
  std::string detail = rk_last_error();
  return Failure{code, detail.empty() ? fallback : detail, py::none()};
}

void check(rk_result code) {
  if (code != RK_SUCCESS) throw failure(code);
}

// The Python exception for a failure: ringkernel.errors.error_for builds the subclass.
void raise_failure(const Failure& f) {
  py::object error_for = py::module_::import("ringkernel.errors").attr("error_for");
  py::object error = error_for(static_cast<int>(f.code), rk_result_name(f.code), f.detail, f.message);
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(error.ptr())), error.ptr());
}

bool interpreter_alive() { return Py_IsInitialized() != 0 && _Py_IsFinalizing() == 0; }

// ---- values --------------------------------------------------------------------------

py::tuple header_tuple(const rk_msg_header& h) {
  return py::make_tuple(h.type_id, h.payload_size, h.message_id, h.correlation_id, h.source_kernel, h.dest_kernel,
                        py::make_tuple(h.timestamp.physical_ns, h.timestamp.logical, h.timestamp.node_id), h.flags,
                        h.sent_ns);
}

py::bytes bytes_of(const void* data, uint32_t size) {
  return py::bytes(static_cast<const char*>(data), size);
}

// A read-only view of any bytes-like object (bytes, bytearray, memoryview, NumPy arrays).
// The raw buffer protocol: a request's bytes need no shape or strides, and pybind11's
// buffer_info would allocate both on every message.
class Payload {
 public:
  explicit Payload(const py::buffer& buffer) {
    if (PyObject_GetBuffer(buffer.ptr(), &view_, PyBUF_C_CONTIGUOUS) != 0) {
      PyErr_Clear();
      throw Failure{RK_ERROR_INVALID_ARGUMENT, "the payload must be a C-contiguous bytes-like object", py::none()};
    }
    if (static_cast<uint64_t>(view_.len) > UINT32_MAX) {
      PyBuffer_Release(&view_);
      throw Failure{RK_ERROR_MESSAGE_TOO_LARGE, "payload above 4 GiB", py::none()};
    }
  }
  ~Payload() { PyBuffer_Release(&view_); }  // with the GIL held: payloads live outside the released scopes
  Payload(const Payload&) = delete;
  Payload& operator=(const Payload&) = delete;
  const void* data() const { return view_.buf; }
  uint32_t size() const { return static_cast<uint32_t>(view_.len); }

 private:
  Py_buffer view_{};
};

// A bytes object of `capacity` to receive into, cut to the size received: one allocation,
// no copy.
class ReplyBytes {
 public:
  explicit ReplyBytes(uint32_t capacity) : object_(PyBytes_FromStringAndSize(nullptr, capacity)) {
    if (object_ == nullptr) throw py::error_already_set();
  }
  ~ReplyBytes() { Py_XDECREF(object_); }
  ReplyBytes(const ReplyBytes&) = delete;
  ReplyBytes& operator=(const ReplyBytes&) = delete;
  char* data() { return PyBytes_AS_STRING(object_); }
  py::bytes take(uint32_t size) {
    if (_PyBytes_Resize(&object_, size) != 0) throw py::error_already_set();
    return py::reinterpret_steal<py::bytes>(std::exchange(object_, nullptr));
  }

 private:
  PyObject* object_;
};

// ---- runtime and kernel handles ------------------------------------------------------

struct Kernel;

// The runtime and the kernels made through it. Python threads may close a kernel or the
// runtime while another thread is inside a call on it (a receive that waits, say): every
// call holds a Use for its whole length, and close first terminates (which makes waiting
// calls return), then waits for the uses to end, and only then frees.
struct RuntimeState {
  rk_runtime runtime = nullptr;
  std::mutex mutex;  // guards everything below and each Kernel's handle, closing, in_flight
  std::condition_variable idle;
  uint64_t in_flight = 0;  // calls into the C API on the runtime or any of its kernels
  bool closing = false;
  std::set<Kernel*> kernels;
};

constexpr auto kCloseWait = std::chrono::seconds(10);  // for calls on other threads to return
constexpr uint64_t kTerminateNs = 5'000'000'000ull;

// An output handler's Python callable, owned by its Kernel.
struct OutputHolder {
  py::object callback;
};

void run_output(void* user_data, const rk_msg_header* header, const void* payload, uint32_t size) {
  if (!interpreter_alive()) return;
  py::gil_scoped_acquire gil;
  auto* holder = static_cast<OutputHolder*>(user_data);
  try {
    holder->callback(header_tuple(*header), bytes_of(payload, size));
  } catch (py::error_already_set& e) {
    e.discard_as_unraisable("ringkernel output handler");
  }
}

// A supervision callback's Python callable, owned by its Kernel (every one it was given:
// rk_kernel_supervise called from the callback itself may not wait for it).
struct SupervisionHolder {
  py::object callback;
};

const char* event_kind_name(rk_supervision_event_kind kind) {
  switch (kind) {
    case RK_SUPERVISION_STALLED: return "stalled";
    case RK_SUPERVISION_PROGRESSING: return "progressing";
    case RK_SUPERVISION_ERRORS: return "errors";
    case RK_SUPERVISION_RESTARTED: return "restarted";
    case RK_SUPERVISION_RESTART_FAILED: return "restart_failed";
    case RK_SUPERVISION_FAULTED: return "faulted";
    default: return "unknown";
  }
}

void run_supervision(void* user_data, const rk_supervision_event* e) {
  if (!interpreter_alive()) return;
  py::gil_scoped_acquire gil;
  auto* holder = static_cast<SupervisionHolder*>(user_data);
  try {
    py::dict event;
    event["kind"] = event_kind_name(e->kind);
    event["reason"] = std::string(e->reason != nullptr ? e->reason : "");
    event["stalled_ns"] = e->stalled_ns;
    event["message_id"] = e->message_id;
    event["errors"] = e->errors;
    event["restarts"] = e->restarts;
    holder->callback(event);
  } catch (py::error_already_set& err) {
    err.discard_as_unraisable("ringkernel supervision callback");
  }
}

// A completion: the callable is released exactly once, under the GIL.
void run_completion(void* user_data, rk_result result, const rk_msg_header* header, const void* payload, uint32_t size) {
  auto* callback = static_cast<py::object*>(user_data);
  if (!interpreter_alive()) return;  // leaked on purpose: nothing may touch Python now
  py::gil_scoped_acquire gil;
  std::string detail = result == RK_SUCCESS ? "" : rk_last_error();
  try {
    if (result == RK_SUCCESS) (*callback)(0, "RK_SUCCESS", "", header_tuple(*header), bytes_of(payload, size));
    else (*callback)(static_cast<int>(result), rk_result_name(result), detail, py::none(), py::none());
  } catch (py::error_already_set& e) {
    e.discard_as_unraisable("ringkernel completion");
  }
  delete callback;
}

Failure closed(const char* what) {
  return Failure{RK_ERROR_INVALID_STATE, std::string("the ") + what + " is closed", py::none()};
}

struct Kernel {
  std::shared_ptr<RuntimeState> runtime;
  rk_kernel kernel = nullptr;  // null once freed (here or with its runtime)
  bool closing = false;
  uint64_t in_flight = 0;
  std::unique_ptr<OutputHolder> output;
  std::vector<std::unique_ptr<SupervisionHolder>> supervision;

  void close();

  ~Kernel() {
    std::lock_guard lock(runtime->mutex);
    runtime->kernels.erase(this);
    // A kernel still running keeps its handler's callable: the bridge may call it until the
    // runtime closes, so it must outlive this wrapper.
    if (kernel != nullptr && output) static_cast<void>(output.release());
    if (kernel != nullptr)
      for (auto& holder : supervision) static_cast<void>(holder.release());
  }
};

// One call into the C API on a kernel (made with the GIL held; the call may release it).
class KernelUse {
 public:
  explicit KernelUse(Kernel& kernel) : kernel_(kernel) {
    std::lock_guard lock(kernel.runtime->mutex);
    if (kernel.kernel == nullptr || kernel.closing || kernel.runtime->closing) throw closed("kernel (or its runtime)");
    handle_ = kernel.kernel;
    ++kernel.in_flight;
    ++kernel.runtime->in_flight;
  }
  ~KernelUse() {
    std::lock_guard lock(kernel_.runtime->mutex);
    --kernel_.in_flight;
    --kernel_.runtime->in_flight;
    kernel_.runtime->idle.notify_all();
  }
  KernelUse(const KernelUse&) = delete;
  KernelUse& operator=(const KernelUse&) = delete;
  rk_kernel get() const { return handle_; }

 private:
  Kernel& kernel_;
  rk_kernel handle_ = nullptr;
};

struct Runtime {
  std::shared_ptr<RuntimeState> state = std::make_shared<RuntimeState>();
  void close();
};

class RuntimeUse {
 public:
  explicit RuntimeUse(const Runtime& runtime) : state_(*runtime.state) {
    std::lock_guard lock(state_.mutex);
    if (state_.runtime == nullptr || state_.closing) throw closed("runtime");
    handle_ = state_.runtime;
    ++state_.in_flight;
  }
  ~RuntimeUse() {
    std::lock_guard lock(state_.mutex);
    --state_.in_flight;
    state_.idle.notify_all();
  }
  RuntimeUse(const RuntimeUse&) = delete;
  RuntimeUse& operator=(const RuntimeUse&) = delete;
  rk_runtime get() const { return handle_; }

 private:
  RuntimeState& state_;
  rk_runtime handle_ = nullptr;
};

// Terminates (waiting calls return), waits for the calls on other threads, frees it.
void Kernel::close() {
  RuntimeState& state = *runtime;
  rk_kernel k = nullptr;
  {
    std::lock_guard lock(state.mutex);
    if (kernel == nullptr || closing) return;
    closing = true;
    k = kernel;
  }
  rk_result r = RK_SUCCESS;
  bool idle = false;
  {
    py::gil_scoped_release released;  // the calls we wait for, and the bridge, may need the GIL
    rk_kernel_terminate(k, kTerminateNs);
    std::unique_lock lock(state.mutex);
    idle = state.idle.wait_for(lock, kCloseWait, [&] { return in_flight == 0; });
    lock.unlock();
    if (idle) r = rk_kernel_destroy(k);
  }
  std::lock_guard lock(state.mutex);
  if (!idle || r != RK_SUCCESS) {
    closing = false;  // still there; closing may be tried again
    if (!idle) throw Failure{RK_ERROR_INVALID_STATE, "a call on another thread did not return; the kernel is left open", py::none()};
    throw failure(r);
  }
  state.kernels.erase(this);
  kernel = nullptr;
  output.reset();
  supervision.clear();  // destroy returned: no supervision callback runs any more
}

void Runtime::close() {
  RuntimeState& s = *state;
  rk_runtime rt = nullptr;
  std::vector<rk_kernel> kernels;
  {
    std::lock_guard lock(s.mutex);
    if (s.runtime == nullptr || s.closing) return;
    s.closing = true;
    rt = s.runtime;
    for (Kernel* kernel : s.kernels)
      if (kernel->kernel != nullptr) kernels.push_back(kernel->kernel);
  }
  rk_result r = RK_SUCCESS;
  bool idle = false;
  {
    py::gil_scoped_release released;  // terminates kernels, stops the bridge (which may want the GIL)
    for (rk_kernel k : kernels) rk_kernel_terminate(k, kTerminateNs);
    std::unique_lock lock(s.mutex);
    idle = s.idle.wait_for(lock, kCloseWait, [&] { return s.in_flight == 0; });
    lock.unlock();
    if (idle) r = rk_runtime_destroy(rt);
  }
  // Destroyed; rk_last_error() names a kernel that did not stop and was leaked (the library
  // logged it): a warning here, since the runtime is gone all the same.
  const bool destroyed = idle && r == RK_SUCCESS;
  std::string leaked = destroyed ? rk_last_error() : "";
  {
    std::lock_guard lock(s.mutex);
    if (!destroyed) {
      s.closing = false;
      if (!idle) throw Failure{RK_ERROR_INVALID_STATE, "a call on another thread did not return; the runtime is left open", py::none()};
      throw failure(r);
    }
    for (Kernel* kernel : s.kernels) kernel->kernel = nullptr;
    s.kernels.clear();
    s.runtime = nullptr;
  }
  if (!leaked.empty() && PyErr_WarnEx(PyExc_RuntimeWarning, leaked.c_str(), 1) != 0) throw py::error_already_set();
}

std::string text_of(rk_result (*function)(rk_runtime, char*, size_t, size_t*), rk_runtime runtime) {
  size_t size = 0;
  check(function(runtime, nullptr, 0, &size));
  std::string text(size + 1, '\0');
  for (;;) {
    check(function(runtime, text.data(), text.size(), &size));
    if (size < text.size()) break;
    text.assign(size + 1, '\0');
  }
  text.resize(size);
  return text;
}

template <class T>
T option(const py::dict& options, const char* key, T fallback) {
  return options.contains(key) ? options[key].cast<T>() : fallback;
}

// A wrapper for a kernel the C API made in `runtime`, known to it (closed with it).
std::unique_ptr<Kernel> adopt(Runtime& runtime, rk_kernel handle) {
  auto kernel = std::make_unique<Kernel>();
  kernel->runtime = runtime.state;
  kernel->kernel = handle;
  std::lock_guard lock(runtime.state->mutex);
  runtime.state->kernels.insert(kernel.get());
  return kernel;
}

std::unique_ptr<Kernel> launch(Runtime& runtime, const py::dict& options) {
  RuntimeUse use(runtime);
  rk_runtime rt = use.get();
  std::string name = options["name"].cast<std::string>();
  std::string source = options["source"].cast<std::string>();
  std::string flags = option<std::string>(options, "compile_flags", "");
  std::vector<uint32_t> accepted = option<std::vector<uint32_t>>(options, "accepted_types", {});
  std::vector<std::string> peers = option<std::vector<std::string>>(options, "peers", {});
  std::vector<const char*> peer_names;
  for (const std::string& peer : peers) peer_names.push_back(peer.c_str());
  rk_kernel_options o = RK_KERNEL_OPTIONS_INIT;
  o.name = name.c_str();
  o.source = source.data();
  o.source_size = source.size();
  o.compile_flags = flags.empty() ? nullptr : flags.c_str();
  o.flags = (option<bool>(options, "auto_activate", true) ? RK_KERNEL_AUTO_ACTIVATE : 0u) |
            (option<bool>(options, "trace", false) ? RK_KERNEL_TRACE : 0u);
  o.block_size = option<uint32_t>(options, "block_size", 0);
  o.input_capacity = option<uint32_t>(options, "input_capacity", 0);
  o.output_capacity = option<uint32_t>(options, "output_capacity", 0);
  o.inbox_capacity = option<uint32_t>(options, "inbox_capacity", 0);
  o.outbox_capacity = option<uint32_t>(options, "outbox_capacity", 0);
  o.max_payload_size = option<uint32_t>(options, "max_payload_size", 0);
  o.state_bytes = option<uint32_t>(options, "state_bytes", 0);
  o.k2k_send_timeout_ns = option<uint64_t>(options, "k2k_send_timeout_ns", 0);
  o.trace_capacity = option<uint32_t>(options, "trace_capacity", 0);
  o.idle_exit_ns = option<uint64_t>(options, "idle_exit_ns", 0);
  o.max_run_ns = option<uint64_t>(options, "max_run_ns", 0);
  o.accepted_type_count = static_cast<uint32_t>(accepted.size());
  o.accepted_types = accepted.data();
  o.peer_count = static_cast<uint32_t>(peer_names.size());
  o.peers = peer_names.data();
  std::string snapshot;
  if (options.contains("snapshot") && !options["snapshot"].is_none()) {
    snapshot = options["snapshot"].cast<std::string>();  // bytes
    o.snapshot = snapshot.data();
    o.snapshot_size = snapshot.size();
  }
  rk_kernel k = nullptr;
  {
    py::gil_scoped_release released;  // compiles
    rk_result r = rk_kernel_create(rt, &o, &k);
    if (r != RK_SUCCESS) throw failure(r);
    r = rk_kernel_launch(k);
    if (r != RK_SUCCESS) {
      Failure f = failure(r);
      rk_kernel_destroy(k);
      throw f;
    }
  }
  return adopt(runtime, k);
}

// ---- messaging ---------------------------------------------------------------------------

uint64_t send(Kernel& self, uint32_t type_id, const py::buffer& data, uint64_t timeout_ns, uint32_t flags,
              uint64_t correlation_id) {
  KernelUse use(self);
  rk_kernel k = use.get();
  Payload payload(data);
  rk_send_options options = RK_SEND_OPTIONS_INIT;
  options.timeout_ns = timeout_ns;
  options.flags = flags;
  options.correlation_id = correlation_id;
  uint64_t id = 0;
  rk_result r;
  {
    py::gil_scoped_release released;
    r = rk_kernel_send(k, type_id, payload.data(), payload.size(), &options, &id);
  }
  check(r);
  return id;
}

py::tuple receive(Kernel& self, uint32_t capacity, uint64_t timeout_ns) {
  KernelUse use(self);
  rk_kernel k = use.get();
  ReplyBytes buffer(capacity);
  char* into = buffer.data();
  rk_msg_header header{};
  uint32_t size = 0;
  rk_result r;
  {
    py::gil_scoped_release released;
    r = rk_kernel_receive(k, &header, into, capacity, &size, timeout_ns);
  }
  check(r);
  return py::make_tuple(header_tuple(header), buffer.take(size));
}

py::tuple request(Kernel& self, uint32_t type_id, const py::buffer& data, uint32_t reply_capacity, uint64_t timeout_ns) {
  KernelUse use(self);
  rk_kernel k = use.get();
  Payload payload(data);
  ReplyBytes reply(reply_capacity);
  char* into = reply.data();
  rk_msg_header header{};
  uint32_t size = 0;
  rk_result r;
  {
    py::gil_scoped_release released;
    r = rk_kernel_request(k, type_id, payload.data(), payload.size(), &header, into, reply_capacity, &size, timeout_ns);
  }
  check(r);
  return py::make_tuple(header_tuple(header), reply.take(size));
}

// Rows of a C-contiguous array, each one message's payload, through reserve/commit: each
// row is copied once, into its queue slot, and no Python object is made per message.
uint64_t send_batch(Kernel& self, uint32_t type_id, const py::buffer& rows, uint32_t row_size, uint64_t timeout_ns) {
  KernelUse use(self);
  rk_kernel k = use.get();
  Payload all(rows);
  if (row_size == 0 || all.size() % row_size != 0)
    throw Failure{RK_ERROR_INVALID_ARGUMENT,
                  "a batch of " + std::to_string(all.size()) + " bytes is not whole rows of " + std::to_string(row_size),
                  py::none()};
  const auto* bytes = static_cast<const uint8_t*>(all.data());
  uint64_t count = all.size() / row_size, sent = 0;
  rk_result r = RK_SUCCESS;
  {
    py::gil_scoped_release released;
    for (; sent < count; ++sent) {
      rk_slot slot{};
      r = rk_kernel_reserve(k, type_id, row_size, timeout_ns, &slot);
      if (r != RK_SUCCESS) break;
      std::memcpy(slot.payload, bytes + sent * row_size, row_size);
      r = rk_kernel_commit(k, &slot, nullptr);
      if (r != RK_SUCCESS) break;
    }
  }
  if (r != RK_SUCCESS) {
    Failure f = failure(r);
    f.detail += " (" + std::to_string(sent) + " of " + std::to_string(count) + " messages were sent)";
    f.message = py::int_(sent);
    throw f;
  }
  return sent;
}

// Fills rows of a writable C-contiguous array with payloads of `type_id` and `row_size`.
// Waits up to timeout_ns for the first message, then takes what is there (up to the rows).
// A message of another type or size is already off the queue: it comes back inside the
// error, with how many rows were filled, so nothing is lost.
uint64_t receive_batch(Kernel& self, uint32_t type_id, const py::buffer& rows, uint32_t row_size, uint64_t timeout_ns) {
  KernelUse use(self);
  rk_kernel k = use.get();
  py::buffer_info info = rows.request(true);
  if (info.readonly || !PyBuffer_IsContiguous(info.view(), 'C'))
    throw Failure{RK_ERROR_INVALID_ARGUMENT, "the batch array must be writable and C-contiguous", py::none()};
  uint64_t bytes = static_cast<uint64_t>(info.size) * static_cast<uint64_t>(info.itemsize);
  if (row_size == 0 || bytes % row_size != 0)
    throw Failure{RK_ERROR_INVALID_ARGUMENT, "the batch array is not whole rows of " + std::to_string(row_size),
                  py::none()};
  auto* out = static_cast<uint8_t*>(info.ptr);
  uint64_t capacity = bytes / row_size, got = 0;
  rk_msg_header header{};
  uint32_t size = 0;
  rk_result r = RK_SUCCESS;
  bool mismatch = false;
  {
    py::gil_scoped_release released;
    while (got < capacity) {
      r = rk_kernel_receive(k, &header, out + got * row_size, row_size, &size, got == 0 ? timeout_ns : 0);
      if (r != RK_SUCCESS) break;
      if (header.type_id != type_id || size != row_size) {
        mismatch = true;
        break;
      }
      ++got;
    }
  }
  if (mismatch) {
    Failure f{RK_ERROR_UNKNOWN_MESSAGE_TYPE,
              "received a message of type " + std::to_string(header.type_id) + " and " + std::to_string(size) +
                  " bytes in a batch of type " + std::to_string(type_id) + " and " + std::to_string(row_size) +
                  " bytes (after " + std::to_string(got) + " rows); it is in this error's message",
              py::make_tuple(header_tuple(header), bytes_of(out + got * row_size, size), got)};
    throw f;
  }
  if (got > 0) return got;  // an error after the first row ends the batch; the next call meets it again
  if (r == RK_ERROR_QUEUE_EMPTY || r == RK_ERROR_TIMEOUT) return 0;
  check(r);  // terminated, closed, ...
  return 0;
}

void request_async(Kernel& self, uint32_t type_id, const py::buffer& data, uint64_t timeout_ns, py::object callback) {
  KernelUse use(self);
  rk_kernel k = use.get();
  Payload payload(data);
  rk_request_options options = RK_REQUEST_OPTIONS_INIT;
  options.timeout_ns = timeout_ns;
  auto* held = new py::object(std::move(callback));
  rk_result r;
  {
    py::gil_scoped_release released;  // waits for input room; the bridge may need the GIL meanwhile
    r = rk_kernel_request_async(k, type_id, payload.data(), payload.size(), &options, run_completion, held);
  }
  if (r != RK_SUCCESS) {
    delete held;  // never called on failure (the C API's promise)
    check(r);
  }
}

void set_output_handler(Kernel& self, py::object callback) {
  KernelUse use(self);
  rk_kernel k = use.get();
  std::unique_ptr<OutputHolder> next;
  if (!callback.is_none()) next = std::make_unique<OutputHolder>(OutputHolder{std::move(callback)});
  rk_result r;
  {
    py::gil_scoped_release released;  // the old handler may be running: this waits for it
    r = rk_kernel_set_output_handler(k, next ? run_output : nullptr, next.get());
  }
  check(r);
  self.output = std::move(next);  // the old one is no longer running
}

// ---- supervision -------------------------------------------------------------------------

void supervise(Kernel& self, int policy, uint64_t stall_ns, uint32_t error_limit, uint64_t error_window_ns,
               uint64_t restart_timeout_ns, uint32_t max_restarts, uint64_t restart_window_ns, bool reset_state,
               py::object on_event) {
  rk_supervision_options o = RK_SUPERVISION_OPTIONS_INIT;
  o.policy = static_cast<rk_supervision_policy>(policy);
  o.stall_ns = stall_ns;
  o.error_limit = error_limit;
  o.error_window_ns = error_window_ns;
  o.restart_timeout_ns = restart_timeout_ns;
  o.max_restarts = max_restarts;
  o.restart_window_ns = restart_window_ns;
  o.restart_flags = reset_state ? RK_RESTART_RESET_STATE : 0u;
  std::unique_ptr<SupervisionHolder> holder;
  if (!on_event.is_none()) {
    holder = std::make_unique<SupervisionHolder>(SupervisionHolder{std::move(on_event)});
    o.on_event = run_supervision;
    o.user_data = holder.get();
  }
  KernelUse use(self);
  rk_kernel k = use.get();
  rk_result r;
  {
    py::gil_scoped_release released;  // waits for a running callback of the old options
    r = rk_kernel_supervise(k, &o);
  }
  check(r);
  if (holder) self.supervision.push_back(std::move(holder));
}

void restart(Kernel& self, bool reset_state, uint64_t timeout_ns) {
  KernelUse use(self);
  rk_kernel k = use.get();
  rk_result r;
  {
    py::gil_scoped_release released;
    r = rk_kernel_restart(k, reset_state ? RK_RESTART_RESET_STATE : 0u, timeout_ns);
  }
  check(r);
}

std::string fault_reason(Kernel& self) {
  KernelUse use(self);
  std::string reason(rk_kernel_fault_reason(use.get(), nullptr, 0), '\0');
  rk_kernel_fault_reason(use.get(), reason.data(), reason.size() + 1);
  reason.resize(std::char_traits<char>::length(reason.c_str()));
  return reason;
}

// ---- kernel snapshots and migration ------------------------------------------------------

py::bytes snapshot_of(Kernel& self) {
  KernelUse use(self);
  rk_kernel k = use.get();
  std::string image;
  rk_result r = RK_SUCCESS;
  {
    py::gil_scoped_release released;
    for (;;) {  // messages may arrive between asking the size and taking the copy
      size_t size = 0;
      r = rk_kernel_snapshot(k, nullptr, 0, &size);
      if (r != RK_SUCCESS) break;
      image.resize(size + size / 4 + 4096);
      size_t taken = 0;
      r = rk_kernel_snapshot(k, image.data(), image.size(), &taken);
      if (r == RK_SUCCESS) image.resize(taken);
      if (r == RK_SUCCESS || taken <= image.size()) break;  // done, or a failure that is not for room
    }
  }
  check(r);
  return py::bytes(image);
}

std::unique_ptr<Kernel> migrate(Kernel& self, Runtime& target, uint64_t timeout_ns) {
  KernelUse use(self);
  RuntimeUse to(target);
  rk_kernel k = use.get();
  rk_kernel moved = nullptr;
  rk_result r;
  {
    py::gil_scoped_release released;  // compiles in the target, parks the source's kernels
    r = rk_kernel_migrate(k, to.get(), timeout_ns, &moved);
  }
  check(r);
  return adopt(target, moved);
}

// ---- snapshots ---------------------------------------------------------------------------

py::dict status_of(Kernel& self) {
  rk_kernel_status s = RK_KERNEL_STATUS_INIT;
  KernelUse use(self);
  check(rk_kernel_get_status(use.get(), &s));
  py::dict d;
  d["state"] = rk_kernel_state_name(s.state);
  d["has_terminated"] = s.has_terminated;
  d["errors_encountered"] = s.errors_encountered;
  d["messages_processed"] = s.messages_processed;
  d["last_activity_ns"] = s.last_activity_ns;
  d["input_depth"] = s.input_depth;
  d["output_depth"] = s.output_depth;
  d["inbox_depth"] = s.inbox_depth;
  d["outbox_depth"] = s.outbox_depth;
  d["k2k_deferred"] = s.k2k_deferred;
  d["k2k_refused"] = s.k2k_refused;
  d["inbox_refused"] = s.inbox_refused;
  d["late_replies"] = s.late_replies;
  d["relaunches"] = s.relaunches;
  d["trace_records"] = s.trace_records;
  d["trace_dropped"] = s.trace_dropped;
  d["resident"] = s.resident != 0;
  d["stalled"] = s.stalled != 0;
  d["stalls"] = s.stalls;
  d["error_bursts"] = s.error_bursts;
  d["restarts"] = s.restarts;
  d["restart_failures"] = s.restart_failures;
  return d;
}

py::dict telemetry_of(Kernel& self) {
  rk_telemetry t{};
  KernelUse use(self);
  check(rk_kernel_get_telemetry(use.get(), &t));
  py::dict d;
  d["messages_processed"] = t.messages_processed;
  d["messages_dropped"] = t.messages_dropped;
  d["last_processed_timestamp"] = t.last_processed_timestamp;
  d["queue_depth"] = t.queue_depth;
  d["total_latency_ns"] = t.total_latency_ns;
  d["max_latency_ns"] = t.max_latency_ns;
  d["min_latency_ns"] = t.min_latency_ns;
  d["error_code"] = t.error_code;
  return d;
}

py::dict latency_of(Kernel& self) {
  rk_kernel_latency l = RK_KERNEL_LATENCY_INIT;
  KernelUse use(self);
  check(rk_kernel_get_latency(use.get(), &l));
  py::dict d;
  d["messages_processed"] = l.messages_processed;
  d["queueing_sum_ns"] = l.queueing_sum_ns;
  d["handler_sum_ns"] = l.handler_sum_ns;
  d["queueing"] = std::vector<uint64_t>(l.queueing, l.queueing + RK_LATENCY_BUCKETS);
  d["handler"] = std::vector<uint64_t>(l.handler, l.handler + RK_LATENCY_BUCKETS);
  d["queueing_p50_ns"] = rk_latency_quantile_ns(l.queueing, RK_LATENCY_BUCKETS, 0.5);
  d["queueing_p99_ns"] = rk_latency_quantile_ns(l.queueing, RK_LATENCY_BUCKETS, 0.99);
  d["handler_p50_ns"] = rk_latency_quantile_ns(l.handler, RK_LATENCY_BUCKETS, 0.5);
  d["handler_p99_ns"] = rk_latency_quantile_ns(l.handler, RK_LATENCY_BUCKETS, 0.99);
  return d;
}

py::dict device_of(const rk_device_info& info) {
  py::dict d;
  d["index"] = info.index;
  d["name"] = std::string(info.name);
  d["vendor"] = std::string(info.vendor);
  d["driver_version"] = std::string(info.driver_version);
  d["global_memory_bytes"] = info.global_memory_bytes;
  d["caps"] = info.caps;
  d["compute_units"] = info.compute_units;
  d["max_block_size"] = info.max_block_size;
  return d;
}

// The process-wide registry's plugins, as rk-info lists them.
py::list plugins() {
  rk_registry registry = nullptr;
  check(rk_registry_default(&registry));
  py::list out;
  for (uint32_t i = 0; i < rk_registry_plugin_count(registry); ++i) {
    rk_plugin_status s = RK_PLUGIN_STATUS_INIT;
    check(rk_registry_plugin_status(registry, i, &s));
    py::dict d;
    d["name"] = std::string(s.name ? s.name : "");
    d["path"] = std::string(s.path ? s.path : "");
    d["outcome"] = rk_plugin_outcome_name(s.outcome);
    d["reason"] = rk_plugin_reason_name(s.reason);
    d["detail"] = std::string(s.detail ? s.detail : "");
    d["abi"] = py::make_tuple(s.abi_major, s.abi_minor);
    d["device_count"] = s.device_count;
    py::list devices;
    for (uint32_t j = 0; j < rk_registry_device_count(registry); ++j) {
      rk_device_entry entry = RK_DEVICE_ENTRY_INIT;
      if (rk_registry_device(registry, j, &entry) != RK_SUCCESS) continue;
      if (entry.backend != nullptr && d["name"].cast<std::string>() == entry.backend) devices.append(device_of(entry.info));
    }
    d["devices"] = devices;
    out.append(d);
  }
  return out;
}

// Process groups (docs/distributed.md): join from arguments, or everything from the
// environment when addresses is None.
void group_join(std::optional<std::vector<std::string>> addresses, uint32_t rank, std::optional<py::bytes> job_key,
                std::optional<std::string> transport, std::optional<std::string> address_file, uint64_t connect_timeout_ns) {
  rk_group_options options = RK_GROUP_OPTIONS_INIT;
  std::vector<const char*> pointers;
  if (addresses) {
    for (const std::string& a : *addresses) pointers.push_back(a.c_str());
    options.addresses = pointers.data();
    options.size = static_cast<uint32_t>(pointers.size());
    options.rank = rank;
  }
  std::string key = job_key ? std::string(*job_key) : std::string();
  if (job_key) {
    options.job_key = reinterpret_cast<const uint8_t*>(key.data());
    options.job_key_size = static_cast<uint32_t>(key.size());
  }
  options.transport = transport ? transport->c_str() : nullptr;
  options.address_file = address_file ? address_file->c_str() : nullptr;
  options.connect_timeout_ns = connect_timeout_ns;
  rk_result r;
  {
    py::gil_scoped_release released;
    r = rk_group_join(nullptr, &options);
  }
  check(r);
}

py::dict group_status() {
  rk_group_status s = RK_GROUP_STATUS_INIT;
  check(rk_group_status_get(&s));
  py::dict d;
  d["joined"] = s.joined != 0;
  d["rank"] = s.rank;
  d["size"] = s.size;
  d["peers_lost"] = s.peers_lost;
  d["messages_sent"] = s.messages_sent;
  d["messages_received"] = s.messages_received;
  d["messages_acknowledged"] = s.messages_acknowledged;
  d["messages_lost"] = s.messages_lost;
  d["messages_dropped"] = s.messages_dropped;
  d["messages_held"] = s.messages_held;
  d["held_max"] = s.held_max;
  d["transport"] = std::string(s.transport);
  return d;
}

py::tuple group_peer_state(uint32_t rank) {
  rk_group_peer_state state = RK_GROUP_PEER_CONNECTED;
  char why[512] = {};
  check(rk_group_peer_state_get(rank, &state, why, sizeof why));
  const char* name = state == RK_GROUP_PEER_SELF ? "self" : state == RK_GROUP_PEER_LOST ? "lost" : "connected";
  return py::make_tuple(name, std::string(why));
}

void group_send(const std::string& peer, uint32_t type_id, const py::buffer& data, uint64_t timeout_ns) {
  Payload payload(data);
  rk_result r;
  {
    py::gil_scoped_release released;
    r = rk_group_send(peer.c_str(), type_id, payload.data(), payload.size(), timeout_ns);
  }
  check(r);
}

py::tuple group_request(const std::string& peer, uint32_t type_id, const py::buffer& data, uint32_t reply_capacity,
                        uint64_t timeout_ns) {
  Payload payload(data);
  ReplyBytes reply(reply_capacity);
  char* into = reply.data();
  rk_msg_header header{};
  uint32_t size = 0;
  rk_result r;
  {
    py::gil_scoped_release released;
    r = rk_group_request(peer.c_str(), type_id, payload.data(), payload.size(), timeout_ns, &header, into,
                         reply_capacity, &size);
  }
  check(r);
  return py::make_tuple(header_tuple(header), reply.take(size));
}

}  // namespace

PYBIND11_MODULE(_ringkernel, m) {
  m.doc() = "The ringkernel C API for Python; use the `ringkernel` package, not this module.";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Failure& f) {
      raise_failure(f);
    }
  });
  m.attr("WAIT_FOREVER") = py::int_(RK_WAIT_FOREVER);
  m.attr("FLAG_REPLY") = py::int_(RK_MSG_FLAG_REPLY);
  m.def("version", [] { return std::string(rk_version_string()); });
  m.def("api_version", [] {
    uint32_t v = rk_api_version();
    return py::make_tuple(RK_API_VERSION_MAJOR_OF(v), RK_API_VERSION_MINOR_OF(v));
  });
  m.def("plugins", &plugins);
  m.def("group_join", &group_join);
  m.def("group_leave", [] {
    rk_result r;
    {
      py::gil_scoped_release released;
      r = rk_group_leave();
    }
    check(r);
  });
  m.def("group_status", &group_status);
  m.def("group_peer_state", &group_peer_state);
  m.def("group_flush", [](uint64_t timeout_ns) {
    rk_result r;
    {
      py::gil_scoped_release released;
      r = rk_group_flush(timeout_ns);
    }
    check(r);
  });
  m.def("group_send", &group_send);
  m.def("group_request", &group_request);

  py::class_<Runtime>(m, "Runtime")
      .def(py::init([](std::optional<std::string> backend, uint32_t device, uint32_t bridge_mode) {
             auto runtime = std::make_unique<Runtime>();
             rk_runtime_options options = RK_RUNTIME_OPTIONS_INIT;
             options.backend = backend ? backend->c_str() : nullptr;
             options.device_index = device;
             options.bridge_mode = bridge_mode;
             rk_result r;
             {
               py::gil_scoped_release released;
               r = rk_runtime_create(&options, &runtime->state->runtime);
             }
             check(r);
             return runtime;
           }),
           py::arg("backend") = py::none(), py::arg("device") = 0, py::arg("bridge_mode") = 0)
      .def("close", &Runtime::close)
      .def_property_readonly("closed", [](const Runtime& self) {
        std::lock_guard lock(self.state->mutex);
        return self.state->runtime == nullptr;
      })
      .def_property_readonly("backend", [](const Runtime& self) { return std::string(rk_runtime_backend_name(RuntimeUse(self).get())); })
      .def_property_readonly("bridge_mode", [](const Runtime& self) { return static_cast<uint32_t>(rk_runtime_bridge_mode(RuntimeUse(self).get())); })
      .def_property_readonly("device", [](const Runtime& self) {
        rk_device_info info = RK_DEVICE_INFO_INIT;
        check(rk_runtime_device_info(RuntimeUse(self).get(), &info));
        return device_of(info);
      })
      .def("metrics_text", [](const Runtime& self) {
        RuntimeUse use(self);
        return text_of(rk_runtime_metrics_text, use.get());
      })
      .def("dump", [](const Runtime& self) {
        RuntimeUse use(self);
        return text_of(rk_runtime_dump, use.get());
      })
      .def("write_trace", [](const Runtime& self, const std::string& path) {
        RuntimeUse use(self);
        rk_runtime rt = use.get();
        rk_result r;
        {
          py::gil_scoped_release released;
          r = rk_runtime_write_trace(rt, path.c_str());
        }
        check(r);
      })
      .def("progress", [](const Runtime& self) {
        RuntimeUse use(self);
        rk_runtime rt = use.get();
        uint32_t delivered = 0;
        rk_result r;
        {
          py::gil_scoped_release released;  // the callbacks it runs take the GIL themselves
          r = rk_runtime_progress(rt, &delivered);
        }
        check(r);
        return delivered;
      })
      .def("hlc_now", [](const Runtime& self) {
        rk_hlc now{};
        check(rk_runtime_hlc_now(RuntimeUse(self).get(), &now));
        return py::make_tuple(now.physical_ns, now.logical, now.node_id);
      })
      .def("launch", &launch);

  py::class_<Kernel>(m, "Kernel")
      .def_property_readonly("id", [](Kernel& self) { return rk_kernel_id(KernelUse(self).get()); })
      .def_property_readonly("name", [](Kernel& self) { return std::string(rk_kernel_name(KernelUse(self).get())); })
      .def_property_readonly("max_payload_size", [](Kernel& self) { return rk_kernel_max_payload_size(KernelUse(self).get()); })
      .def_property_readonly("state", [](Kernel& self) { return std::string(rk_kernel_state_name(rk_kernel_get_state(KernelUse(self).get()))); })
      .def_property_readonly("closed", [](const Kernel& self) {
        std::lock_guard lock(self.runtime->mutex);
        return self.kernel == nullptr;
      })
      .def("activate", [](Kernel& self) { check(rk_kernel_activate(KernelUse(self).get())); })
      .def("deactivate", [](Kernel& self) { check(rk_kernel_deactivate(KernelUse(self).get())); })
      .def("reactivate", [](Kernel& self) { check(rk_kernel_reactivate(KernelUse(self).get())); })
      .def("terminate", [](Kernel& self, uint64_t timeout_ns) {
        KernelUse use(self);
  rk_kernel k = use.get();
        rk_result r;
        {
          py::gil_scoped_release released;
          r = rk_kernel_terminate(k, timeout_ns);
        }
        check(r);
      })
      .def("close", &Kernel::close)
      .def("send", &send)
      .def("receive", &receive)
      .def("request", &request)
      .def("send_batch", &send_batch)
      .def("receive_batch", &receive_batch)
      .def("request_async", &request_async)
      .def("set_output_handler", &set_output_handler)
      .def("snapshot", &snapshot_of)
      .def("migrate", &migrate)
      .def("supervise", &supervise)
      .def("restart", &restart)
      .def_property_readonly("fault_reason", &fault_reason)
      .def("status", &status_of)
      .def("telemetry", &telemetry_of)
      .def("latency", &latency_of);
}
