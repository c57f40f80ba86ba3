#include "observability/dump.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include "api/error.hpp"
#include "bridge/remote_k2k.hpp"
#include "distributed/group.hpp"
#include "runtime/host_dialect.hpp"
#include "runtime/kernel.hpp"
#include "runtime/runtime.hpp"

namespace rk::core {
namespace {

std::string queue_line(const char* name, const rk_queue_header* queue, uint32_t capacity) {
  if (queue == nullptr) return "";
  const uint64_t head = rk_load_acquire_u64(&queue->head), tail = rk_load_acquire_u64(&queue->tail);
  char line[160];
  std::snprintf(line, sizeof(line), "    %-7s head %llu tail %llu depth %llu of %u\n", name, (unsigned long long)head,
                (unsigned long long)tail, (unsigned long long)(tail >= head ? tail - head : 0), capacity);
  return line;
}

const char* loop_word(uint32_t has_terminated) {
  switch (has_terminated) {
    case RK_TERMINATED_RUNNING: return "running (resident)";
    case RK_TERMINATED_DONE: return "exited";
    case RK_TERMINATED_RELAUNCHABLE: return "parked (relaunchable)";
    default: return "unknown";
  }
}

std::string kernel_dump(rk_kernel_s* kernel, int64_t now) {
  char line[256];
  std::string out;
  std::snprintf(line, sizeof(line), "  kernel '%s' (id %u): %s\n", kernel->config.name.c_str(), kernel->id,
                rk_kernel_state_name(kernel->state.load()));
  out += line;
  if (kernel->migration_twin.load()) out += "    MOVING IN: a migration's twin, parked until the move lands\n";
  if (kernel->state.load() == RK_KERNEL_FAULTED) {
    std::lock_guard lock(kernel->supervision.reason_mutex);
    out += "    FAULTED: " + kernel->supervision.fault_reason + "\n";
  }
  if (kernel->supervision.stalled_now.load() != 0) out += "    STALLED (the supervisor reported it)\n";
  const RingViews& v = kernel->views;
  if (!views_published(kernel->state.load()) || v.control == nullptr) return out + "    not launched\n";
  rk_control_block* c = v.control;
  const uint32_t has_terminated = rk_load_acquire_u32(reinterpret_cast<uint32_t*>(&c->has_terminated));
  std::snprintf(line, sizeof(line), "    loop %s, is_active %u, should_terminate %u, errors %u\n",
                loop_word(has_terminated), rk_load_relaxed_u32(reinterpret_cast<uint32_t*>(&c->is_active)),
                rk_load_relaxed_u32(reinterpret_cast<uint32_t*>(&c->should_terminate)),
                rk_load_relaxed_u32(reinterpret_cast<uint32_t*>(&c->errors_encountered)));
  out += line;
  const int64_t last = static_cast<int64_t>(rk_load_relaxed_u64(reinterpret_cast<uint64_t*>(&c->last_activity_ticks)));
  const auto processed = (unsigned long long)rk_load_relaxed_u64(reinterpret_cast<uint64_t*>(&c->messages_processed));
  if (last == 0) std::snprintf(line, sizeof(line), "    processed %llu, no message handled yet\n", processed);
  else std::snprintf(line, sizeof(line), "    processed %llu, last one done %.1f ms ago\n", processed, double(now - last) / 1e6);
  out += line;
  const int64_t since = static_cast<int64_t>(rk_load_relaxed_u64(reinterpret_cast<uint64_t*>(&v.env->handling_since_ns)));
  if (since != 0) {
    std::snprintf(line, sizeof(line), "    HANDLING message %llu for %.1f ms\n",
                  (unsigned long long)rk_load_relaxed_u64(&v.env->handling_message_id), double(now - since) / 1e6);
    out += line;
  } else {
    out += "    between messages\n";
  }
  out += queue_line("input", v.input, kernel->config.input_capacity);
  out += queue_line("output", v.output, kernel->config.output_capacity);
  out += queue_line("inbox", v.inbox, kernel->config.inbox_capacity);
  std::snprintf(line, sizeof(line), "    outbox  %u waiting\n", rk_load_relaxed_u32(&v.env->outbox_waiting));
  return out + line;
}

int g_dump_pipe[2] = {-1, -1};

void on_dump_signal(int) {
  const char byte = 1;
  const int saved = errno;  // async-signal-safe: one write() to a pipe, errno kept
  [[maybe_unused]] ssize_t n = write(g_dump_pipe[1], &byte, 1);
  errno = saved;
}

int signal_named(const std::string& name) {
  std::string n = name.rfind("SIG", 0) == 0 ? name.substr(3) : name;
  if (n == "USR1") return SIGUSR1;
  if (n == "USR2") return SIGUSR2;
  if (n == "QUIT") return SIGQUIT;
  if (n == "HUP") return SIGHUP;
  char* end = nullptr;
  long number = std::strtol(n.c_str(), &end, 10);
  return end != n.c_str() && *end == '\0' && number > 0 && number < NSIG ? static_cast<int>(number) : 0;
}

}  // namespace

std::string dump_text_locked(rk_runtime_s* runtime) {
  const int64_t now = rk_clock_ns();  // the host dialect's: the clock domain the loop writes in
  std::string out = std::string("ringkernel runtime (backend ") + runtime->backend->name() + ", device '" +
                    runtime->device_info.name + "')\n";
  for (rk_kernel_s* kernel : runtime->kernels->all()) out += kernel_dump(kernel, now);
  return out + group::describe_locked();  // K2K to other processes: stuck there shows here
}

void install_dump_signal_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* name = std::getenv("RINGKERNEL_DUMP_SIGNAL");
    if (name == nullptr || *name == '\0') return;
    const int signal_number = signal_named(name);
    if (signal_number == 0) {
      log_warn(std::string("RINGKERNEL_DUMP_SIGNAL='") + name + "' names no signal (USR1, USR2, QUIT, HUP or a number)");
      return;
    }
    if (pipe2(g_dump_pipe, O_CLOEXEC) != 0) return;
    // The writer thread lives as long as the process (never joined: it only reads the pipe).
    std::thread([] {
      char byte = 0;
      while (read(g_dump_pipe[0], &byte, 1) == 1 || errno == EINTR) {
        std::string text = "=== ringkernel dump ===\n";
        for_each_joined_runtime([&](rk_runtime_s* runtime) { text += dump_text_locked(runtime); });
        std::fputs(text.c_str(), stderr);
        std::fflush(stderr);
      }
    }).detach();
    struct sigaction action {};
    action.sa_handler = on_dump_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(signal_number, &action, nullptr);
  });
}

}  // namespace rk::core
