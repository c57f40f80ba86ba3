// The ring layout as the host sees it at run time (the header's static checks cover the
// offsets at compile time; these cover what the core's C API reports about it).
#include <catch2/catch_test_macros.hpp>
#include <cstddef>
#include <string>

#include "ringkernel.h"
#include "rk_transport.h"

TEST_CASE("ring layout sizes and alignment", "[abi]") {
  CHECK(sizeof(rk_control_block) == 128);
  CHECK(alignof(rk_control_block) == 128);
  CHECK(sizeof(rk_telemetry) == 64);
  CHECK(alignof(rk_telemetry) == 64);
  CHECK(sizeof(rk_msg_header) == RK_MSG_HEADER_SIZE);
  CHECK(offsetof(rk_queue_header, tail) - offsetof(rk_queue_header, head) == 128);  // own cache lines
  CHECK(sizeof(rk_k2k_route) == 32);
}

TEST_CASE("the library reports the ABI it was built with", "[abi]") {
  CHECK(rk_abi_major() == RK_PLUGIN_ABI_MAJOR);
  CHECK(rk_abi_minor() == RK_PLUGIN_ABI_MINOR);
  CHECK(std::string(rk_result_name(RK_ERROR_QUEUE_FULL)) == "RK_ERROR_QUEUE_FULL");
  CHECK(std::string(rk_result_name(static_cast<rk_result>(9999))) == "RK_ERROR_UNKNOWN_CODE");
}

TEST_CASE("plugin ABI 1.1: the host services grow by idle_assist, appended", "[abi]") {
  CHECK(RK_PLUGIN_ABI_MINOR >= 1u);
  CHECK(offsetof(rk_host_services, clock_ns) == 32);
  CHECK(offsetof(rk_host_services, idle_assist) == offsetof(rk_host_services, clock_ns) + sizeof(void*));
  CHECK(sizeof(rk_host_services) >= offsetof(rk_host_services, idle_assist) + sizeof(void*));
}

TEST_CASE("plugin ABI 1.2: the host services grow by kernel_idle_assist, appended", "[abi]") {
  CHECK(RK_PLUGIN_ABI_MINOR >= 2u);
  CHECK(offsetof(rk_host_services, kernel_idle_assist) == offsetof(rk_host_services, idle_assist) + sizeof(void*));
  CHECK(sizeof(rk_host_services) == offsetof(rk_host_services, kernel_idle_assist) + sizeof(void*));
}

TEST_CASE("tables only grow: the 1.0 header comes first", "[abi]") {
  CHECK(offsetof(rk_backend_table, struct_size) == 0);
  CHECK(offsetof(rk_backend_table, abi_major) == 4);
  CHECK(offsetof(rk_backend_table, abi_minor) == 8);
  CHECK(offsetof(rk_backend_table, name) == 16);
  CHECK(offsetof(rk_backend_table, caps) == 24);
  CHECK(offsetof(rk_backend_table, probe) == 32);
}

TEST_CASE("layouts 4 to 7: the stop values, what the loop reports, histograms, traces", "[abi]") {
  CHECK(RK_RING_LAYOUT_VERSION == 7);
  CHECK(RK_STOP_NONE == 0);
  CHECK(RK_STOP_DRAIN == 1);  // what 0.1's terminate wrote
  CHECK(RK_STOP_PARK == 2);
  CHECK(RK_TERMINATED_RELAUNCHABLE == 2);
  CHECK((RK_CAP_LOAD_WAITS_FOR_KERNELS & (RK_CAP_PERSISTENT_KERNELS | RK_CAP_HOST_COHERENT | RK_CAP_K2K |
                                          RK_CAP_ASYNC_COPY | RK_CAP_COOPERATIVE_LAUNCH | RK_CAP_DEVICE_MEMORY_MAP |
                                          RK_CAP_HOST_WAKEUP)) == 0);
  CHECK(offsetof(rk_kernel_status, relaunches) == offsetof(rk_kernel_status, late_replies) + 8);  // appended
  CHECK(offsetof(rk_ring_env, handling_message_id) == 224);  // in what was padding
  CHECK(offsetof(rk_ring_env, histograms_ptr) == 240);       // layout 6, in what was padding
  CHECK(sizeof(rk_ring_env) == 256);
  CHECK(sizeof(rk_latency_histograms) == 704);
  CHECK(offsetof(rk_latency_histograms, handler) == 16 + 8 * RK_LATENCY_BUCKETS);
  CHECK(offsetof(rk_kernel_latency, queueing) == 32);  // appended fields only from here on
  CHECK(offsetof(rk_ring_env, trace_ptr) == 248);        // layout 7, the last padding
  CHECK(sizeof(rk_trace_record) == 64);
  CHECK(sizeof(rk_trace_ring) == 256);
  CHECK(offsetof(rk_trace_ring, head) == 128);  // the host's line, apart from the kernel's
  CHECK(offsetof(rk_kernel_options, trace_capacity) == offsetof(rk_kernel_options, k2k_send_timeout_ns) + 8);  // appended
  CHECK(offsetof(rk_kernel_status, trace_records) == offsetof(rk_kernel_status, relaunches) + 8);            // appended
  CHECK(offsetof(rk_kernel_status, resident) == offsetof(rk_kernel_status, trace_dropped) + 8);             // appended
  CHECK(offsetof(rk_kernel_options, idle_exit_ns) == offsetof(rk_kernel_options, trace_capacity) + 8);      // appended
  CHECK(offsetof(rk_kernel_options, max_run_ns) == offsetof(rk_kernel_options, idle_exit_ns) + 8);
  CHECK(RK_KERNEL_TRACE == 0x2u);
}

TEST_CASE("API 1.3: supervision and snapshots append to the status and options, add a state and a result", "[abi]") {
  CHECK(offsetof(rk_kernel_status, stalled) == offsetof(rk_kernel_status, resident) + 4);  // was reserved2
  CHECK(offsetof(rk_kernel_status, stalls) == offsetof(rk_kernel_status, resident) + 8);   // appended
  CHECK(offsetof(rk_kernel_status, restart_failures) == offsetof(rk_kernel_status, stalls) + 24);
  CHECK(RK_KERNEL_FAULTED == 7);
  CHECK(RK_ERROR_KERNEL_FAULTED == 23);
  CHECK(RK_SUPERVISE_OFF == 0);
  CHECK(offsetof(rk_supervision_options, on_event) == 56);
  CHECK(sizeof(rk_supervision_options) == 72);
  CHECK(sizeof(rk_supervision_event) == 56);
  CHECK(std::string(rk_result_name(RK_ERROR_KERNEL_FAULTED)) == "RK_ERROR_KERNEL_FAULTED");
  CHECK(std::string(rk_kernel_state_name(RK_KERNEL_FAULTED)) == "Faulted");
  CHECK(offsetof(rk_kernel_options, snapshot) == offsetof(rk_kernel_options, max_run_ns) + 8);  // appended
  CHECK(offsetof(rk_kernel_options, snapshot_size) == offsetof(rk_kernel_options, snapshot) + 8);
}

TEST_CASE("API 1.4: the relaunch-copy bridge mode and the runtime option that asks for a mode", "[abi]") {
  CHECK(RK_BRIDGE_RELAUNCH_COPY == 3);
  CHECK(offsetof(rk_runtime_options, bridge_mode) == offsetof(rk_runtime_options, max_clock_skew_ns) + 8);  // appended
  CHECK(offsetof(rk_runtime_options, reserved1) == offsetof(rk_runtime_options, bridge_mode) + 4);
  CHECK(sizeof(rk_runtime_options) == offsetof(rk_runtime_options, reserved1) + 4);
  CHECK(offsetof(rk_ring_env, outbox_full_since_ms) == 220);  // was reserved1: the layout does not move
  CHECK(sizeof(rk_ring_env) == 256);
}

TEST_CASE("API 1.5: a result for a lost peer; the transport plugin ABI 1.0 layouts", "[abi]") {
  CHECK(RK_ERROR_PEER_LOST == 24);
  CHECK(std::string(rk_result_name(RK_ERROR_PEER_LOST)) == "RK_ERROR_PEER_LOST");
  CHECK(RK_TRANSPORT_ABI_MAJOR == 1);
  CHECK(sizeof(rk_transport_group) == 32);
  CHECK(offsetof(rk_transport_group, addresses) == 16);
  CHECK(offsetof(rk_transport_group, job_key) == 24);
  CHECK(sizeof(rk_transport_delivery) == 32);
  CHECK(offsetof(rk_transport_delivery, header_size) == 24);
  CHECK(sizeof(rk_transport_callbacks) == 32);
  CHECK(offsetof(rk_transport_callbacks, peer_lost) == 24);
  CHECK(sizeof(rk_transport_stats) == 48);
  CHECK(offsetof(rk_transport_table, probe) == 24);
  CHECK(offsetof(rk_transport_table, last_error) == 24 + 10 * sizeof(void*));
  CHECK(RK_PEER_LOST == 4);
}

TEST_CASE("API 1.6: process group options and status", "[abi]") {
  CHECK(offsetof(rk_group_options, addresses) == 16);
  CHECK(offsetof(rk_group_options, job_key) == 24);
  CHECK(offsetof(rk_group_options, transport) == 32);
  CHECK(offsetof(rk_group_options, address_file) == 40);
  CHECK(offsetof(rk_group_options, connect_timeout_ns) == 48);
  CHECK(sizeof(rk_group_options) == 56);
  CHECK(offsetof(rk_group_status, messages_sent) == 24);
  CHECK(offsetof(rk_group_status, held_max) == 72);
  CHECK(offsetof(rk_group_status, transport) == 80);
  CHECK(sizeof(rk_group_status) == 112);
  CHECK(RK_GROUP_PEER_SELF == 1);
  CHECK(RK_GROUP_PEER_CONNECTED == 3);
  CHECK(RK_GROUP_PEER_LOST == 4);
}
