// rk-info: ABI versions, every plugin found (with its status and reason), every device,
// and the backend RINGKERNEL_BACKEND selects. `--json` for scripts. Exits 1 when
// RINGKERNEL_BACKEND names a backend that cannot be used, so scripts and CI see it; with no
// RINGKERNEL_BACKEND, a machine without the default backend is a valid state (exit 0).
#include <cstdio>
#include <cstring>

#include "report.hpp"

namespace {

constexpr const char* kUsage =
    "usage: rk-info [--json] [--help]\n"
    "\n"
    "Lists the ringkernel plugins found (with why each loaded or not), their devices, and\n"
    "the backend that would be selected.\n"
    "\n"
    "  --json   print the same as JSON\n"
    "  --help   print this text\n"
    "\n"
    "Environment:\n"
    "  RINGKERNEL_PLUGIN_PATH  ':'-separated plugin folders searched first\n"
    "  RINGKERNEL_BACKEND      backend to select (default cpu_sim); exit 1 if it cannot be used\n"
    "  RINGKERNEL_LOG_LEVEL    trace|debug|info|warn|error|off (default warn)\n";

}  // namespace

int main(int argc, char** argv) {
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) {
      json = true;
    } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "rk-info: unknown option '%s'\n\n%s", argv[i], kUsage);
      return 2;
    }
  }
  rk_registry registry = nullptr;
  if (rk_registry_default(&registry) != RK_SUCCESS) {
    std::fprintf(stderr, "rk-info: %s\n", rk_last_error());
    return 1;
  }
  const rkinfo::Model model = rkinfo::collect_model(registry);
  if (json) rkinfo::print_json(model);
  else rkinfo::print_text(model);
  if (!model.selection_error.empty() && model.selection_from_env) {
    std::fprintf(stderr, "rk-info: RINGKERNEL_BACKEND=%s: %s\n", model.requested.c_str(), model.selection_error.c_str());
    return 1;
  }
  return 0;
}
