// K2K between two processes of a group (docs/distributed.md): this test is rank 0, and
// group_peer, started here, rank 1. Loopback only; every wait is bounded only to stop a
// hung test (never a speed claim), and the peer is killed and reaped on the way out.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <future>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch_test_macros.hpp>

#include "group_kernels.hpp"
#include "transport_harness.hpp"

extern char** environ;

using namespace grouptest;

namespace {

const std::vector<uint8_t>& job_key() {
  static const std::string text = rk::transport_test::hex(rk::transport_test::random_key()).substr(0, 40);
  static const std::vector<uint8_t> key(text.begin(), text.end());
  return key;
}

// Rank 1 in its own process.
struct PeerProcess {
  pid_t pid = -1;
  std::string stem, report_path, ready_path, address_path, closed_path;
  PeerProcess(const std::string& mode, uint64_t n) {
    static int serial = 0;
    stem = "/tmp/rk-group-peer-" + std::to_string(getpid()) + "-" + std::to_string(serial++);
    report_path = stem + ".report";
    ready_path = stem + ".ready";
    address_path = stem + ".address";
    closed_path = ready_path + ".closed";
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
    env.push_back("RINGKERNEL_RANK=1");
    env.push_back("RINGKERNEL_PEERS=127.0.0.1:0,127.0.0.1:0");
    env.push_back("RINGKERNEL_JOB_KEY=" + std::string(job_key().begin(), job_key().end()));
    env.push_back("RINGKERNEL_GROUP_ADDRESS_FILE=" + address_path);
    env.push_back("RINGKERNEL_GROUP_LOOKUP_MS=60000");
    std::vector<std::string> args = {RK_GROUP_PEER_PATH, mode, std::to_string(n), report_path, ready_path};
    std::vector<char*> argv, envp;
    for (std::string& a : args) argv.push_back(a.data());
    for (std::string& e : env) envp.push_back(e.data());
    argv.push_back(nullptr);
    envp.push_back(nullptr);
    REQUIRE(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), envp.data()) == 0);
  }
  bool exited() {
    int status = 0;
    return pid > 0 && waitpid(pid, &status, WNOHANG) == pid && (exit_status = status, pid = -1, true);
  }
  int exit_status = -1;
  // The first line of `path`, once the peer wrote it (bounded; the peer must stay alive).
  std::string read_when_there(const std::string& path) {
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    for (;;) {
      std::ifstream in(path);
      std::string text;
      if (in >> text) return text;
      REQUIRE(std::chrono::steady_clock::now() < give_up);
      REQUIRE_FALSE(exited());
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  int wait_exit() {
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (pid > 0 && !exited() && std::chrono::steady_clock::now() < give_up)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return pid > 0 ? -1 : exit_status;
  }
  void kill_now() {
    REQUIRE(pid > 0);
    kill(pid, SIGKILL);
    waitpid(pid, &exit_status, 0);
    pid = -1;
  }
  std::map<std::string, uint64_t> report() {
    std::ifstream in(report_path);
    std::map<std::string, uint64_t> values;
    std::string key;
    uint64_t value = 0;
    while (in >> key >> value) values[key] = value;
    return values;
  }
  ~PeerProcess() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    for (const std::string& path : {report_path, ready_path, address_path, closed_path}) std::remove(path.c_str());
  }
};

// This process as rank 0, with rank 1 where the peer listens; leaves on the way out.
struct Joined {
  explicit Joined(const std::string& peer_address) {
    const std::vector<uint8_t>& key = job_key();
    std::vector<const char*> addresses = {"127.0.0.1:0", peer_address.c_str()};
    rk_group_options options = RK_GROUP_OPTIONS_INIT;
    options.rank = 0;
    options.size = 2;
    options.addresses = addresses.data();
    options.job_key = key.data();
    options.job_key_size = static_cast<uint32_t>(key.size());
    options.connect_timeout_ns = 60'000'000'000ull;
    rk_result r = rk_group_join(nullptr, &options);
    INFO(rk_last_error());
    REQUIRE(r == RK_SUCCESS);
  }
  ~Joined() { rk_group_leave(); }
};

void lookups_wait_long() { setenv("RINGKERNEL_GROUP_LOOKUP_MS", "60000", 1); }

void each_way(uint64_t n) {
  lookups_wait_long();
  PeerProcess peer("both", n);
  Joined joined(peer.read_when_there(peer.address_path));
  {
    rk::Runtime runtime("cpu_sim");
    rk::Kernel sink = runtime.launch(sink_spec());
    peer.read_when_there(peer.ready_path);  // its sink is launched
    rk::Kernel pump = runtime.launch(pump_spec("1/sink"));
    BurstDone done = pump.request<BurstDone>(Burst{n, 0}, 600'000'000'000ull);
    CHECK(done.sent == n);
    CHECK(done.failed == 0);
    auto got = [&] { return sink.request<Got>(Report{0}); };
    REQUIRE(wait_while_moving([&] { return got().received >= n; }, [&] { return got().received; }));
    // The pump's last sends may still be in its outbox when it answers: wait until all went.
    REQUIRE(wait_while_moving([n] { return group_status().messages_acknowledged >= n; },
                              [] { return group_status().messages_acknowledged; }));
    REQUIRE(rk_group_flush(60'000'000'000ull) == RK_SUCCESS);
    Got mine = got();
    CHECK(mine.received == n);  // none lost, none duplicated
    CHECK(mine.out_of_order == 0);
    rk_group_status status = group_status();
    CHECK(status.messages_sent == n);
    CHECK(status.messages_acknowledged == n);
    CHECK(status.messages_received == n);
    CHECK(status.messages_lost == 0);
    CHECK(status.messages_dropped == 0);
    REQUIRE(rk_group_leave() == RK_SUCCESS);  // rank 1 waits for us to go first
    REQUIRE(peer.wait_exit() == 0);
  }
  auto theirs = peer.report();
  CHECK(theirs["sent"] == n);
  CHECK(theirs["failed"] == 0);
  CHECK(theirs["all"] == 1);
  CHECK(theirs["flushed"] == 1);
  CHECK(theirs["received"] == n);
  CHECK(theirs["out_of_order"] == 0);
  CHECK(theirs["lost"] == 0);
  CHECK(theirs["dropped"] == 0);
}

}  // namespace

TEST_CASE("100 000 K2K messages each way between two processes, in order, none lost", "[group]") {
  unsetenv("UCX_TLS");
  each_way(100'000);
}

TEST_CASE("K2K between two processes over TCP on loopback", "[group]") {
  struct TcpOnly {  // the peer inherits it; unset again however the test ends
    TcpOnly() { setenv("UCX_TLS", "tcp", 1); }
    ~TcpOnly() { unsetenv("UCX_TLS"); }
  } tcp;
  each_way(20'000);
}

TEST_CASE("a full remote inbox holds the sender back by credits, and nothing is lost", "[group]") {
  lookups_wait_long();
  const uint64_t n = 20'000;
  PeerProcess peer("backpressure", n);
  Joined joined(peer.read_when_there(peer.address_path));
  {
    rk::Runtime runtime("cpu_sim");
    peer.read_when_there(peer.ready_path);
    rk::Kernel pump = runtime.launch(pump_spec("1/sink"));
    BurstDone done = pump.request<BurstDone>(Burst{n, 0}, 600'000'000'000ull);
    CHECK(done.sent == n);
    CHECK(done.failed == 0);
    REQUIRE(wait_while_moving([] { return group_status().messages_acknowledged >= n; },
                              [] { return group_status().messages_acknowledged; }));
    rk_group_status status = group_status();
    CHECK(status.messages_acknowledged == n);
    CHECK(status.messages_lost == 0);
    REQUIRE(rk_group_leave() == RK_SUCCESS);  // rank 1 waits for us to go first
    REQUIRE(peer.wait_exit() == 0);
  }
  auto theirs = peer.report();
  CHECK(theirs["credits_used"] == 1);  // the receiver held a full window: the sender had to stop
  CHECK(theirs["held_max"] == 1024);   // and it never held more
  CHECK(theirs["received"] == n);
  CHECK(theirs["out_of_order"] == 0);
  CHECK(theirs["dropped"] == 0);
}

// The leaver's last acknowledgements travel just before it closes: it waits for the other
// rank's farewell first, so none is lost with the close and the sender counts nothing lost.
TEST_CASE("a rank that leaves right after taking messages has every one acknowledged", "[group]") {
  lookups_wait_long();
  const uint64_t n = 20000;
  PeerProcess peer("send", n);
  Joined joined(peer.read_when_there(peer.address_path));
  {
    rk::Runtime runtime("cpu_sim");
    rk::Kernel sink = runtime.launch(sink_spec());
    auto got = [&] { return sink.request<Got>(Report{0}); };
    REQUIRE(wait_while_moving([&] { return got().received >= n; }, [&] { return got().received; }));
    CHECK(got().out_of_order == 0);
    REQUIRE(rk_group_leave() == RK_SUCCESS);  // at once: no flush, nothing waited for on this side
    REQUIRE(peer.wait_exit() == 0);
  }
  auto theirs = peer.report();
  CHECK(theirs["sent"] == n);
  CHECK(theirs["failed"] == 0);
  CHECK(theirs["rank0_left"] == 1);
  CHECK(theirs["left_said_so"] == 1);  // it told us it left, rather than dropping out
  CHECK(theirs["acknowledged"] == n);
  CHECK(theirs["lost"] == 0);
}

// Messages from another process that arrive while their target moves wait for the move,
// then reach its twin; they used to be dropped, and their sender told the kernel was gone.
TEST_CASE("a kernel moves between runtimes while another process sends to it, and loses nothing", "[group][migrate]") {
  lookups_wait_long();
  const uint64_t n = 20000;
  PeerProcess peer("send", n);
  Joined joined(peer.read_when_there(peer.address_path));
  {
    rk::Runtime one("cpu_sim"), other("cpu_sim");
    rk::Kernel sink = one.launch(sink_spec());
    auto got = [&] { return sink.request<Got>(Report{0}); };
    // Back and forth while rank 1's pump sends (at least four moves, however fast it is).
    uint32_t moves = 0;
    for (uint64_t last = 0; moves < 4 || (last < n && moves < 40); ++moves) {
      rk_kernel moved = nullptr;
      rk_result r = rk_kernel_migrate(sink.get(), moves % 2 == 0 ? other.get() : one.get(), 60'000'000'000ull, &moved);
      INFO(rk_last_error());
      REQUIRE(r == RK_SUCCESS);
      sink = rk::Kernel(moved);
      last = got().received;
    }
    REQUIRE(wait_while_moving([&] { return got().received >= n; }, [&] { return got().received; }));
    CHECK(got().received == n);  // none lost, none twice
    CHECK(got().out_of_order == 0);
    CHECK(group_status().messages_dropped == 0);
    REQUIRE(rk_group_leave() == RK_SUCCESS);
    REQUIRE(peer.wait_exit() == 0);
  }
  auto theirs = peer.report();
  CHECK(theirs["sent"] == n);
  CHECK(theirs["failed"] == 0);  // never told the kernel was gone
}

// Messages a kernel sent to another process just before it moved leave from its old runtime
// afterwards; they named it by its old place there, so the answers found it gone.
TEST_CASE("answers from another process to a kernel that moved since it asked reach it", "[group][migrate]") {
  lookups_wait_long();
  PeerProcess peer("echo", 0);
  Joined joined(peer.read_when_there(peer.address_path));
  {
    rk::Runtime one("cpu_sim"), other("cpu_sim");
    rk::KernelSpec spec = asker_spec("1/echo");
    spec.outbox_capacity = 256;
    rk::Kernel asker = one.launch(spec);
    auto got = [&] { return asker.request<Got>(Report{0}); };
    // It moves back and forth while its questions and their answers are on their way (each
    // handler sends at most its outbox's capacity: docs/runtime.md, "K2K sends never
    // deadlock the loop").
    const uint64_t bursts = 40, per = 200;
    for (uint64_t b = 0; b < bursts; ++b) {
      asker.send(Burst{per, b * per});
      if (b % 2 == 0) continue;
      rk_kernel moved = nullptr;
      rk_result r = rk_kernel_migrate(asker.get(), b % 4 == 1 ? other.get() : one.get(), 60'000'000'000ull, &moved);
      INFO(rk_last_error());
      REQUIRE(r == RK_SUCCESS);
      asker = rk::Kernel(moved);
    }
    REQUIRE(wait_while_moving([&] { return got().received >= bursts * per; }, [&] { return got().received; }));
    CHECK(got().received == bursts * per);  // none lost, none twice
    CHECK(got().out_of_order == 0);
    CHECK(group_status().messages_dropped == 0);
    REQUIRE(rk_group_leave() == RK_SUCCESS);
    REQUIRE(peer.wait_exit() == 0);
  }
  auto theirs = peer.report();
  CHECK(theirs["answered"] == 40 * 200);
}

// Within a process a route closed on a terminated kernel opens again when a kernel of that
// name is launched again; across processes it stayed closed for good.
TEST_CASE("a kernel launched again under its name is reached again from another process", "[group]") {
  lookups_wait_long();
  PeerProcess peer("pulse", 0);
  Joined joined(peer.read_when_there(peer.address_path));
  rk::Runtime runtime("cpu_sim");
  uint64_t first_life = 0;
  {
    rk::Kernel sink = runtime.launch(sink_spec());
    auto got = [&] { return sink.request<Got>(Report{0}); };
    REQUIRE(wait_while_moving([&] { return got().received >= 100; }, [&] { return got().received; }));
    first_life = got().received;
  }  // destroyed: what rank 1 sends now is dropped here, and rank 1 is told the kernel is gone
  peer.read_when_there(peer.closed_path);  // its route is closed: its sends fail
  rk::Kernel sink = runtime.launch(sink_spec());
  auto got = [&] { return sink.request<Got>(Report{0}); };
  REQUIRE(wait_while_moving([&] { return got().received >= 1000; }, [&] { return got().received; }));
  // Its first value follows one the old kernel took (or one dropped meanwhile); after it,
  // every value in turn: nothing sent to the new kernel is lost.
  CHECK(got().out_of_order == 1);
  REQUIRE(rk_group_leave() == RK_SUCCESS);
  REQUIRE(peer.wait_exit() == 0);
  auto theirs = peer.report();
  CHECK(theirs["failed"] >= 1);
  CHECK(theirs["sent"] >= first_life + 1000);
}

// rk_group_send queues a host's message for the forwarding thread; rk_group_flush used to
// look only at what had left, and rk_group_leave dropped the rest without a word.
TEST_CASE("host sends followed at once by flush and leave all arrive", "[group]") {
  lookups_wait_long();
  const uint64_t n = 5000;  // several credit windows: most wait in the queue when flush is called
  PeerProcess peer("receive", n);
  Joined joined(peer.read_when_there(peer.address_path));
  peer.read_when_there(peer.ready_path);  // its sink is launched
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t value = i;
    REQUIRE(rk_group_send("1/sink", 3, &value, sizeof value, 60'000'000'000ull) == RK_SUCCESS);
  }
  REQUIRE(rk_group_flush(60'000'000'000ull) == RK_SUCCESS);
  rk_group_status status = group_status();
  CHECK(status.messages_sent == n);
  CHECK(status.messages_acknowledged == n);
  REQUIRE(rk_group_leave() == RK_SUCCESS);
  REQUIRE(peer.wait_exit() == 0);
  auto theirs = peer.report();
  CHECK(theirs["rank0_left"] == 1);
  CHECK(theirs["received"] == n);
  CHECK(theirs["out_of_order"] == 0);
}

TEST_CASE("a killed peer: sends fail, the survivor runs on, every message is accounted for", "[group]") {
  lookups_wait_long();
  PeerProcess peer("die", 0);
  const std::string peer_address = peer.read_when_there(peer.address_path);
  Joined joined(peer_address);
  rk::Runtime runtime("cpu_sim");
  peer.read_when_there(peer.ready_path);
  rk::Kernel pump = runtime.launch(pump_spec("1/sink"));
  // More than the peer's inbox and our credits hold: the pump is still sending when it dies.
  std::future<BurstDone> burst = pump.request_async<BurstDone>(Burst{20'000, 0}, 600'000'000'000ull);
  REQUIRE(wait_while_moving([] { return group_status().messages_sent >= 1000; },
                            [] { return group_status().messages_sent; }));
  peer.kill_now();
  BurstDone done = burst.get();
  CHECK(done.failed > 0);
  REQUIRE(wait_while_moving([] { return group_status().peers_lost == 1; }, [] { return uint64_t{0}; }));
  rk_group_peer_state state = RK_GROUP_PEER_CONNECTED;
  char why[256] = {};
  REQUIRE(rk_group_peer_state_get(1, &state, why, sizeof why) == RK_SUCCESS);
  CHECK(state == RK_GROUP_PEER_LOST);
  CHECK(std::string(why).size() > 0);
  const std::string dump = runtime.dump();  // the hang dump names the lost rank and why
  CHECK(dump.find("process group: rank 0 of 2") != std::string::npos);
  CHECK(dump.find("rank 1 (" + peer_address + "): LOST: " + why) != std::string::npos);
  pump.terminate();  // what it still held is dropped (and counted) now
  rk_group_status status = group_status();
  // Every message the handler tried to send was taken by the peer, lost in flight, or
  // dropped here and counted: refused by the closed route, or still queued when it closed.
  const uint64_t dropped = pump.telemetry().messages_dropped;
  CHECK(done.sent + done.failed == status.messages_acknowledged + status.messages_lost + dropped);
  CHECK(done.sent >= status.messages_acknowledged + status.messages_lost);
  CHECK(status.messages_lost <= 1024);  // at most a window was in flight
  // The survivor runs on, and a new route to the lost rank is refused with the reason.
  rk::Kernel sink = runtime.launch(sink_spec());
  CHECK(sink.request<Got>(Report{0}).received == 0);
  rk::KernelSpec late = pump_spec("1/sink");
  late.name = "late_pump";
  rk_result refused = RK_SUCCESS;
  try {
    runtime.launch(late);
  } catch (const rk::Error& e) {
    refused = e.code();
  }
  CHECK(refused == RK_ERROR_PEER_LOST);
}

// A request queued behind messages that never get a credit fails once, as PEER_LOST, when
// its rank dies; the plain sends queued with it are what the drop count holds.
TEST_CASE("a host request still queued when its rank dies fails once and is not also counted dropped", "[group]") {
  lookups_wait_long();
  PeerProcess peer("die", 0);  // its sink is paused: credits run out and stay out
  Joined joined(peer.read_when_there(peer.address_path));
  peer.read_when_there(peer.ready_path);
  // More than the credits (kCreditWindow, plus the sink's 2-slot inbox) and fewer than the
  // credits and the host's queue (256) hold: every send is accepted, some never leave.
  const uint64_t plain = 1024 + 100;
  for (uint64_t i = 0; i < plain; ++i)
    REQUIRE(rk_group_send("1/sink", 3u, &i, sizeof i, 600'000'000'000ull) == RK_SUCCESS);
  std::future<rk_result> request = std::async(std::launch::async, [] {
    uint64_t value = 0;
    return rk_group_request("1/sink", 3u, &value, sizeof value, 600'000'000'000ull, nullptr, nullptr, 0, nullptr);
  });
  // Queued behind the plain sends still waiting for a credit, which never comes: the
  // request is never sent. Known queued once flush counts it among those not sent.
  auto not_sent = [] {
    if (rk_group_flush(0) == RK_SUCCESS) return uint64_t{0};
    const std::string why = rk_last_error();  // "... (N host message(s) not sent yet): ..."
    return uint64_t{std::strtoull(why.c_str() + why.find('(') + 1, nullptr, 10)};
  };
  REQUIRE(wait_while_moving([&] { return not_sent() + group_status().messages_sent == plain + 1; },
                            [] { return group_status().messages_sent; }));
  peer.kill_now();
  CHECK(request.get() == RK_ERROR_PEER_LOST);
  REQUIRE(rk_group_flush(600'000'000'000ull) == RK_SUCCESS);  // the queue let go of what it held
  // (Credits the sink's inbox gave back may have sent a few more meanwhile: count at the end.)
  rk_group_status status = group_status();
  REQUIRE(status.messages_sent < plain);  // so the request, behind them, never left
  CHECK(status.messages_dropped == plain - status.messages_sent);  // the plain sends only; the request failed instead
}

TEST_CASE("process groups refuse what they cannot do, with the reason", "[group]") {
  rk_group_status status = group_status();
  CHECK(status.joined == 0);
  rk::Runtime runtime("cpu_sim");
  // A peer of another rank, outside any group.
  rk::KernelSpec pump = pump_spec("1/sink");
  rk_result code = RK_SUCCESS;
  try {
    runtime.launch(pump);
  } catch (const rk::Error& e) {
    code = e.code();
    CHECK(std::string(e.what()).find("no process group") != std::string::npos);
  }
  CHECK(code == RK_ERROR_INVALID_STATE);
  // A kernel name with '/'.
  rk::KernelSpec slash = sink_spec();
  slash.name = "a/b";
  code = RK_SUCCESS;
  try {
    runtime.launch(slash);
  } catch (const rk::Error& e) {
    code = e.code();
  }
  CHECK(code == RK_ERROR_INVALID_ARGUMENT);
  // No group in the environment.
  unsetenv("RINGKERNEL_PEERS");
  CHECK(rk_group_join(nullptr, nullptr) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(rk_last_error()).find("RINGKERNEL_PEERS") != std::string::npos);
  // A transport nobody has, a short key, a rank outside the group.
  const char* addresses[] = {"127.0.0.1:0", "127.0.0.1:0"};
  const std::vector<uint8_t>& key = job_key();
  rk_group_options options = RK_GROUP_OPTIONS_INIT;
  options.size = 2;
  options.addresses = addresses;
  options.job_key = key.data();
  options.job_key_size = static_cast<uint32_t>(key.size());
  options.transport = "carrier-pigeon";
  CHECK(rk_group_join(nullptr, &options) == RK_ERROR_NOT_FOUND);
  CHECK(std::string(rk_last_error()).find("carrier-pigeon") != std::string::npos);
  options.transport = nullptr;
  options.job_key_size = 8;
  CHECK(rk_group_join(nullptr, &options) == RK_ERROR_INVALID_ARGUMENT);
  options.job_key_size = static_cast<uint32_t>(key.size());
  options.rank = 2;
  CHECK(rk_group_join(nullptr, &options) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(rk_group_leave() == RK_ERROR_INVALID_STATE);
  CHECK(group_status().joined == 0);
}

TEST_CASE("the host sends to and requests from a kernel of another process", "[group]") {
  lookups_wait_long();
  PeerProcess peer("echo", 0);
  Joined joined(peer.read_when_there(peer.address_path));
  peer.read_when_there(peer.ready_path);
  // Plain sends first: the requests after them see them, in order.
  for (uint64_t i = 0; i < 10; ++i) {
    Ask ask{i};
    REQUIRE(rk_group_send("1/echo", Ask::type_id, &ask, sizeof ask, 60'000'000'000ull) == RK_SUCCESS);
  }
  for (uint64_t i = 0; i < 2000; ++i) {
    Ask ask{1000 + i};
    Answer answer{};
    rk_msg_header header{};
    uint32_t size = 0;
    rk_result r = rk_group_request("1/echo", Ask::type_id, &ask, sizeof ask, 60'000'000'000ull, &header, &answer,
                                   sizeof answer, &size);
    INFO(rk_last_error());
    REQUIRE(r == RK_SUCCESS);
    REQUIRE(size == sizeof answer);
    REQUIRE(answer.value == 1001 + i);
    REQUIRE(answer.seen == 10 + i);  // every earlier message handled first, once
    REQUIRE((header.flags & RK_MSG_FLAG_REPLY) != 0);
  }
  // Refusals, with the reason.
  Ask ask{0};
  Answer answer{};
  uint32_t size = 0;
  CHECK(rk_group_request("1/nobody", Ask::type_id, &ask, sizeof ask, 200'000'000ull, nullptr, &answer, sizeof answer,
                         &size) == RK_ERROR_NOT_FOUND);  // rank 1 has no such kernel, however fast it is
  CHECK(std::string(rk_last_error()).find("nobody") != std::string::npos);
  CHECK(rk_group_send("0/echo", Ask::type_id, &ask, sizeof ask, 0) == RK_ERROR_INVALID_ARGUMENT);  // ourselves
  CHECK(rk_group_send("5/echo", Ask::type_id, &ask, sizeof ask, 0) == RK_ERROR_NOT_FOUND);
  CHECK(rk_group_send("echo", Ask::type_id, &ask, sizeof ask, 0) == RK_ERROR_INVALID_ARGUMENT);
  std::vector<uint8_t> big(65536);
  CHECK(rk_group_send("1/echo", Ask::type_id, big.data(), uint32_t(big.size()), 60'000'000'000ull) ==
        RK_ERROR_MESSAGE_TOO_LARGE);
  // The same kernel through a handle: rk_runtime_find_kernel accepts "R/name".
  rk::Runtime runtime("cpu_sim");
  rk_kernel echo = nullptr;
  REQUIRE(rk_runtime_find_kernel(runtime.get(), "1/echo", &echo) == RK_SUCCESS);
  rk_kernel again = nullptr;
  REQUIRE(rk_runtime_find_kernel(runtime.get(), "1/echo", &again) == RK_SUCCESS);
  CHECK(again == echo);  // one handle per name and runtime
  CHECK(std::string(rk_kernel_name(echo)) == "1/echo");
  CHECK(rk_kernel_max_payload_size(echo) > 0);
  CHECK(rk_kernel_get_state(echo) == RK_KERNEL_STATE_UNDEFINED);  // rank 1's to know
  ask = Ask{7};
  uint64_t message_id = 0;
  REQUIRE(rk_kernel_send(echo, Ask::type_id, &ask, sizeof ask, nullptr, &message_id) == RK_SUCCESS);
  CHECK(message_id != 0);
  ask = Ask{5000};
  rk_msg_header header{};
  REQUIRE(rk_kernel_request(echo, Ask::type_id, &ask, sizeof ask, &header, &answer, sizeof answer, &size,
                            60'000'000'000ull) == RK_SUCCESS);
  CHECK(answer.value == 5001);
  CHECK(answer.seen == 2010 + 1);  // after the 2,010 before it and the send through the handle
  // What needs this process's queues is refused, with the reason.
  rk_kernel_status kernel_status = RK_KERNEL_STATUS_INIT;
  CHECK(rk_kernel_get_status(echo, &kernel_status) == RK_ERROR_UNSUPPORTED);
  CHECK(std::string(rk_last_error()).find("another process") != std::string::npos);
  CHECK(rk_kernel_terminate(echo, 0) == RK_ERROR_UNSUPPORTED);
  uint32_t received = 0;
  CHECK(rk_kernel_receive(echo, nullptr, &answer, sizeof answer, &received, 0) == RK_ERROR_UNSUPPORTED);
  CHECK(rk_kernel_request_async(echo, Ask::type_id, &ask, sizeof ask, nullptr, nullptr, nullptr) ==
        RK_ERROR_UNSUPPORTED);
  rk_kernel nobody = nullptr;
  setenv("RINGKERNEL_GROUP_LOOKUP_MS", "200", 1);  // how long rank 1 waits for "nobody" to be created
  CHECK(rk_runtime_find_kernel(runtime.get(), "1/nobody", &nobody) == RK_ERROR_UNKNOWN_KERNEL);
  CHECK(std::string(rk_last_error()).find("nobody") != std::string::npos);
  lookups_wait_long();
  CHECK(rk_runtime_find_kernel(runtime.get(), "5/echo", &nobody) == RK_ERROR_NOT_FOUND);
  CHECK(rk_runtime_find_kernel(runtime.get(), "0/echo", &nobody) == RK_ERROR_UNKNOWN_KERNEL);  // ours: a local name
  CHECK(rk_kernel_destroy(echo) == RK_SUCCESS);  // the handle, not rank 1's kernel
  REQUIRE(rk_runtime_find_kernel(runtime.get(), "1/echo", &echo) == RK_SUCCESS);
  REQUIRE(rk_kernel_request(echo, Ask::type_id, &ask, sizeof ask, nullptr, &answer, sizeof answer, &size,
                            60'000'000'000ull) == RK_SUCCESS);
  CHECK(answer.seen == 2010 + 2);
  // The echo answered the eleven plain sends too; nobody waited for those answers: counted, dropped.
  CHECK(group_status().messages_dropped == 11);
  REQUIRE(rk_group_leave() == RK_SUCCESS);
  REQUIRE(peer.wait_exit() == 0);
  auto theirs = peer.report();
  CHECK(theirs["rank0_left"] == 1);
  CHECK(theirs["answered"] == 2013);
}

TEST_CASE("two kernels of different processes that name each other launch, and play ping-pong", "[group]") {
  lookups_wait_long();
  PeerProcess peer("volley", 0);
  Joined joined(peer.read_when_there(peer.address_path));
  {
    rk::Runtime runtime("cpu_sim");
    // Each launch asks the other rank for its kernel, which may not be created yet: both
    // wait until the other one exists, in whichever order they start.
    rk::Kernel a = runtime.launch(volley_spec("volley_a", "1/volley_b"));
    // An even number of hops ends at volley_a, which hands the volley to this host.
    for (uint64_t round = 0; round < 20; ++round) {
      a.send(Volley{1000});
      auto out = a.receive<Volley>(60'000'000'000ull);  // only stops a hung test
      REQUIRE(out.has_value());
      REQUIRE(out->message.hops_left == 0);
    }
    // 1000 hops: 500 here, then the last (counted just after its handler returned).
    CHECK(wait_while_moving([&] { return a.telemetry().messages_processed == 20 * 501; },
                            [&] { return a.telemetry().messages_processed; }));
    CHECK(group_status().messages_dropped == 0);
  }
  REQUIRE(rk_group_leave() == RK_SUCCESS);
  REQUIRE(peer.wait_exit() == 0);
}
