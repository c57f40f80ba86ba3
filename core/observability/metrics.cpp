#include "observability/metrics.hpp"

#include <cstdio>
#include <functional>
#include <vector>

#include "bridge/remote_k2k.hpp"
#include "runtime/kernel.hpp"
#include "runtime/kernel_messaging.hpp"
#include "runtime/runtime.hpp"

namespace rk::core {
namespace {

// Label values escape backslash, double quote and newline; nothing else.
std::string escaped(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

struct KernelSample {
  std::string labels;  // {kernel="...",backend="..."}
  rk_kernel_status status = RK_KERNEL_STATUS_INIT;
  rk_telemetry telemetry{};
  rk_kernel_latency latency = RK_KERNEL_LATENCY_INIT;
};

std::string number(double value) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.17g", value);
  return text;
}

// One metric family: HELP, TYPE, then one sample per kernel.
void family(std::string& out, const std::vector<KernelSample>& kernels, const char* name, const char* type,
            const char* help, const std::function<double(const KernelSample&)>& value) {
  out += std::string("# HELP ") + name + " " + help + "\n";
  out += std::string("# TYPE ") + name + " " + type + "\n";
  for (const KernelSample& k : kernels) out += name + k.labels + " " + number(value(k)) + "\n";
}

// A histogram family from the device's log2 buckets: cumulative counts at le = 2^(i+1) ns
// (in seconds) for every bucket but the open-ended last, then +Inf, sum and count.
void histogram(std::string& out, const std::vector<KernelSample>& kernels, const char* name, const char* help,
               const uint64_t (rk_kernel_latency::*buckets)[RK_LATENCY_BUCKETS], uint64_t rk_kernel_latency::*sum_ns) {
  out += std::string("# HELP ") + name + " " + help + "\n";
  out += std::string("# TYPE ") + name + " histogram\n";
  for (const KernelSample& k : kernels) {
    const uint64_t* counts = k.latency.*buckets;
    std::string open = k.labels.substr(0, k.labels.size() - 1);  // without the closing brace
    uint64_t cumulative = 0;
    for (uint32_t i = 0; i + 1 < RK_LATENCY_BUCKETS; ++i) {
      cumulative += counts[i];
      out += std::string(name) + "_bucket" + open + ",le=\"" + number(double(uint64_t{1} << (i + 1)) / 1e9) + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    cumulative += counts[RK_LATENCY_BUCKETS - 1];
    out += std::string(name) + "_bucket" + open + ",le=\"+Inf\"} " + std::to_string(cumulative) + "\n";
    out += std::string(name) + "_sum" + k.labels + " " + number(double(k.latency.*sum_ns) / 1e9) + "\n";
    out += std::string(name) + "_count" + k.labels + " " + std::to_string(cumulative) + "\n";
  }
}

}  // namespace

std::string metrics_text(rk_runtime_s* runtime) {
  const std::string backend = escaped(runtime->backend->name());
  std::vector<KernelSample> kernels;
  {
    auto directory = hold_directory();  // kernels leave their tables under it: none is freed meanwhile
    for (rk_kernel_s* kernel : runtime->kernels->all()) {
      // A migration's twin is counted where the kernel is until the move lands: one series
      // per kernel, not two for a scrape that falls inside a move.
      if (kernel->migration_twin.load()) continue;
      KernelSample sample;
      sample.labels = "{kernel=\"" + escaped(kernel->config.name) + "\",backend=\"" + backend + "\"}";
      sample.status.struct_size = sizeof(sample.status);
      if (kernel_status(kernel, &sample.status) != RK_SUCCESS) continue;
      if (kernel_telemetry(kernel, &sample.telemetry) != RK_SUCCESS) continue;
      if (kernel_latency(kernel, &sample.latency) != RK_SUCCESS) continue;
      kernels.push_back(std::move(sample));
    }
  }
  std::string out;
  out += "# HELP rk_runtime_info The runtime's backend and device.\n# TYPE rk_runtime_info gauge\n";
  out += "rk_runtime_info{backend=\"" + backend + "\",device=\"" + escaped(runtime->device_info.name) + "\"} 1\n";
  out += "# HELP rk_runtime_kernels Ring kernels in the runtime, in any state.\n# TYPE rk_runtime_kernels gauge\n";
  out += "rk_runtime_kernels{backend=\"" + backend + "\"} " + std::to_string(kernels.size()) + "\n";
  out += "# HELP rk_kernel_state The kernel's lifecycle state (1 for the state it is in).\n";
  out += "# TYPE rk_kernel_state gauge\n";
  for (const KernelSample& k : kernels) {
    std::string labels = k.labels;
    labels.insert(labels.size() - 1, std::string(",state=\"") + rk_kernel_state_name(k.status.state) + "\"");
    out += "rk_kernel_state" + labels + " 1\n";
  }
  using K = const KernelSample&;
  family(out, kernels, "rk_kernel_messages_processed_total", "counter", "Messages the kernel's handler ran on.",
         [](K k) { return double(k.telemetry.messages_processed); });
  family(out, kernels, "rk_kernel_messages_dropped_total", "counter",
         "Messages refused or undeliverable, on the device and on the host.",
         [](K k) { return double(k.telemetry.messages_dropped); });
  family(out, kernels, "rk_kernel_errors_total", "counter", "Handler errors and rejected messages.",
         [](K k) { return double(k.status.errors_encountered); });
  family(out, kernels, "rk_kernel_input_depth", "gauge", "Messages waiting in the input queue.",
         [](K k) { return double(k.status.input_depth); });
  family(out, kernels, "rk_kernel_output_depth", "gauge", "Messages waiting in the output queue.",
         [](K k) { return double(k.status.output_depth); });
  family(out, kernels, "rk_kernel_inbox_depth", "gauge", "K2K messages waiting in the inbox.",
         [](K k) { return double(k.status.inbox_depth); });
  family(out, kernels, "rk_kernel_outbox_depth", "gauge", "The kernel's sends waiting for a full inbox.",
         [](K k) { return double(k.status.outbox_depth); });
  family(out, kernels, "rk_kernel_k2k_deferred_total", "counter", "Sends that found the target's inbox full and waited.",
         [](K k) { return double(k.status.k2k_deferred); });
  family(out, kernels, "rk_kernel_k2k_refused_total", "counter", "Sends the kernel gave up on.",
         [](K k) { return double(k.status.k2k_refused); });
  family(out, kernels, "rk_kernel_inbox_refused_total", "counter",
         "Sends to this kernel that others gave up on (its inbox stayed full).",
         [](K k) { return double(k.status.inbox_refused); });
  family(out, kernels, "rk_kernel_late_replies_total", "counter",
         "Replies that came after their request timed out (dropped).",
         [](K k) { return double(k.status.late_replies); });
  family(out, kernels, "rk_kernel_relaunches_total", "counter", "Times the loop was parked and launched again.",
         [](K k) { return double(k.status.relaunches); });
  family(out, kernels, "rk_kernel_resident", "gauge",
         "1 while the kernel's loop runs on the device, 0 while it is off it (idle exit, time slice, parking).",
         [](K k) { return double(k.status.resident); });
  family(out, kernels, "rk_kernel_stalled", "gauge", "1 while the supervisor sees the kernel stalled.",
         [](K k) { return double(k.status.stalled); });
  family(out, kernels, "rk_kernel_stalls_total", "counter", "Stalls the supervisor detected.",
         [](K k) { return double(k.status.stalls); });
  family(out, kernels, "rk_kernel_error_bursts_total", "counter", "Times the kernel's errors passed the supervisor's bound.",
         [](K k) { return double(k.status.error_bursts); });
  family(out, kernels, "rk_kernel_restarts_total", "counter", "Restarts (by the supervisor or rk_kernel_restart).",
         [](K k) { return double(k.status.restarts); });
  family(out, kernels, "rk_kernel_restart_failures_total", "counter",
         "Restarts given up on: the loop did not reach a message boundary in time.",
         [](K k) { return double(k.status.restart_failures); });
  family(out, kernels, "rk_kernel_trace_records_total", "counter",
         "Message trace records collected from the kernel (0 unless it is traced).",
         [](K k) { return double(k.status.trace_records); });
  family(out, kernels, "rk_kernel_trace_dropped_total", "counter",
         "Message trace records lost: the kernel's trace ring or the runtime's collection was full.",
         [](K k) { return double(k.status.trace_dropped); });
  // A summary without quantiles: sum and count give the mean; the device's histograms below
  // split it into queueing and handler time.
  out += "# HELP rk_kernel_latency_seconds From a message's send to the end of its handler.\n";
  out += "# TYPE rk_kernel_latency_seconds summary\n";
  for (K k : kernels) {
    out += "rk_kernel_latency_seconds_sum" + k.labels + " " + number(double(k.telemetry.total_latency_ns) / 1e9) + "\n";
    out += "rk_kernel_latency_seconds_count" + k.labels + " " + number(double(k.telemetry.messages_processed)) + "\n";
  }
  family(out, kernels, "rk_kernel_latency_max_seconds", "gauge", "The longest latency seen.",
         [](K k) { return double(k.telemetry.max_latency_ns) / 1e9; });
  histogram(out, kernels, "rk_kernel_queueing_seconds",
            "From a message's send to the start of its handler (or its pull), measured on the device.",
            &rk_kernel_latency::queueing, &rk_kernel_latency::queueing_sum_ns);
  histogram(out, kernels, "rk_kernel_handler_seconds", "How long each handler run took, measured on the device.",
            &rk_kernel_latency::handler, &rk_kernel_latency::handler_sum_ns);
  return out;
}

}  // namespace rk::core
