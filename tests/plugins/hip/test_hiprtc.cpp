// The HIP source the plugin generates compiles with hiprtc for gfx90a and gfx942 — no GPU
// needed. The test builds the plugin's hiprtc.cpp and prelude itself (the plugin exports one
// symbol). A target this hiprtc cannot build SKIPs with comgr's reason.
#include <string>

#include <catch2/catch_test_macros.hpp>

#include "hiprtc.hpp"
#include "ring_source.hpp"

namespace {

using rk::test::kEchoHandler;
using rk::test::ring_source;

// Skips (with hiprtc's absence as the reason) where no HIP runtime is installed.
void require_hiprtc() {
  std::string reason;
  if (!rk::hip::load_hiprtc(reason)) SKIP(reason);
}

// Skips with the exact reason where this hiprtc cannot target `arch`.
void require_target(const char* arch) {
  require_hiprtc();
  if (std::string why = rk::hip::check_target(arch); !why.empty()) SKIP(why);
}

rk::hip::HiprtcResult compile_for(const char* arch, const std::string& user, const char* name) {
  rk::hip::HiprtcResult out;
  std::string error;
  rk_result r = rk::hip::hiprtc_compile(rk::hip::dialect_source(user), rk::hip::default_options(arch), name, out, error);
  INFO(error);
  REQUIRE(r == RK_SUCCESS);
  return out;
}

bool is_elf(const std::string& image) { return image.size() > 4 && image.compare(0, 4, "\x7f" "ELF") == 0; }


}  // namespace

TEST_CASE("hiprtc is found and lists its targets", "[hip][hiprtc]") {
  require_hiprtc();
  std::string reason;
  auto targets = rk::hip::supported_targets(reason);
  INFO(rk::hip::hiprtc_identity() << "; " << reason);
  if (targets.empty()) SKIP("amd_comgr's ISA list cannot be read: " << reason);
  CHECK(rk::hip::check_target("gfx90a:sramecc+:xnack-") == "");  // features are not part of the ISA name
  CHECK(rk::hip::check_target("gfx9999").find("cannot target gfx9999") != std::string::npos);
}

TEST_CASE("every prelude name compiles for gfx90a", "[hip][hiprtc][prelude]") {
  require_target("gfx90a");
  auto out = compile_for("gfx90a", rk::test::every_prelude_name_source("RK_DIALECT_HIP"), "all_names");
  CHECK(is_elf(out.image));
}

TEST_CASE("the ring loop with an echo handler compiles for gfx90a", "[hip][hiprtc][ring]") {
  require_target("gfx90a");
  auto out = compile_for("gfx90a", ring_source(kEchoHandler), "echo_ring");
  CHECK(is_elf(out.image));  // an AMDGPU code object for hipModuleLoadData
  for (const char* kernel : {"rk_ring_main", "rk_hip_read_wall_clock", "rk_hip_set_clock_offset"}) {
    INFO(kernel);
    CHECK(out.image.find(kernel) != std::string::npos);
  }
  INFO(out.log);
  CHECK(out.log.find("warning") == std::string::npos);  // the prelude and ring loop build clean
}

TEST_CASE("the ring loop with every option compiles for gfx90a", "[hip][hiprtc][ring][trace]") {
  require_target("gfx90a");
  auto out = compile_for("gfx90a", rk::test::ring_source_with_every_option(), "traced_ring");
  CHECK(is_elf(out.image));
  INFO(out.log);
  CHECK(out.log.find("warning") == std::string::npos);
}

// The payload copy between two slots goes through rk_copy_in_words (RK_COPY_IN_WORDS) here
// as on CUDA, where test_nvrtc checks the 16-byte loads and stores in the PTX.
TEST_CASE("the ring loop with a reply from the request's slot compiles for gfx90a", "[hip][hiprtc][ring]") {
  require_target("gfx90a");
  auto out = compile_for("gfx90a", ring_source(rk::test::kSlotEchoHandler), "slot_echo_ring");
  CHECK(is_elf(out.image));
  INFO(out.log);
  CHECK(out.log.find("warning") == std::string::npos);
}

TEST_CASE("the ring loop with an echo handler compiles for gfx942", "[hip][hiprtc][ring]") {
  require_target("gfx942");
  auto out = compile_for("gfx942", ring_source(kEchoHandler), "echo_ring");
  CHECK(is_elf(out.image));
  CHECK(out.image.find("rk_ring_main") != std::string::npos);
}

TEST_CASE("a target hiprtc cannot build is refused before hiprtc sees it", "[hip][hiprtc]") {
  require_hiprtc();
  // ROCm 5.2's hiprtc aborts the process on an unknown target; the check must come first.
  std::string reason;
  if (rk::hip::supported_targets(reason).empty()) SKIP("amd_comgr's ISA list cannot be read: " << reason);
  rk::hip::HiprtcResult out;
  std::string error;
  rk_result r = rk::hip::hiprtc_compile(rk::hip::dialect_source(rk::test::every_prelude_name_source("RK_DIALECT_HIP")), rk::hip::default_options("gfx9999"),
                                        "unknown_target", out, error);
  INFO(error);
  CHECK(r == RK_ERROR_UNSUPPORTED);
  CHECK(error.find("cannot target gfx9999") != std::string::npos);
}

TEST_CASE("a broken source fails with hiprtc's log", "[hip][hiprtc]") {
  require_target("gfx90a");
  std::string user = std::string(kEchoHandler) + "\nRK_INLINE int32_t oops(void) { return not_declared_anywhere; }\n";
  rk::hip::HiprtcResult out;
  std::string error;
  rk_result r = rk::hip::hiprtc_compile(rk::hip::dialect_source(ring_source(user)), rk::hip::default_options("gfx90a"),
                                        "broken", out, error);
  INFO(error);
  CHECK(r == RK_ERROR_COMPILE_FAILED);
  CHECK(error.find("not_declared_anywhere") != std::string::npos);
  CHECK(out.log.find("user_source") != std::string::npos);  // #line points into the user's text
}
