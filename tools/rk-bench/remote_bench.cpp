// Remote suite: K2K between two processes of a group (docs/distributed.md), over UCX's
// shared memory and over TCP on loopback. rk-bench is rank 0; it starts itself again as
// rank 1 (--remote-peer). Rows, per transport, all from the same run:
// - raw UCX active-message ping-pong, one way: `ucx_perftest -t ucp_am_lat` (no runtime),
//   its 50th percentile per run;
// - in-runtime K2K hop (the baseline): A <-> B ping-pong inside one runtime, per hop;
// - cross-process K2K hop: the same volley with A on rank 0 and B on rank 1, per hop;
// - cross-process K2K throughput: a kernel sends M messages to a kernel of rank 1, timed
//   until rank 1 has taken every one (rk_group_flush), in messages per second.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <ringkernel/ringkernel.hpp>

#include "bench.hpp"
#include "k2k_kernels.hpp"

extern char** environ;

namespace rk::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Burst {
  static constexpr uint32_t type_id = 1;
  uint64_t count;
};
struct BurstDone {
  static constexpr uint32_t type_id = 2;
  uint64_t failed;
};

// Sends `count` 8-byte K2K messages to peer 0, then answers how many failed.
const char* const kPump = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  uint64_t count = *(rk_global const uint64_t*)payload;
  uint64_t failed = 0u;
  for (uint64_t i = 0u; i < count; ++i)
    if (rk_send_to_kernel_wait(ctx, rk_peer(ctx, 0), 3u, &i, 8u) != RK_SUCCESS) failed += 1u;
  (void)msg;
  return rk_reply(ctx, 2u, &failed, 8u);
})";

const char* const kSink = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  (void)ctx; (void)msg; (void)payload;
  return RK_SUCCESS;
})";

rk::KernelSpec sink_spec() {
  rk::KernelSpec spec;
  spec.name = "bench_remote_sink";
  spec.source = kSink;
  spec.inbox_capacity = 4096;
  spec.accepted_types = {3u};
  return spec;
}

std::string self_path() {
  char path[4096] = {};
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) throw std::runtime_error("cannot find rk-bench's own path to start rank 1");
  return std::string(path, size_t(n));
}

// `ucx_perftest -t ucp_am_lat` on loopback, server and client; its one-way 50th percentile
// in ns, or a negative number when it is not there or failed.
double ucx_perftest_p50_ns(int port) {
  const std::string server = "ucx_perftest -t ucp_am_lat -p " + std::to_string(port) + " -n 20000 >/dev/null 2>&1 &";
  const std::string client = "sleep 0.5; ucx_perftest 127.0.0.1 -t ucp_am_lat -s 8 -n 20000 -p " +
                             std::to_string(port) + " 2>/dev/null | grep '^Final:'";
  if (std::system(("command -v ucx_perftest >/dev/null && " + server).c_str()) != 0) return -1;
  FILE* out = popen(client.c_str(), "r");
  if (out == nullptr) return -1;
  char line[512] = {};
  std::string text = fgets(line, sizeof line, out) ? line : "";
  pclose(out);
  std::istringstream fields(text);
  std::string label;
  double iterations = 0, p50_us = -1;
  fields >> label >> iterations >> p50_us;
  return p50_us > 0 ? p50_us * 1000.0 : -1;
}

// Rank 1, started by the suite with the group in its environment.
struct PeerProcess {
  pid_t pid = -1;
  std::string address_path, ready_path;
  PeerProcess(const std::string& key) {
    const std::string stem = "/tmp/rk-bench-remote-" + std::to_string(getpid());
    address_path = stem + ".address";
    ready_path = stem + ".ready";
    std::remove(address_path.c_str());
    std::remove(ready_path.c_str());
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
    for (const std::string& extra : std::vector<std::string>{"RINGKERNEL_RANK=1", "RINGKERNEL_PEERS=127.0.0.1:0,127.0.0.1:0",
                                                             "RINGKERNEL_JOB_KEY=" + key,
                                                             "RINGKERNEL_GROUP_ADDRESS_FILE=" + address_path})
      env.push_back(extra);
    std::vector<std::string> args = {self_path(), "--remote-peer", ready_path};
    std::vector<char*> argv, envp;
    for (std::string& a : args) argv.push_back(a.data());
    for (std::string& e : env) envp.push_back(e.data());
    argv.push_back(nullptr);
    envp.push_back(nullptr);
    if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), envp.data()) != 0)
      throw std::runtime_error("cannot start rank 1");
  }
  std::string wait_for(const std::string& path) {
    auto give_up = Clock::now() + std::chrono::seconds(120);
    for (;;) {
      std::ifstream in(path);
      std::string text;
      if (in >> text) return text;
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        throw std::runtime_error("rank 1 stopped before it was ready");
      }
      if (Clock::now() > give_up) throw std::runtime_error("rank 1 was not ready within 120 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  ~PeerProcess() {
    if (pid > 0) {  // it leaves once we have; a bounded wait, then it is killed
      for (int i = 0; i < 2000 && waitpid(pid, nullptr, WNOHANG) != pid; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    std::remove(address_path.c_str());
    std::remove(ready_path.c_str());
  }
};

std::string fresh_key() {
  std::ifstream random("/dev/urandom", std::ios::binary);
  std::string key;
  const char* hex = "0123456789abcdef";
  for (int i = 0; i < 16; ++i) {
    unsigned char byte = static_cast<unsigned char>(random.get());
    key += hex[byte >> 4];
    key += hex[byte & 15];
  }
  return key;
}

ResultRow row(const std::string& name, const std::string& unit, bool higher_is_better, std::vector<double> samples) {
  ResultRow r;
  r.suite = "remote";
  r.name = name;
  r.unit = unit;
  r.higher_is_better = higher_is_better;
  r.set("samples", double(samples.size()));
  summarize(r, std::move(samples));
  return r;
}

std::vector<ResultRow> over(const std::string& label, const char* tls, const Options& options, int port) {
  if (tls) setenv("UCX_TLS", tls, 1);
  else unsetenv("UCX_TLS");
  std::vector<ResultRow> rows;
  const int runs = options.runs ? options.runs : options.quick ? 3 : 9;
  std::vector<double> raw;
  for (int i = 0; i < runs; ++i)
    if (double ns = ucx_perftest_p50_ns(port + i); ns > 0) raw.push_back(ns);
  if (!raw.empty())
    rows.push_back(row("raw UCX active-message ping-pong, one way, ucx_perftest ucp_am_lat p50 (" + label + ")", "ns",
                       false, raw));

  const std::string key = fresh_key();
  PeerProcess peer(key);
  std::vector<const char*> addresses = {"127.0.0.1:0", nullptr};
  const std::string peer_address = peer.wait_for(peer.address_path);
  addresses[1] = peer_address.c_str();
  rk_group_options group = RK_GROUP_OPTIONS_INIT;
  group.rank = 0;
  group.size = 2;
  group.addresses = addresses.data();
  group.job_key = reinterpret_cast<const uint8_t*>(key.data());
  group.job_key_size = static_cast<uint32_t>(key.size());
  rk::check(rk_group_join(nullptr, &group), "join the group");
  try {
    peer.wait_for(peer.ready_path);
    rk::Runtime runtime;
    const uint64_t volleys = options.quick ? 20 : 200;
    {
      rk::Kernel b = runtime.launch(forward_spec("bench_local_volley_b", {}, kVolley));
      rk::Kernel a = runtime.launch(forward_spec("bench_local_volley_a", {"bench_local_volley_b"}, kVolley));
      rows.push_back(row("in-runtime K2K hop, A <-> B ping-pong (" + runtime.backend() + ")", "ns", false,
                         volley_hops(a, volleys)));
    }
    {
      rk::Kernel a = runtime.launch(forward_spec("bench_remote_volley_a", {"1/bench_remote_volley_b"}, kVolley));
      rows.push_back(row("cross-process K2K hop, A <-> B ping-pong (" + label + ")", "ns", false, volley_hops(a, volleys)));
    }
    {
      rk::KernelSpec pump = forward_spec("bench_remote_pump", {"1/bench_remote_sink"}, kPump);
      pump.accepted_types = {Burst::type_id};
      pump.outbox_capacity = 1024;
      rk::Kernel kernel = runtime.launch(pump);
      const uint64_t count = options.messages ? options.messages : options.quick ? 20'000 : 200'000;
      std::vector<double> rates;
      for (int i = 0; i < runs + 1; ++i) {
        auto start = Clock::now();
        BurstDone done = kernel.request<BurstDone>(Burst{count}, 600'000'000'000ull);
        rk::check(rk_group_flush(600'000'000'000ull), "flush");
        double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        if (done.failed != 0) throw std::runtime_error("cross-process sends failed");
        if (i > 0) rates.push_back(double(count) / seconds / 1e6);  // the first warms up
      }
      ResultRow r = row("cross-process K2K throughput, 8-byte messages (" + label + ")", "M msg/s", true, rates);
      r.set("messages_per_sample", double(count));
      rows.push_back(r);
    }
  } catch (...) {
    rk_group_leave();
    throw;
  }
  rk_group_leave();
  return rows;
}

std::vector<ResultRow> remote_suite(const Options& options) {
  rk_registry registry = nullptr;
  rk::check(rk_registry_default(&registry), "registry");
  bool usable = false;
  std::string seen;
  for (uint32_t i = 0; i < rk_registry_transport_count(registry); ++i) {
    rk_plugin_status status = RK_PLUGIN_STATUS_INIT;
    if (rk_registry_transport_status(registry, i, &status) != RK_SUCCESS) continue;
    usable |= std::string(status.name) == "ucx" && status.outcome == RK_PLUGIN_LOADED;
    seen += std::string(status.name) + ": " + status.detail + "; ";
  }
  if (!usable) throw SuiteSkipped("no usable UCX transport (" + (seen.empty() ? std::string("none found") : seen) + ")");
  std::vector<ResultRow> rows = over("shm", nullptr, options, 23100);
  for (ResultRow& r : over("tcp", "tcp", options, 23200)) rows.push_back(std::move(r));
  unsetenv("UCX_TLS");
  return rows;
}

SuiteRegistration remote_registration{"remote", "K2K between two processes over UCX (shm, tcp), with raw UCX beside it",
                                      remote_suite};

}  // namespace

// rank 1: the far ends of the volley and the pump, until rank 0 leaves.
int remote_peer_main(const std::string& ready_path) {
  rk::check(rk_group_join(nullptr, nullptr), "join the group");
  {
    rk::Runtime runtime;
    rk::Kernel b = runtime.launch(forward_spec("bench_remote_volley_b", {}, kVolley));
    rk::Kernel sink = runtime.launch(sink_spec());
    std::ofstream(ready_path) << "ready\n";
    auto give_up = Clock::now() + std::chrono::minutes(30);
    for (rk_group_peer_state state = RK_GROUP_PEER_CONNECTED; state != RK_GROUP_PEER_LOST && Clock::now() < give_up;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      rk::check(rk_group_peer_state_get(0, &state, nullptr, 0), "peer state");
    }
  }
  rk_group_leave();
  return 0;
}

}  // namespace rk::bench
