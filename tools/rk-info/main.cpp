// rk-info: ABI versions, every plugin found (with its status and reason), every device,
// and the backend RINGKERNEL_BACKEND selects. `--json` for scripts. Exits 1 when the
// selected backend cannot be used, so scripts and CI see it.
#include <cstdio>
#include <cstring>
#include <string>

#include "report.hpp"

int main(int argc, char** argv) {
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) {
      json = true;
    } else {
      std::printf("usage: rk-info [--json]\n\nLists ringkernel plugins and devices. Environment: RINGKERNEL_PLUGIN_PATH,\n"
                  "RINGKERNEL_BACKEND, RINGKERNEL_LOG_LEVEL.\n");
      return std::strcmp(argv[i], "--help") == 0 ? 0 : 2;
    }
  }
  rk_registry registry = nullptr;
  if (rk_registry_default(&registry) != RK_SUCCESS) {
    std::fprintf(stderr, "rk-info: %s\n", rk_last_error());
    return 1;
  }
  rkinfo::Report report = rkinfo::gather(registry);
  if (json) rkinfo::print_json(report);
  else rkinfo::print_text(report);
  if (!report.selection_error.empty()) {
    std::fprintf(stderr, "rk-info: %s\n", report.selection_error.c_str());
    return 1;
  }
  return 0;
}
