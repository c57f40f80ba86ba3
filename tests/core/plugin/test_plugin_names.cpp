// rk_plugin_reason_name / rk_plugin_outcome_name: the stable names rk-info prints and
// scripts match on. Every enum value has its own; anything else is "unknown", never NULL.
#include <cctype>
#include <set>
#include <string>

#include <catch2/catch_test_macros.hpp>

#include "ringkernel.h"

namespace {

bool is_lowercase_name(const std::string& name) {
  for (char c : name)
    if (!(std::islower(static_cast<unsigned char>(c)) || c == '_')) return false;
  return !name.empty();
}

}  // namespace

TEST_CASE("every plugin reason has its own lowercase name", "[discovery][names]") {
  std::set<std::string> seen;
  for (int value = RK_PLUGIN_REASON_UNDEFINED; value <= RK_PLUGIN_REASON_DUPLICATE; ++value) {
    std::string name = rk_plugin_reason_name(static_cast<rk_plugin_reason>(value));
    INFO("reason " << value << " is named '" << name << "'");
    CHECK(is_lowercase_name(name));
    CHECK(name != "unknown");
    CHECK(seen.insert(name).second);
  }
}

TEST_CASE("plugin reason names are the ones rk-info has always printed", "[discovery][names]") {
  CHECK(std::string(rk_plugin_reason_name(RK_PLUGIN_REASON_UNDEFINED)) == "undefined");
  CHECK(std::string(rk_plugin_reason_name(RK_PLUGIN_REASON_OK)) == "ok");
  CHECK(std::string(rk_plugin_reason_name(RK_PLUGIN_REASON_NO_DEVICES)) == "no_devices");
  CHECK(std::string(rk_plugin_reason_name(RK_PLUGIN_REASON_NOT_INSTALLED)) == "not_installed");
  CHECK(std::string(rk_plugin_reason_name(RK_PLUGIN_REASON_MISSING_DEPENDENCY)) == "missing_dependency");
  CHECK(std::string(rk_plugin_reason_name(RK_PLUGIN_REASON_MISSING_SYMBOL)) == "missing_symbol");
  CHECK(std::string(rk_plugin_reason_name(RK_PLUGIN_REASON_ABI_MISMATCH)) == "abi_mismatch");
  CHECK(std::string(rk_plugin_reason_name(RK_PLUGIN_REASON_INIT_FAILED)) == "init_failed");
  CHECK(std::string(rk_plugin_reason_name(RK_PLUGIN_REASON_NOT_A_PLUGIN)) == "not_a_plugin");
  CHECK(std::string(rk_plugin_reason_name(RK_PLUGIN_REASON_DUPLICATE)) == "duplicate");
}

TEST_CASE("a plugin reason outside the enum is named unknown", "[discovery][names]") {
  CHECK(std::string(rk_plugin_reason_name(static_cast<rk_plugin_reason>(RK_PLUGIN_REASON_DUPLICATE + 1))) == "unknown");
  CHECK(std::string(rk_plugin_reason_name(static_cast<rk_plugin_reason>(9999))) == "unknown");
  CHECK(std::string(rk_plugin_reason_name(RK_PLUGIN_REASON_FORCE32)) == "unknown");
}

TEST_CASE("plugin outcomes are named, unknown ones too", "[discovery][names]") {
  CHECK(std::string(rk_plugin_outcome_name(RK_PLUGIN_OUTCOME_UNDEFINED)) == "undefined");
  CHECK(std::string(rk_plugin_outcome_name(RK_PLUGIN_LOADED)) == "loaded");
  CHECK(std::string(rk_plugin_outcome_name(RK_PLUGIN_REJECTED)) == "rejected");
  CHECK(std::string(rk_plugin_outcome_name(static_cast<rk_plugin_outcome>(3))) == "unknown");
  CHECK(std::string(rk_plugin_outcome_name(RK_PLUGIN_OUTCOME_FORCE32)) == "unknown");
}
