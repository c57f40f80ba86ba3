// rk-trace-check FILE [KERNEL,KERNEL,...]: checks a message trace the way a viewer reads it
// (chrome_trace.hpp) and counts what it shows. With a kernel path, also counts the host
// sends whose flows go through those kernels, in order, and back to a host receive.
// Exit 0 when valid, 1 with each problem on stderr, 2 on bad arguments.
#include <cstdio>
#include <sstream>

#include "chrome_trace.hpp"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s TRACE.json [KERNEL,KERNEL,...]\n", argv[0]);
    return 2;
  }
  std::vector<std::string> problems;
  rk::test::ChromeTrace trace = rk::test::read_chrome_trace(argv[1], problems);
  for (const std::string& problem : problems) std::fprintf(stderr, "%s: %s\n", argv[1], problem.c_str());
  if (!problems.empty()) return 1;
  size_t slices = 0;
  for (const auto& [tid, track] : trace.slices) slices += track.size();
  std::printf("valid: %zu slices on %zu tracks, %zu flows, %s records dropped\n", slices, trace.slices.size(),
              trace.flows.size(), trace.document["otherData"].value("dropped", nlohmann::json(0)).dump().c_str());
  if (argc == 3) {
    std::vector<uint32_t> path;
    std::string names = "host";
    std::istringstream list(argv[2]);
    for (std::string name; std::getline(list, name, ',');) {
      bool found = false;
      for (const auto& [tid, thread] : trace.thread_names)
        if (thread == "kernel " + name) {
          path.push_back(tid);
          found = true;
        }
      if (!found) {
        std::fprintf(stderr, "%s: no track for kernel '%s'\n", argv[1], name.c_str());
        return 1;
      }
      std::printf("flows into %s: %zu\n", name.c_str(), rk::test::flows_into(trace, path.back()));
      names += " -> " + name;
    }
    std::printf("chains %s -> host: %zu\n", names.c_str(), rk::test::complete_chains(trace, path));
  }
  return 0;
}
