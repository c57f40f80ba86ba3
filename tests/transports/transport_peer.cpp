// The other process of the transport tests: joins a group of two as rank 1 and echoes every
// data message back to rank 0 until told to leave (exit 0) or to die (SIGKILL, as a crash).
//
//   transport_peer PLUGIN KEY_HEX REPORT_FILE JOIN_TIMEOUT_MS ADDRESS_FILE [LISTEN_ADDRESS]
//
// It listens on LISTEN_ADDRESS (default: a loopback port the system picks) and writes the
// "host:port" it got to ADDRESS_FILE (whole, by a rename) for rank 0 to dial.
// The report file gets "joined=0|1 refused=N received=N malformed=N" when it leaves: the
// test reads it (a peer with the wrong key never joins: it leaves at the first hello it
// refuses, when JOIN_TIMEOUT_MS is up, or on SIGTERM).
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "transport_harness.hpp"

using namespace rk::transport_test;

namespace {

// SIGTERM: stop joining or echoing, report and leave (exit 3 unless told bye).
volatile sig_atomic_t g_stop = 0;
void on_term(int) { g_stop = 1; }

struct Echo {
  const rk_transport_table* table = nullptr;
  rk_transport transport = nullptr;
  bool leave = false;
  uint64_t echo_failures = 0;
};

void on_deliver(void* user, const rk_transport_delivery* d) {
  auto& echo = *static_cast<Echo*>(user);
  if (d->header_size != sizeof(TestHeader)) return;
  TestHeader header{};
  std::memcpy(&header, d->header, sizeof header);
  if (header.kind == kBye) echo.leave = true;
  if (header.kind == kDie) raise(SIGKILL);
  if (header.kind != kData) return;
  if (echo.table->send(echo.transport, d->source_rank, &header, sizeof header, d->payload, d->payload_size) != RK_SUCCESS)
    ++echo.echo_failures;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6 && argc != 7) {
    std::fprintf(stderr, "usage: %s PLUGIN KEY_HEX REPORT_FILE JOIN_TIMEOUT_MS ADDRESS_FILE [LISTEN_ADDRESS]\n", argv[0]);
    return 2;
  }
  const char* report_file = argv[3];
  std::string why;
  Echo echo;
  echo.table = load_transport(argv[1], why);
  if (echo.table == nullptr) {
    std::fprintf(stderr, "transport_peer: %s\n", why.c_str());
    return 2;
  }
  Group group(1, {kAnyLoopbackPort, argc == 7 ? argv[6] : kAnyLoopbackPort}, unhex(argv[2]));
  rk_transport_callbacks callbacks{};
  callbacks.struct_size = sizeof callbacks;
  callbacks.user = &echo;
  callbacks.deliver = on_deliver;
  if (echo.table->open(&group.group, &callbacks, &echo.transport) != RK_SUCCESS) {
    std::fprintf(stderr, "transport_peer: open: %s\n", echo.table->last_error());
    return 2;
  }
  char address[128] = {};
  rk_text_out address_out{address, sizeof address, 0};
  if (echo.table->local_address(echo.transport, &address_out) != RK_SUCCESS) {
    std::fprintf(stderr, "transport_peer: local_address: %s\n", echo.table->last_error());
    return 2;
  }
  std::string partial = std::string(argv[5]) + ".partial";
  std::ofstream(partial) << address;
  std::rename(partial.c_str(), argv[5]);
  signal(SIGTERM, on_term);
  // Joins in short slices until it is in, or it has refused someone, or it is told to stop,
  // or the time is up.
  rk_transport_stats stats{};
  stats.struct_size = sizeof stats;
  auto join_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::strtoull(argv[4], nullptr, 10));
  bool joined = false;
  while (!joined && !g_stop && std::chrono::steady_clock::now() < join_until) {
    joined = echo.table->connect_all(echo.transport, 100'000'000ull) == RK_SUCCESS;
    echo.table->stats(echo.transport, &stats);
    if (stats.connections_refused != 0) break;
  }
  if (!joined) std::fprintf(stderr, "transport_peer: not joined: %s\n", echo.table->last_error());
  // Bounded: a test that never says bye does not leave this process behind.
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (joined && !echo.leave && !g_stop && std::chrono::steady_clock::now() < give_up) {
    echo.table->progress(echo.transport, nullptr);
    echo.table->wait(echo.transport, 1'000'000);
  }
  echo.table->stats(echo.transport, &stats);
  echo.table->close(echo.transport);
  std::ofstream(report_file) << "joined=" << joined << " refused=" << stats.connections_refused
                         << " received=" << stats.messages_received << " malformed=" << stats.malformed_dropped
                         << " echo_failures=" << echo.echo_failures << "\n";
  return joined && echo.leave ? 0 : 3;
}
