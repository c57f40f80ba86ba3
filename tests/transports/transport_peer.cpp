// The other process of the transport tests: joins a group of two as rank 1 and echoes every
// data message back to rank 0 until told to leave (exit 0) or to die (SIGKILL, as a crash).
//
//   transport_peer PLUGIN KEY_HEX REPORT_FILE JOIN_TIMEOUT_MS ADDRESS_FILE
//
// It listens on a loopback port the system picks and writes "host:port" to ADDRESS_FILE
// (whole, by a rename) for rank 0 to dial.
// The report file gets "joined=0|1 refused=N received=N malformed=N" when it leaves: the
// test reads it (a peer with the wrong key never joins: it leaves at the first hello it
// refuses, or when JOIN_TIMEOUT_MS is up).
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
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s PLUGIN KEY_HEX REPORT_FILE JOIN_TIMEOUT_MS ADDRESS_FILE\n", argv[0]);
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
  Group group(1, {kAnyLoopbackPort, kAnyLoopbackPort}, unhex(argv[2]));
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
  // Joins in short slices until it is in, or it has refused someone (the wrong-key test:
  // no need to wait out the whole time), or the time is up.
  rk_transport_stats stats{};
  stats.struct_size = sizeof stats;
  auto join_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::strtoull(argv[4], nullptr, 10));
  bool joined = false;
  while (!joined && std::chrono::steady_clock::now() < join_until) {
    joined = echo.table->connect_all(echo.transport, 100'000'000ull) == RK_SUCCESS;
    echo.table->stats(echo.transport, &stats);
    if (stats.connections_refused != 0) break;
  }
  if (!joined) std::fprintf(stderr, "transport_peer: not joined: %s\n", echo.table->last_error());
  // Bounded: a test that never says bye does not leave this process behind.
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (joined && !echo.leave && std::chrono::steady_clock::now() < give_up) {
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
