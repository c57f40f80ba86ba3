// The UCX transport between two real processes on this machine (docs/transports.md): this
// test is rank 0; transport_peer, started here, is rank 1 and echoes. Loopback only; every
// wait is bounded (only to stop a hung test, never a speed claim) and the peer is killed
// and reaped on the way out.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch_test_macros.hpp>

#include "transport_harness.hpp"

extern char** environ;

using namespace rk::transport_test;

namespace {

// Each test's own key: no two tests' processes can join each other, even side by side.
const std::vector<uint8_t>& test_key() {
  static const std::vector<uint8_t> key = random_key();
  return key;
}

const rk_transport_table& ucx() {
  static std::string why;
  static const rk_transport_table* table = load_transport(RK_UCX_TRANSPORT_PATH, why);
  if (table == nullptr) FAIL("the ucx transport does not load: " << why);
  return *table;
}

// Rank 1 in its own process; killed and reaped if the test leaves without a clean exit.
struct Peer {
  pid_t pid = -1;
  int exit_status = -1;
  std::string report_path, address_path;
  Peer(const std::vector<uint8_t>& key, uint64_t join_timeout_ms, const std::string& listen = kAnyLoopbackPort) {
    std::string stem = "/tmp/rk-ucx-peer-" + std::to_string(getpid()) + "-" + hex(key).substr(0, 8);
    report_path = stem + ".report";
    address_path = stem + ".address";
    std::vector<std::string> args = {RK_TRANSPORT_PEER_PATH, RK_UCX_TRANSPORT_PATH, hex(key), report_path,
                                     std::to_string(join_timeout_ms), address_path, listen};
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    REQUIRE(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) == 0);
  }
  // The exit status (as waitpid gives it), or -1 when it did not end within the bound.
  int wait_exit(std::chrono::seconds bound = std::chrono::seconds(60)) {
    auto give_up = std::chrono::steady_clock::now() + bound;
    if (pid <= 0) return exit_status;  // reaped already
    for (;;) {  // at least one look, also with a bound of 0
      if (waitpid(pid, &exit_status, WNOHANG) == pid) {
        pid = -1;
        return exit_status;
      }
      if (std::chrono::steady_clock::now() >= give_up) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  // Where it listens, once it says (bounded).
  std::string address() {
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (;;) {
      std::ifstream in(address_path);
      std::string text;
      if (in >> text) return text;
      REQUIRE(std::chrono::steady_clock::now() < give_up);
      REQUIRE(wait_exit(std::chrono::seconds(0)) == -1);  // it did not die before saying
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  std::string report() {
    std::ifstream in(report_path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  ~Peer() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    std::remove(report_path.c_str());
    std::remove(address_path.c_str());
  }
};

// What the callbacks saw; checked by the test outside them (a failed REQUIRE inside would
// throw through UCX's C frames).
struct Received {
  std::vector<TestHeader> headers;
  uint64_t bad_payloads = 0;
  uint64_t bad_headers = 0;
  std::vector<uint32_t> lost;
};

void on_deliver(void* user, const rk_transport_delivery* d) {
  auto& got = *static_cast<Received*>(user);
  TestHeader header{};
  if (d->header_size != sizeof header) {
    ++got.bad_headers;
    return;
  }
  std::memcpy(&header, d->header, sizeof header);
  const auto* bytes = static_cast<const uint8_t*>(d->payload);
  bool good = d->payload_size == payload_size_of(header.seq) && d->source_rank == 1;
  for (uint32_t i = 0; good && i < d->payload_size; ++i) good = bytes[i] == payload_byte(header.seq, i);
  if (!good) ++got.bad_payloads;
  got.headers.push_back(header);
}

void on_lost(void* user, uint32_t rank, const char*) { static_cast<Received*>(user)->lost.push_back(rank); }

struct Rank0 {
  Received got;
  rk_transport transport = nullptr;
  Group group;
  explicit Rank0(const std::string& peer_address) : group(0, {kAnyLoopbackPort, peer_address}, test_key()) {
    rk_transport_callbacks callbacks{};
    callbacks.struct_size = sizeof callbacks;
    callbacks.user = &got;
    callbacks.deliver = on_deliver;
    callbacks.peer_lost = on_lost;
    INFO(ucx().last_error());
    REQUIRE(ucx().open(&group.group, &callbacks, &transport) == RK_SUCCESS);
  }
  ~Rank0() { ucx().close(transport); }
  // Progress until `done` holds; false after the bound.
  bool progress_until(const std::function<bool()>& done, std::chrono::seconds bound = std::chrono::seconds(60)) {
    auto give_up = std::chrono::steady_clock::now() + bound;
    while (!done()) {
      if (std::chrono::steady_clock::now() > give_up) return false;
      ucx().progress(transport, nullptr);
      if (!done()) ucx().wait(transport, 1'000'000);
    }
    return true;
  }
  rk_result send(uint64_t seq, uint32_t kind = kData) {
    TestHeader header{seq, kind, payload_size_of(seq)};
    std::vector<uint8_t> payload(header.payload_size);
    for (size_t i = 0; i < payload.size(); ++i) payload[i] = payload_byte(seq, i);
    return ucx().send(transport, 1, &header, sizeof header, payload.data(), header.payload_size);
  }
  rk_transport_stats stats() {
    rk_transport_stats s{};
    s.struct_size = sizeof s;
    REQUIRE(ucx().stats(transport, &s) == RK_SUCCESS);
    return s;
  }
};

// Sets an environment variable for one test case, whatever way it ends.
struct ScopedEnv {
  std::string name;
  ScopedEnv(const char* variable, const char* value) : name(variable) { setenv(variable, value, 1); }
  ~ScopedEnv() { unsetenv(name.c_str()); }
};

// Rank 0 sends `count` messages (a bounded window in flight), rank 1 echoes each: every one
// comes back once, in order, every byte intact.
void echo_in_order(const char* ucx_tls) {
  ScopedEnv tls("UCX_TLS", ucx_tls);  // read by ucp_init here and inherited by the peer
  Peer peer(test_key(), 30'000);
  Rank0 rank0(peer.address());
  INFO(ucx().last_error());
  REQUIRE(ucx().connect_all(rank0.transport, 30'000'000'000ull) == RK_SUCCESS);
  rk_transport_peer_state state = RK_PEER_UNDEFINED;
  CHECK(ucx().peer_state(rank0.transport, 1, &state) == RK_SUCCESS);
  CHECK(state == RK_PEER_CONNECTED);
  CHECK(ucx().peer_state(rank0.transport, 0, &state) == RK_SUCCESS);
  CHECK(state == RK_PEER_SELF);
  const uint64_t count = 20'000, window = 256;
  for (uint64_t seq = 0; seq < count; ++seq) {
    REQUIRE(rank0.progress_until([&] { return seq - rank0.got.headers.size() < window; }));
    REQUIRE(rank0.send(seq) == RK_SUCCESS);
  }
  REQUIRE(rank0.progress_until([&] { return rank0.got.headers.size() == count; }));
  for (uint64_t seq = 0; seq < count; ++seq) REQUIRE(rank0.got.headers[seq].seq == seq);
  CHECK(rank0.got.bad_payloads == 0);
  REQUIRE(rank0.send(count, kBye) == RK_SUCCESS);
  int status = -1;
  REQUIRE(rank0.progress_until([&] { return (status = peer.wait_exit(std::chrono::seconds(0))) != -1; }));
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  INFO(peer.report());
  CHECK(peer.report().find("received=20001 malformed=0 echo_failures=0") != std::string::npos);
  rk_transport_stats s = rank0.stats();
  CHECK(s.messages_sent == count + 1);
  CHECK(s.messages_received == count);
  CHECK(s.malformed_dropped == 0);
  CHECK(s.connections_refused == 0);
  CHECK(rank0.got.bad_headers == 0);
}

// `watch`: "" (loopback peers are watched by pid, data over shared memory) or "ucx" (UCX's
// peer-failure handling, as for a peer on another host).
void killed_peer_is_lost(const char* watch) {
  ScopedEnv failure("RINGKERNEL_UCX_PEER_FAILURE", watch);  // read by open(), here and in the peer
  Peer peer(test_key(), 30'000);
  Rank0 rank0(peer.address());
  REQUIRE(ucx().connect_all(rank0.transport, 30'000'000'000ull) == RK_SUCCESS);
  REQUIRE(rank0.send(0) == RK_SUCCESS);
  REQUIRE(rank0.progress_until([&] { return rank0.got.headers.size() == 1; }));
  REQUIRE(rank0.send(1, kDie) == RK_SUCCESS);
  int status = -1;
  REQUIRE(rank0.progress_until([&] { return (status = peer.wait_exit(std::chrono::seconds(0))) != -1; }));
  CHECK(WIFSIGNALED(status));
  // Noticed by progress (bounded): the pid is gone, or UCX sees the connection break (a
  // send to it is also how a break shows up); then every send to it is refused.
  REQUIRE(rank0.progress_until([&] {
    rank0.send(2);
    return !rank0.got.lost.empty();
  }));
  CHECK(rank0.got.lost == std::vector<uint32_t>{1});
  CHECK(rank0.send(3) == RK_ERROR_PEER_LOST);
  CHECK(std::string(ucx().last_error()).find("rank 1 is gone") != std::string::npos);
  rk_transport_peer_state state = RK_PEER_UNDEFINED;
  CHECK(ucx().peer_state(rank0.transport, 1, &state) == RK_SUCCESS);
  CHECK(state == RK_PEER_LOST);
  CHECK(rank0.stats().peers_lost == 1);
}

}  // namespace

TEST_CASE("ucx: the plugin loads and says what it runs on", "[transport][ucx]") {
  char text[256] = {};
  rk_text_out why{text, sizeof text, 0};
  CHECK(std::string(ucx().name) == "ucx");
  CHECK(ucx().struct_size == sizeof(rk_transport_table));
  REQUIRE(ucx().probe(&why) == RK_SUCCESS);
  CHECK(std::string(text).rfind("UCX ", 0) == 0);
}

TEST_CASE("ucx: two processes exchange 20,000 messages in order over loopback TCP", "[transport][ucx]") {
  echo_in_order("tcp");
}

TEST_CASE("ucx: two processes exchange 20,000 messages in order over shared memory", "[transport][ucx]") {
  echo_in_order("sm,tcp");  // TCP only to connect: the sockaddr wire-up needs it
}

TEST_CASE("ucx: a member with the wrong job key is refused, and the group does not form", "[transport][ucx]") {
  // Another key: the peer cannot prove itself to us (its welcome's MAC is not ours), and we
  // never prove ourselves to it. Keep trying to join, in short slices, until we have refused
  // it at least once; then ask it to leave and read what it saw.
  Peer peer(random_key(), 60'000);
  std::string address = peer.address();
  Rank0 rank0(address);
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (rank0.stats().connections_refused == 0 && std::chrono::steady_clock::now() < give_up) {
    REQUIRE(ucx().connect_all(rank0.transport, 100'000'000ull) == RK_ERROR_TIMEOUT);
    CHECK(std::string(ucx().last_error()).find("could not join rank 1 (" + address) != std::string::npos);
  }
  REQUIRE(rank0.stats().connections_refused >= 1);
  CHECK(ucx().connect_all(rank0.transport, 100'000'000ull) == RK_ERROR_TIMEOUT);
  CHECK(std::string(ucx().last_error()).find("does not hold the job key") != std::string::npos);
  REQUIRE(kill(peer.pid, SIGTERM) == 0);
  int status = peer.wait_exit();
  REQUIRE(status != -1);
  CHECK(WEXITSTATUS(status) == 3);  // never joined
  std::string report = peer.report();
  INFO(report);
  CHECK(report.find("joined=0") != std::string::npos);
  CHECK(report.find("received=0") != std::string::npos);  // no data got through
  rk_transport_peer_state state = RK_PEER_UNDEFINED;
  CHECK(ucx().peer_state(rank0.transport, 1, &state) == RK_SUCCESS);
  CHECK(state == RK_PEER_CONNECTING);
  CHECK(rank0.send(0) == RK_ERROR_INVALID_STATE);
}

TEST_CASE("ucx: a rank dialled before it listens is reached once it does", "[transport][ucx]") {
  // A port held but not listening: every dial is refused until the peer takes the port.
  int holder = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in held{};
  held.sin_family = AF_INET;
  held.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof held;
  REQUIRE(bind(holder, reinterpret_cast<sockaddr*>(&held), sizeof held) == 0);
  REQUIRE(getsockname(holder, reinterpret_cast<sockaddr*>(&held), &length) == 0);
  std::string address = "127.0.0.1:" + std::to_string(ntohs(held.sin_port));
  Rank0 rank0(address);
  CHECK(ucx().connect_all(rank0.transport, 300'000'000ull) == RK_ERROR_TIMEOUT);  // nobody there yet
  close(holder);
  Peer peer(test_key(), 30'000, address);
  REQUIRE(peer.address() == address);
  INFO(ucx().last_error());
  REQUIRE(ucx().connect_all(rank0.transport, 30'000'000'000ull) == RK_SUCCESS);  // dialled again until it answered
  REQUIRE(rank0.send(0) == RK_SUCCESS);
  REQUIRE(rank0.progress_until([&] { return rank0.got.headers.size() == 1; }));
  REQUIRE(rank0.send(1, kBye) == RK_SUCCESS);
  int status = -1;
  REQUIRE(rank0.progress_until([&] { return (status = peer.wait_exit(std::chrono::seconds(0))) != -1; }));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("ucx: a killed peer on loopback is noticed by its pid; sends to it fail with RK_ERROR_PEER_LOST",
          "[transport][ucx]") {
  killed_peer_is_lost("");
}

TEST_CASE("ucx: a killed peer is noticed by UCX's peer-failure handling too", "[transport][ucx]") {
  killed_peer_is_lost("ucx");
}

TEST_CASE("ucx: bad groups and sends are refused with the reason", "[transport][ucx]") {
  Group group(0, {kAnyLoopbackPort, kAnyLoopbackPort}, test_key());
  rk_transport t = nullptr;
  group.group.rank = 2;
  CHECK(ucx().open(&group.group, nullptr, &t) == RK_ERROR_INVALID_ARGUMENT);
  group.group.rank = 0;
  group.group.job_key_size = 4;
  CHECK(ucx().open(&group.group, nullptr, &t) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(ucx().last_error()).find("job key") != std::string::npos);
  group.group.job_key_size = 32;
  const char* bad[] = {"127.0.0.1:" , "nowhere"};
  group.group.addresses = bad;
  CHECK(ucx().open(&group.group, nullptr, &t) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(t == nullptr);
  Rank0 rank0(kAnyLoopbackPort);  // rank 1 never comes: sends that cannot be are still refused first
  char text[64] = {};
  rk_text_out local{text, sizeof text, 0};
  REQUIRE(ucx().local_address(rank0.transport, &local) == RK_SUCCESS);
  CHECK(std::string(text).rfind("127.0.0.1:", 0) == 0);
  CHECK(std::string(text) != kAnyLoopbackPort);  // the port the system picked
  CHECK(ucx().send(rank0.transport, 5, nullptr, 0, nullptr, 0) == RK_ERROR_NOT_FOUND);
  CHECK(ucx().send(rank0.transport, 0, nullptr, 0, nullptr, 0) == RK_ERROR_NOT_FOUND);  // itself
  std::vector<uint8_t> big(70'000);
  CHECK(ucx().send(rank0.transport, 1, nullptr, 0, big.data(), static_cast<uint32_t>(big.size())) ==
        RK_ERROR_MESSAGE_TOO_LARGE);
}
