// The table header, probe and what the device reports.
#include <cstdlib>
#include <string>

#include "opencl_fixture.hpp"

using namespace opencl_test;

TEST_CASE("the table names opencl and the ABI it was built for", "[opencl][device]") {
  const rk_backend_table& t = table();
  CHECK(t.struct_size == sizeof(rk_backend_table));
  CHECK(t.abi_major == RK_PLUGIN_ABI_MAJOR);
  CHECK(std::string(t.name) == "opencl");
  CHECK((t.caps & RK_CAP_ASYNC_COPY) != 0);
  CHECK((t.caps & RK_CAP_HOST_WAKEUP) == 0);        // only some devices' code can (PoCL's CPU device, below)
  CHECK((t.caps & RK_CAP_DEVICE_MEMORY_MAP) == 0);  // cl_mem buffers are not mapped
}

TEST_CASE("probe reports a device, or 0 devices and why", "[opencl][device]") {
  uint32_t count = 0;
  REQUIRE(table().probe(&count) == RK_SUCCESS);
  CHECK(table().probe(nullptr) == RK_ERROR_INVALID_ARGUMENT);
  if (count == 0) {
    std::string reason = last_error();
    CHECK_FALSE(reason.empty());  // "libOpenCL.so.1 not found ...", "no OpenCL platform ..."
    SKIP("no OpenCL device: " << reason);
  }
  const rk_device_info& info = require_device();
  INFO("device 0: " << info.name << " / " << info.vendor << " / " << info.driver_version);
  CHECK(info.index == 0);
  CHECK(std::string(info.name).size() > 0);
  CHECK(std::string(info.driver_version).size() > 0);
  CHECK(info.global_memory_bytes > 0);
  CHECK(info.compute_units >= 1);
  CHECK(info.max_block_size >= 1);
  CHECK((info.caps & RK_CAP_ASYNC_COPY) != 0);
  rk_device_info missing{};
  missing.struct_size = sizeof(missing);
  CHECK(table().get_device_info(count, &missing) == RK_ERROR_INVALID_ARGUMENT);
}

// CI installs PoCL; when its CPU device is present it must be the one we run on, with the
// persistent-kernel capabilities that fine-grained SVM atomics give it.
TEST_CASE("PoCL's CPU device offers persistent ring kernels", "[opencl][device]") {
  const rk_device_info& info = require_device();
  std::string name = info.name;
  if (name.find("pthread") == std::string::npos && name.find("cpu") == std::string::npos)
    SKIP("device 0 is '" << name << "', not PoCL's CPU device");
  const uint64_t ring = RK_CAP_PERSISTENT_KERNELS | RK_CAP_HOST_COHERENT | RK_CAP_K2K | RK_CAP_COOPERATIVE_LAUNCH;
  CHECK((info.caps & ring) == ring);
  CHECK(info.max_shared_memory_bytes == 0);  // dynamic shared memory is not offered
#if defined(__x86_64__) && defined(__linux__)
  // Its work-groups are host threads: idle ring kernels park on futexes and wake the host.
  const char* choice = std::getenv("RINGKERNEL_OPENCL_HOST_FUTEX");
  const bool turned_off = choice != nullptr && std::string(choice) == "0";
  CHECK(((info.caps & RK_CAP_HOST_WAKEUP) != 0) != turned_off);
#endif
}

TEST_CASE("a context and a stream can be made and released", "[opencl][device]") {
  require_device();
  rk_backend_context c = nullptr;
  REQUIRE(table().context_create(0, &c) == RK_SUCCESS);
  rk_backend_stream s = nullptr;
  REQUIRE(table().stream_create(c, &s) == RK_SUCCESS);
  CHECK(table().stream_query(s) == RK_SUCCESS);  // nothing queued
  CHECK(table().stream_synchronize(s) == RK_SUCCESS);
  CHECK(table().stream_destroy(s) == RK_SUCCESS);
  CHECK(table().context_destroy(c) == RK_SUCCESS);
  CHECK(table().context_create(9999, &c) == RK_ERROR_INVALID_ARGUMENT);
}
