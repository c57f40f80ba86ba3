// `rk-info --json` over the fixture plugins, run as a user would: the output must parse as
// JSON and carry, for each plugin, the same reason name the C API gives.
#include <cstdio>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "discovery_support.hpp"

using namespace discovery_test;

namespace {

std::string run_rk_info_json() {
  ScopedEnv path("RINGKERNEL_PLUGIN_PATH", FIXTURE_DIR);
  ScopedEnv backend("RINGKERNEL_BACKEND", nullptr);  // exit 0, whatever the caller's shell says
  ScopedEnv log("RINGKERNEL_LOG_LEVEL", "off");       // log lines go to stderr anyway; keep stdout pure
  FILE* pipe = popen("\"" RK_INFO_PATH "\" --json", "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0;) out.append(buffer, n);
  REQUIRE(pclose(pipe) == 0);
  return out;
}

const nlohmann::json* plugin_named(const nlohmann::json& report, const std::string& name) {
  for (const nlohmann::json& plugin : report.at("plugins"))
    if (plugin.at("name") == name) return &plugin;
  return nullptr;
}

}  // namespace

TEST_CASE("rk-info --json parses and names the reason of every plugin", "[rk-info][discovery]") {
  const nlohmann::json report = nlohmann::json::parse(run_rk_info_json());
  CHECK(report.at("version") == rk_version_string());
  CHECK(report.at("abi").at("major") == rk_abi_major());
  CHECK(report.at("abi").at("minor") == rk_abi_minor());
  CHECK(contains(report.at("search_path").get<std::string>(), FIXTURE_DIR));
  CHECK(report.at("requested") == "cpu_sim");
  CHECK(report.at("requested_from_env") == false);
  CHECK(report.at("devices").is_array());
  CHECK(report.contains("selected"));
  CHECK(report.contains("selection_error"));

  const std::map<std::string, std::pair<std::string, std::string>> expected = {
      {"fixture_good", {"loaded", "ok"}},
      {"fixture_no_devices", {"loaded", "no_devices"}},
      {"fixture_needs_dep", {"rejected", "missing_dependency"}},
      {"fixture_no_entry", {"rejected", "missing_symbol"}},
      {"fixture_wrong_major", {"rejected", "abi_mismatch"}},
      {"fixture_init_fails", {"rejected", "init_failed"}},
      {"garbage", {"rejected", "not_a_plugin"}},
  };
  for (const auto& [name, outcome_and_reason] : expected) {
    INFO("plugin " << name);
    const nlohmann::json* plugin = plugin_named(report, name);
    REQUIRE(plugin != nullptr);
    CHECK(plugin->at("outcome") == outcome_and_reason.first);
    CHECK(plugin->at("reason") == outcome_and_reason.second);
    for (const char* key : {"abi", "devices", "caps", "path", "detail"}) CHECK(plugin->contains(key));
  }
}
