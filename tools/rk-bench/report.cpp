#include "report.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <thread>

namespace rk::bench {
namespace {

std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
  }
  return "unknown";
}

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

void write_row(std::ostream& out, const ResultRow& row) {
  out << "    {\"suite\": " << quoted(row.suite) << ", \"name\": " << quoted(row.name) << ", \"unit\": " << quoted(row.unit)
      << ", \"better\": " << quoted(row.higher_is_better ? "higher" : "lower") << ", \"median\": " << row.median
      << ", \"p99\": " << row.p99 << ", \"min\": " << row.min << ", \"max\": " << row.max << ", \"runs\": " << row.runs
      << ", \"params\": {";
  for (size_t i = 0; i < row.params.size(); ++i) {
    const Param& p = row.params[i];
    out << (i ? ", " : "") << quoted(p.key) << ": " << (p.is_number ? p.value : quoted(p.value));
  }
  out << "}}";
}

}  // namespace

Machine describe_machine() {
  return Machine{cpu_model(), std::thread::hardware_concurrency(), utc_now(), "g++ " __VERSION__};
}

void write_json(std::ostream& out, const Machine& machine, const std::vector<std::string>& suites,
                const std::vector<ResultRow>& rows, const std::vector<SkippedSuite>& skipped) {
  out << std::setprecision(6) << "{\n  \"tool\": \"rk-bench\",\n  \"date\": " << quoted(machine.date)
      << ",\n  \"machine\": {\"cpu\": " << quoted(machine.cpu) << ", \"cores\": " << machine.cores
      << ", \"compiler\": " << quoted(machine.compiler) << "},\n  \"suites\": [";
  for (size_t i = 0; i < suites.size(); ++i) out << (i ? ", " : "") << quoted(suites[i]);
  out << "],\n  \"skipped\": [";
  for (size_t i = 0; i < skipped.size(); ++i)
    out << (i ? ", " : "") << "{\"suite\": " << quoted(skipped[i].suite) << ", \"reason\": " << quoted(skipped[i].reason) << "}";
  out << "],\n  \"results\": [\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    write_row(out, rows[i]);
    out << (i + 1 < rows.size() ? ",\n" : "\n");
  }
  out << "  ]\n}\n";
}

void write_table(std::ostream& out, const std::vector<ResultRow>& rows) {
  // Numbers get a leading space of their own so a wide value never runs into its neighbour.
  auto number = [&out](double value) { out << ' ' << std::setw(13) << value; };
  int name_width = 34;
  for (const ResultRow& row : rows) name_width = std::max(name_width, int(row.name.size()) + 1);
  out << std::left << std::setw(10) << "suite" << std::setw(name_width) << "name" << std::right;
  for (const char* head : {"median", "p99", "min", "max"}) out << ' ' << std::setw(13) << head;
  out << std::setw(7) << "runs" << "  unit\n";
  out << std::fixed << std::setprecision(2);
  for (const ResultRow& row : rows) {
    out << std::left << std::setw(10) << row.suite << std::setw(name_width) << row.name << std::right;
    for (double value : {row.median, row.p99, row.min, row.max}) number(value);
    out << ' ' << std::setw(6) << row.runs << "  " << row.unit << "\n";
  }
  out << std::defaultfloat;
}

}  // namespace rk::bench
