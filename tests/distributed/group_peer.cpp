// Rank 1 of the process-group tests (test_group.cpp starts it): joins the group from the
// environment (RINGKERNEL_RANK, RINGKERNEL_PEERS, RINGKERNEL_JOB_KEY,
// RINGKERNEL_GROUP_ADDRESS_FILE), launches a sink, says so in the ready file, then:
//   both N          its pump sends N values to "0/sink"; waits for N in its own sink
//   backpressure N  its sink (2 slots) stays inactive until rank 0's sender has used every
//                   credit, then takes all N
//   send N          its pump sends N values to "0/sink", then it waits for rank 0 to leave
//   receive N       its sink takes what rank 0's host sends it until rank 0 leaves
//   die             waits to be killed, its sink never taking anything
//   echo            launches "echo" too and answers rank 0's host until rank 0 leaves
//   volley          launches "volley_b", which names rank 0's "volley_a", until rank 0 leaves
//   pulse           its pump sends to "0/sink" one value at a time until rank 0 leaves, the
//                   next value only after a send succeeded; at the first that fails it
//                   writes READY.closed
// and writes what it saw to the report file ("key value" lines). Exit 0: it ran through.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include "group_kernels.hpp"

using namespace grouptest;

namespace {

// Until rank 0 is lost (it left, or went away) or `progress` stands still for long.
bool rank0_lost(const std::function<uint64_t()>& progress) {
  rk_group_peer_state state = RK_GROUP_PEER_CONNECTED;
  return wait_while_moving(
      [&] {
        rk::check(rk_group_peer_state_get(0, &state, nullptr, 0), "peer state");
        return state == RK_GROUP_PEER_LOST;
      },
      progress);
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s both|backpressure|send|receive|die|echo|volley|pulse N REPORT READY\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  const uint64_t n = std::stoull(argv[2]);
  std::ofstream report(argv[3]);
  rk::check(rk_group_join(nullptr, nullptr), "join");
  rk::Runtime runtime("cpu_sim");
  const bool hold_back = mode == "backpressure" || mode == "die";
  rk::Kernel sink = runtime.launch(sink_spec(hold_back ? 2 : 0, !hold_back));
  std::ofstream(argv[4]) << "ready\n";
  if (mode == "die") {
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  if (mode == "echo" || mode == "volley") {
    rk::Kernel echo = runtime.launch(mode == "echo" ? echo_spec() : volley_spec("volley_b", "0/volley_a"));
    bool gone = rank0_lost([] { return group_status().messages_received; });
    report << "rank0_left " << gone << "\nanswered " << echo.telemetry().messages_processed << "\n";
    report.flush();
    rk::check(rk_group_leave(), "leave");
    return 0;
  }
  if (mode == "pulse") {
    rk::Kernel pump = runtime.launch(pump_spec("0/sink"));
    uint64_t next = 0, failed = 0;
    for (rk_group_peer_state state = RK_GROUP_PEER_CONNECTED; state == RK_GROUP_PEER_CONNECTED;) {
      if (pump.request<BurstDone>(Burst{1, next}, 600'000'000'000ull).sent == 1) {
        ++next;
      } else {
        if (failed++ == 0) std::ofstream(std::string(argv[4]) + ".closed") << "closed\n";
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      rk::check(rk_group_peer_state_get(0, &state, nullptr, 0), "peer state");
    }
    report << "sent " << next << "\nfailed " << failed << "\n";
    report.flush();
    rk::check(rk_group_leave(), "leave");
    return 0;
  }
  if (mode == "send") {
    rk::Kernel pump = runtime.launch(pump_spec("0/sink"));
    BurstDone done = pump.request<BurstDone>(Burst{n, 0}, 600'000'000'000ull);
    bool gone = rank0_lost([] { return group_status().messages_acknowledged; });
    rk_group_peer_state state = RK_GROUP_PEER_CONNECTED;
    char why[256] = "";
    rk::check(rk_group_peer_state_get(0, &state, why, sizeof why), "peer state");
    rk_group_status status = group_status();
    report << "sent " << done.sent << "\nfailed " << done.failed << "\nrank0_left " << gone << "\nleft_said_so "
           << (std::string(why).find("it left the group") != std::string::npos) << "\nacknowledged "
           << status.messages_acknowledged << "\nlost " << status.messages_lost << "\n";
    report.flush();
    rk::check(rk_group_leave(), "leave");
    return 0;
  }
  auto got = [&] { return sink.request<Got>(Report{0}); };
  if (mode == "receive") {
    bool gone = rank0_lost([] { return group_status().messages_received; });
    // What rank 0 sent before it left is in our sink's inbox or taken by now; let it finish.
    wait_while_moving([&] { return got().received >= n; }, [&] { return got().received; });
    Got final = got();
    report << "rank0_left " << gone << "\nreceived " << final.received << "\nout_of_order " << final.out_of_order
           << "\n";
    report.flush();
    rk::check(rk_group_leave(), "leave");
    return 0;
  }
  if (mode == "both") {
    rk::Kernel pump = runtime.launch(pump_spec("0/sink"));
    BurstDone done = pump.request<BurstDone>(Burst{n, 0}, 600'000'000'000ull);
    report << "sent " << done.sent << "\nfailed " << done.failed << "\n";
  } else {  // backpressure: every credit used, then take it all
    bool full = wait_while_moving([] { return group_status().messages_held >= 1024; },
                                  [] { return group_status().messages_received; });
    report << "credits_used " << full << "\n";
    sink.activate();
  }
  bool all = wait_while_moving([&] { return got().received >= n; }, [&] { return got().received; });
  // Our pump's last sends may still be in its outbox after it answered: all taken first.
  const uint64_t ours = mode == "both" ? n : 0;
  all &= wait_while_moving([&] { return group_status().messages_acknowledged >= ours; },
                           [] { return group_status().messages_acknowledged; });
  rk_result flushed = rk_group_flush(60'000'000'000ull);
  Got final = got();
  rk_group_status status = group_status();
  report << "all " << all << "\nflushed " << (flushed == RK_SUCCESS) << "\nreceived " << final.received
         << "\nout_of_order " << final.out_of_order << "\nlost " << status.messages_lost << "\ndropped "
         << status.messages_dropped << "\nheld_max " << status.held_max << "\nacknowledged "
         << status.messages_acknowledged << "\n";
  report.flush();
  // Rank 0 leaves first: what it checks (our acknowledgements) arrives while we still run,
  // never only with our close.
  rank0_lost([] { return uint64_t{0}; });
  rk::check(rk_group_leave(), "leave");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "group_peer: %s\n", e.what());
  return 1;
}
