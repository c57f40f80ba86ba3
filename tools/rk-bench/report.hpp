// How rk-bench results leave the program: JSON for machines, a table for people.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "bench.hpp"

namespace rk::bench {

struct Machine {
  std::string cpu;       // /proc/cpuinfo "model name"
  unsigned cores = 0;    // hardware threads the process may use
  std::string date;      // UTC, ISO 8601
  std::string compiler;  // what built rk-bench
};

Machine describe_machine();
// A suite that could not run here, and why (SuiteSkipped).
struct SkippedSuite {
  std::string suite;
  std::string reason;
};

void write_json(std::ostream& out, const Machine& machine, const std::vector<std::string>& suites,
                const std::vector<ResultRow>& rows, const std::vector<SkippedSuite>& skipped);
void write_table(std::ostream& out, const std::vector<ResultRow>& rows);

}  // namespace rk::bench
