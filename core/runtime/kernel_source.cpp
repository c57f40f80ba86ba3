#include "runtime/kernel_source.hpp"

#include "dialect/embedded.hpp"
#include "runtime/kernel_config.hpp"

namespace rk::core {
namespace {

// The embedded headers include each other for host builds; in the assembled string every
// piece is already present, and a backend compiler has no include path to find them.
void append_without_includes(std::string& out, std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    size_t first = line.find_first_not_of(" \t");
    bool is_include = first != std::string_view::npos && line.substr(first).starts_with("#include");
    if (!is_include) out.append(line);
    out.push_back('\n');
    pos = end + 1;
  }
}

}  // namespace

std::string assemble_ring_source(std::string_view user_source, const KernelConfig& config) {
  std::string source;
  source.reserve(64 * 1024 + user_source.size());
  if (config.trace) source += "#define RK_TRACE 1\n";
  // No ll suffix: OpenCL C has no long long; a decimal literal this large is a long there.
  if (config.idle_exit_ns) source += "#define RK_IDLE_EXIT_NS ((int64_t)" + std::to_string(config.idle_exit_ns) + ")\n";
  if (config.relaunch_copy) source += "#define RK_RELAUNCH_COPY 1\n";
  if (config.max_run_ns) source += "#define RK_MAX_RUN_NS ((int64_t)" + std::to_string(config.max_run_ns) + ")\n";
  for (const char* part : {embedded::rk_result, embedded::rk_ring_layout, embedded::rk_queue_ops,
                           embedded::rk_hlc_ops, embedded::rk_trace, embedded::rk_ring_context, embedded::rk_k2k}) {
    append_without_includes(source, part);
  }
  source += "\n/* ---- user source ---- */\n#line 1 \"user_source\"\n";
  source.append(user_source);
  source += "\n/* ---- ring loop ---- */\n";
  append_without_includes(source, embedded::rk_ring_loop);
  return source;
}

}  // namespace rk::core
