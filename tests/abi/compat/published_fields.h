/* Every field of every struct published in the 0.1.0 headers, as X-macros. Compiled once
 * against tests/abi/compat/v0_1 and once against abi/, so test_abi_compat can check that
 * each field kept its offset and size: fields may only be appended. When a release adds
 * fields, this list stays as it is (it pins 0.1); a later release adds its own list. */
#define RK_PUBLISHED_GROWABLE(X) \
  X(rk_plugin_status) X(rk_registry_options) X(rk_device_entry) X(rk_runtime_options) X(rk_module_options) \
  X(rk_kernel_options) X(rk_send_options) X(rk_kernel_status) X(rk_device_info) X(rk_launch_config)       \
  X(rk_host_services) X(rk_compile_request) X(rk_backend_table)

/* Structs without struct_size: their size is fixed for good. */
#define RK_PUBLISHED_FIXED(X) \
  X(rk_arg) X(rk_slot) X(rk_text_out) X(rk_kernel_arg) X(rk_telemetry) X(rk_hlc) X(rk_msg_header)

#define RK_PUBLISHED_FIELDS(F)                                                                                    \
  F(rk_plugin_status, struct_size) F(rk_plugin_status, outcome) F(rk_plugin_status, reason)                        \
  F(rk_plugin_status, abi_major) F(rk_plugin_status, abi_minor) F(rk_plugin_status, device_count)                  \
  F(rk_plugin_status, caps) F(rk_plugin_status, path) F(rk_plugin_status, name) F(rk_plugin_status, detail)         \
  F(rk_registry_options, struct_size) F(rk_registry_options, flags) F(rk_registry_options, search_path)            \
  F(rk_device_entry, struct_size) F(rk_device_entry, backend_device_index) F(rk_device_entry, backend)             \
  F(rk_device_entry, info)                                                                                         \
  F(rk_runtime_options, struct_size) F(rk_runtime_options, device_index) F(rk_runtime_options, backend)            \
  F(rk_runtime_options, registry) F(rk_runtime_options, max_kernels) F(rk_runtime_options, reserved0)              \
  F(rk_runtime_options, max_clock_skew_ns)                                                                         \
  F(rk_module_options, struct_size) F(rk_module_options, kind) F(rk_module_options, source)                        \
  F(rk_module_options, source_size) F(rk_module_options, compile_flags) F(rk_module_options, name)                 \
  F(rk_arg, kind) F(rk_arg, size) F(rk_arg, value) F(rk_arg, buffer)                                               \
  F(rk_kernel_options, struct_size) F(rk_kernel_options, flags) F(rk_kernel_options, name)                         \
  F(rk_kernel_options, source) F(rk_kernel_options, source_size) F(rk_kernel_options, compile_flags)               \
  F(rk_kernel_options, grid_size) F(rk_kernel_options, block_size) F(rk_kernel_options, input_capacity)            \
  F(rk_kernel_options, output_capacity) F(rk_kernel_options, inbox_capacity) F(rk_kernel_options, max_payload_size) \
  F(rk_kernel_options, state_bytes) F(rk_kernel_options, accepted_type_count) F(rk_kernel_options, accepted_types)  \
  F(rk_kernel_options, peer_count) F(rk_kernel_options, reserved0) F(rk_kernel_options, peers)                     \
  F(rk_send_options, struct_size) F(rk_send_options, flags) F(rk_send_options, correlation_id)                     \
  F(rk_send_options, timeout_ns)                                                                                   \
  F(rk_slot, header) F(rk_slot, payload) F(rk_slot, capacity) F(rk_slot, reserved0) F(rk_slot, token)               \
  F(rk_kernel_status, struct_size) F(rk_kernel_status, state) F(rk_kernel_status, has_terminated)                  \
  F(rk_kernel_status, errors_encountered) F(rk_kernel_status, messages_processed)                                  \
  F(rk_kernel_status, last_activity_ns) F(rk_kernel_status, input_depth) F(rk_kernel_status, output_depth)         \
  F(rk_kernel_status, inbox_depth) F(rk_kernel_status, reserved0)                                                  \
  F(rk_device_info, struct_size) F(rk_device_info, index) F(rk_device_info, name) F(rk_device_info, vendor)         \
  F(rk_device_info, driver_version) F(rk_device_info, global_memory_bytes) F(rk_device_info, caps)                 \
  F(rk_device_info, compute_units) F(rk_device_info, max_block_size) F(rk_device_info, max_shared_memory_bytes)    \
  F(rk_device_info, reserved0)                                                                                     \
  F(rk_launch_config, struct_size) F(rk_launch_config, grid) F(rk_launch_config, block)                            \
  F(rk_launch_config, shared_memory_bytes) F(rk_launch_config, flags)                                              \
  F(rk_host_services, struct_size) F(rk_host_services, core_abi_major) F(rk_host_services, core_abi_minor)         \
  F(rk_host_services, reserved0) F(rk_host_services, user) F(rk_host_services, log) F(rk_host_services, clock_ns)   \
  F(rk_compile_request, struct_size) F(rk_compile_request, kind) F(rk_compile_request, source)                     \
  F(rk_compile_request, source_size) F(rk_compile_request, options) F(rk_compile_request, name)                    \
  F(rk_text_out, data) F(rk_text_out, capacity) F(rk_text_out, size)                                               \
  F(rk_kernel_arg, kind) F(rk_kernel_arg, size) F(rk_kernel_arg, value) F(rk_kernel_arg, buffer)                   \
  F(rk_backend_table, struct_size) F(rk_backend_table, abi_major) F(rk_backend_table, abi_minor)                   \
  F(rk_backend_table, reserved0) F(rk_backend_table, name) F(rk_backend_table, caps) F(rk_backend_table, probe)    \
  F(rk_backend_table, get_device_info) F(rk_backend_table, last_error) F(rk_backend_table, context_create)         \
  F(rk_backend_table, context_destroy) F(rk_backend_table, stream_create) F(rk_backend_table, stream_destroy)      \
  F(rk_backend_table, stream_synchronize) F(rk_backend_table, stream_query) F(rk_backend_table, buffer_alloc)      \
  F(rk_backend_table, buffer_free) F(rk_backend_table, buffer_map) F(rk_backend_table, buffer_device_address)      \
  F(rk_backend_table, copy_to_device) F(rk_backend_table, copy_to_host) F(rk_backend_table, module_compile)        \
  F(rk_backend_table, module_destroy) F(rk_backend_table, function_get) F(rk_backend_table, launch)                \
  F(rk_telemetry, messages_processed) F(rk_telemetry, messages_dropped) F(rk_telemetry, last_processed_timestamp)  \
  F(rk_telemetry, queue_depth) F(rk_telemetry, total_latency_ns) F(rk_telemetry, max_latency_ns)                   \
  F(rk_telemetry, min_latency_ns) F(rk_telemetry, error_code)                                                      \
  F(rk_hlc, physical_ns) F(rk_hlc, logical) F(rk_hlc, node_id)                                                     \
  F(rk_msg_header, type_id) F(rk_msg_header, payload_size) F(rk_msg_header, message_id)                            \
  F(rk_msg_header, correlation_id) F(rk_msg_header, source_kernel) F(rk_msg_header, dest_kernel)                   \
  F(rk_msg_header, timestamp) F(rk_msg_header, flags) F(rk_msg_header, publish_seq) F(rk_msg_header, sent_ns)

/* One row of the layout a set of headers gives. */
typedef struct rk_published_layout {
  const char* type;
  const char* field; /* "" for the struct's own size */
  size_t offset;
  size_t size;
} rk_published_layout;
