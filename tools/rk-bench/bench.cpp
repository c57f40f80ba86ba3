// The suite registry and the statistics every suite shares.
#include "bench.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace rk::bench {
namespace {

// Function-local, so suites registering from other files' static initialisers find it.
std::vector<Suite>& registry() {
  static std::vector<Suite> all;
  return all;
}

// Nearest-rank percentile of sorted samples, p in [0, 100].
double percentile(const std::vector<double>& sorted, double p) {
  const double rank = std::ceil(p / 100.0 * static_cast<double>(sorted.size()));
  const size_t index = rank < 1.0 ? 0 : static_cast<size_t>(rank) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

}  // namespace

ResultRow& ResultRow::set(const std::string& key, const std::string& value) {
  params.push_back(Param{key, value, false});
  return *this;
}

ResultRow& ResultRow::set(const std::string& key, double value) {
  std::ostringstream text;
  text << value;
  params.push_back(Param{key, text.str(), true});
  return *this;
}

void summarize(ResultRow& row, std::vector<double> samples) {
  row.runs = static_cast<int>(samples.size());
  if (samples.empty()) return;
  std::sort(samples.begin(), samples.end());
  const size_t n = samples.size();
  row.median = n % 2 == 1 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
  row.p99 = percentile(samples, row.higher_is_better ? 1.0 : 99.0);
  row.min = samples.front();
  row.max = samples.back();
}

ResultRow backend_row(const std::string& suite, const std::string& name, const std::string& unit,
                      const std::string& backend, std::vector<double> samples) {
  ResultRow row;
  row.suite = suite;
  row.name = name + " (" + backend + ")";
  row.unit = unit;
  row.higher_is_better = false;
  row.set("backend", backend).set("samples", double(samples.size()));
  summarize(row, std::move(samples));
  return row;
}

void register_suite(const std::string& name, const std::string& description, SuiteFunction run) {
  registry().push_back(Suite{name, description, std::move(run)});
}

const std::vector<Suite>& suites() { return registry(); }

}  // namespace rk::bench
