// rk-bench: runs the registered suites and reports JSON (stdout or --json FILE) plus a
// human-readable table on stderr.
//   rk-bench --suite queue [--quick] [--runs N] [--messages M] [--json FILE]
//   rk-bench --list
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "bench.hpp"
#include "report.hpp"

namespace {

struct CommandLine {
  rk::bench::Options options;
  std::vector<std::string> suites;  // empty: all
  std::string json_path;            // empty: stdout
  bool list = false;
};

[[noreturn]] void usage(int code) {
  std::cerr << "usage: rk-bench [--suite NAME]... [--quick] [--runs N] [--messages M] [--json FILE] [--list]\n";
  std::exit(code);
}

CommandLine parse(int argc, char** argv) {
  CommandLine cl;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(2);
      return argv[++i];
    };
    if (arg == "--suite") cl.suites.push_back(value());
    else if (arg == "--json") cl.json_path = value();
    else if (arg == "--quick") cl.options.quick = true;
    else if (arg == "--runs") cl.options.runs = std::stoi(value());
    else if (arg == "--messages") cl.options.messages = std::stoull(value());
    else if (arg == "--list") cl.list = true;
    else if (arg == "--help" || arg == "-h") usage(0);
    else usage(2);
  }
  return cl;
}

const rk::bench::Suite* find_suite(const std::string& name) {
  for (const auto& suite : rk::bench::suites())
    if (suite.name == name) return &suite;
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--remote-peer") try {  // the remote suite's rank 1
      return rk::bench::remote_peer_main(argv[2]);
    } catch (const std::exception& e) {
      std::cerr << "rk-bench --remote-peer: " << e.what() << "\n";
      return 1;
    }
  CommandLine cl = parse(argc, argv);
  if (cl.list) {
    for (const auto& suite : rk::bench::suites()) std::cout << suite.name << "\t" << suite.description << "\n";
    return 0;
  }
  if (cl.suites.empty())
    for (const auto& suite : rk::bench::suites()) cl.suites.push_back(suite.name);
  std::vector<rk::bench::ResultRow> rows;
  std::vector<rk::bench::SkippedSuite> skipped;
  for (const std::string& name : cl.suites) {
    const rk::bench::Suite* suite = find_suite(name);
    if (suite == nullptr) {
      std::cerr << "rk-bench: unknown suite '" << name << "' (see --list)\n";
      return 2;
    }
    std::cerr << "rk-bench: running suite " << name << "...\n";
    try {
      for (auto& row : suite->run(cl.options)) rows.push_back(std::move(row));
    } catch (const rk::bench::SuiteSkipped& skip) {
      std::cerr << "rk-bench: suite " << name << " skipped: " << skip.what() << "\n";
      skipped.push_back({name, skip.what()});
    } catch (const std::exception& e) {
      // A backend without a device, a kernel that fails to compile or a wrong answer: say
      // which suite and why, and fail, rather than abort with an uncaught exception.
      std::cerr << "rk-bench: suite " << name << " failed: " << e.what() << "\n";
      return 1;
    }
  }
  const rk::bench::Machine machine = rk::bench::describe_machine();
  std::cerr << machine.cpu << ", " << machine.cores << " cores, " << machine.date << "\n";
  rk::bench::write_table(std::cerr, rows);
  if (cl.json_path.empty()) {
    rk::bench::write_json(std::cout, machine, cl.suites, rows, skipped);
    return 0;
  }
  std::ofstream file(cl.json_path);
  rk::bench::write_json(file, machine, cl.suites, rows, skipped);
  if (!file) {
    std::cerr << "rk-bench: cannot write " << cl.json_path << "\n";
    return 1;
  }
  return 0;
}
