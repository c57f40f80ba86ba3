// The CUDA source the plugin generates compiles with NVRTC for sm_90 — no GPU needed. The
// test builds the plugin's nvrtc.cpp and prelude itself (the plugin exports one symbol).
#include <string>

#include <catch2/catch_test_macros.hpp>

#include "nvrtc.hpp"
#include "ring_source.hpp"

namespace {

using rk::test::kEchoHandler;
using rk::test::ring_source;

std::string read_file(const std::string& relative) { return rk::test::read_source_file(relative); }

// Skips (with NVRTC's absence as the reason) where the toolkit is not installed.
void require_nvrtc() {
  std::string reason;
  if (rk::cuda::load_nvrtc(reason) == nullptr) SKIP(reason);
}

rk::cuda::NvrtcResult compile_sm90(const std::string& user, const char* name) {
  rk::cuda::NvrtcResult out;
  std::string error;
  rk_result r = rk::cuda::nvrtc_compile(rk::cuda::dialect_source(user), rk::cuda::default_options("sm_90"), name, out,
                                        error);
  INFO(error);
  REQUIRE(r == RK_SUCCESS);
  return out;
}

}  // namespace

TEST_CASE("NVRTC is found and targets sm_90", "[cuda][nvrtc]") {
  require_nvrtc();
  INFO("NVRTC " << rk::cuda::nvrtc_version());
  std::string reason;
  CHECK(rk::cuda::pick_target(9, 0, reason) == "sm_90");
  // A future architecture falls back to the newest PTX target this NVRTC knows.
  CHECK(rk::cuda::pick_target(99, 0, reason).rfind("compute_", 0) == 0);
}

TEST_CASE("a dialect vector add compiles to a CUBIN for sm_90", "[cuda][nvrtc]") {
  require_nvrtc();
  auto out = compile_sm90(R"(
RK_KERNEL void vector_add(rk_global const float* a, rk_global const float* b, rk_global float* c, uint32_t n) {
  uint32_t i = rk_block_idx(0) * rk_block_dim(0) + rk_thread_idx(0);
  if (i < n) c[i] = a[i] + b[i];
}
)",
                          "vector_add");
  CHECK(out.cubin);
  CHECK(out.image.size() > 4);
  CHECK(out.image.compare(0, 4, "\x7f" "ELF") == 0);  // a CUBIN is an ELF file
}

TEST_CASE("every prelude name compiles for sm_90", "[cuda][nvrtc][prelude]") {
  require_nvrtc();
  compile_sm90(rk::test::every_prelude_name_source("RK_DIALECT_CUDA"), "all_names");
}

TEST_CASE("the ring loop with an echo handler compiles for sm_90", "[cuda][nvrtc][ring]") {
  require_nvrtc();
  auto out = compile_sm90(ring_source(kEchoHandler), "echo_ring");
  CHECK(out.cubin);
  INFO(out.log);
  CHECK(out.log.find("warning") == std::string::npos);  // the prelude and ring loop build clean
}

TEST_CASE("the ring loop with every option compiles for sm_90", "[cuda][nvrtc][ring][trace]") {
  require_nvrtc();
  auto out = compile_sm90(rk::test::ring_source_with_every_option(), "traced_ring");
  CHECK(out.cubin);
  INFO(out.log);
  CHECK(out.log.find("warning") == std::string::npos);
}

TEST_CASE("the pipeline example's kernels compile for sm_90", "[cuda][nvrtc][ring]") {
  require_nvrtc();
  std::string messages = read_file("examples/pipeline/pipeline_messages.h");
  for (const char* kernel : {"parse_kernel", "aggregate_kernel", "alert_kernel"}) {
    INFO(kernel);
    std::string user = messages + "\n" + read_file(std::string("examples/pipeline/") + kernel + ".rkc");
    auto out = compile_sm90(ring_source(user), kernel);
    CHECK(out.cubin);
    CHECK(out.log == "");
  }
}

TEST_CASE("a broken source fails with NVRTC's log", "[cuda][nvrtc]") {
  require_nvrtc();
  std::string user = std::string(kEchoHandler) + "\nRK_INLINE int32_t oops(void) { return not_declared_anywhere; }\n";
  rk::cuda::NvrtcResult out;
  std::string error;
  rk_result r = rk::cuda::nvrtc_compile(rk::cuda::dialect_source(ring_source(user)),
                                        rk::cuda::default_options("sm_90"), "broken", out, error);
  INFO(error);
  CHECK(r == RK_ERROR_COMPILE_FAILED);
  CHECK(error.find("not_declared_anywhere") != std::string::npos);
  CHECK(out.log.find("user_source") != std::string::npos);  // #line points into the user's text
}

// An echo that replies straight from the request's slot, as users write it: the payload
// copy between two host-mapped slots goes in 16-byte words (RK_COPY_IN_WORDS), not one
// bus access per byte (docs/dialect.md; 2 us a round trip on an H200).
TEST_CASE("a reply from the request's slot copies in 16-byte words", "[cuda][nvrtc][ring]") {
  require_nvrtc();
  rk::cuda::NvrtcResult out;
  std::string error;
  REQUIRE(rk::cuda::nvrtc_compile(rk::cuda::dialect_source(ring_source(rk::test::kSlotEchoHandler)),
                                  rk::cuda::default_options("compute_90"), "slot_echo_ptx", out, error) == RK_SUCCESS);
  INFO(out.log);
  CHECK(out.image.find("ld.v2.u64") != std::string::npos);
  CHECK(out.image.find("st.v2.u64") != std::string::npos);
}

TEST_CASE("host-shared atomics are system-scope PTX", "[cuda][nvrtc][prelude]") {
  require_nvrtc();
  rk::cuda::NvrtcResult out;
  std::string error;
  REQUIRE(rk::cuda::nvrtc_compile(rk::cuda::dialect_source(ring_source(kEchoHandler)),
                                  rk::cuda::default_options("compute_90"), "echo_ptx", out, error) == RK_SUCCESS);
  CHECK_FALSE(out.cubin);
  // No fence.sc.sys: GPU ring loops poll (RK_CAN_PARK 0), so the message path has no fence.
  for (const char* instruction : {"ld.acquire.sys", "st.release.sys", "atom.acq_rel.sys.add", "%globaltimer",
                                  "nanosleep", "bar.sync"}) {
    INFO(instruction);
    CHECK(out.image.find(instruction) != std::string::npos);
  }
}
