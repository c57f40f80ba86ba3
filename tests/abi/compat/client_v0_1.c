/* A C program written against the 0.1.0 public headers (tests/abi/compat/v0_1) and run
 * against the current libringcore and plugins: it must work unchanged. Every struct it
 * hands the library has the 0.1 size and is followed by a guard word, so a library that
 * writes past an older caller's struct is caught here (and by ASan in the asan preset).
 *
 * usage: client_v0_1 <folder holding the compat_v0_1 plugin> */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <ringkernel/ringkernel.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GUARD 0x5AFEC0DE5AFEC0DEull

static int checks;

#define EXPECT(cond, what)                                                           \
  do {                                                                               \
    ++checks;                                                                        \
    if (!(cond)) {                                                                   \
      fprintf(stderr, "compat v0.1 client: FAILED %s (%s:%d): %s\n", what, __FILE__, \
              __LINE__, rk_last_error());                                            \
      exit(1);                                                                       \
    }                                                                                \
  } while (0)

#define EXPECT_OK(call) EXPECT((call) == RK_SUCCESS, #call)

/* A struct with a guard word right behind it. */
#define GUARDED(type) \
  struct {            \
    type value;       \
    uint64_t guard;   \
  }

static void plugin_statuses(rk_registry registry) {
  uint32_t count = rk_registry_plugin_count(registry), i;
  int found = 0;
  for (i = 0; i < count; ++i) {
    GUARDED(rk_plugin_status) s;
    memset(&s, 0, sizeof(s));
    s.value.struct_size = sizeof(s.value);
    s.guard = GUARD;
    EXPECT_OK(rk_registry_plugin_status(registry, i, &s.value));
    EXPECT(s.guard == GUARD, "rk_registry_plugin_status stays inside a 0.1 struct");
    if (strcmp(s.value.name, "compat_v0_1") == 0) {
      found = 1;
      EXPECT(s.value.outcome == RK_PLUGIN_LOADED && s.value.reason == RK_PLUGIN_REASON_OK, "compat plugin loads");
      EXPECT(s.value.device_count == 1, "compat plugin has its device");
    }
  }
  EXPECT(found, "the compat plugin was discovered");
  for (i = 0; i < rk_registry_device_count(registry); ++i) {
    GUARDED(rk_device_entry) e;
    memset(&e, 0, sizeof(e));
    e.value.struct_size = sizeof(e.value);
    e.guard = GUARD;
    EXPECT_OK(rk_registry_device(registry, i, &e.value));
    EXPECT(e.guard == GUARD, "rk_registry_device stays inside a 0.1 struct");
  }
}

static rk_runtime open_runtime(rk_registry registry, const char* backend) {
  rk_runtime_options options;
  rk_runtime runtime = NULL;
  GUARDED(rk_device_info) info;
  memset(&options, 0, sizeof(options));
  options.struct_size = sizeof(options);
  options.backend = backend;
  options.registry = registry;
  EXPECT_OK(rk_runtime_create(&options, &runtime));
  memset(&info, 0, sizeof(info));
  info.value.struct_size = sizeof(info.value);
  info.guard = GUARD;
  EXPECT_OK(rk_runtime_device_info(runtime, &info.value));
  EXPECT(info.guard == GUARD && info.value.name[0] != '\0', "rk_runtime_device_info fills a 0.1 struct");
  return runtime;
}

/* The out-of-tree plugin: buffers work, the entries it never filled say UNSUPPORTED. */
static void drive_compat_plugin(rk_registry registry) {
  rk_runtime runtime = open_runtime(registry, "compat_v0_1");
  rk_buffer buffer = NULL;
  uint32_t in[4] = {1, 2, 3, 4}, out[4] = {0, 0, 0, 0};
  rk_module_options module_options;
  rk_module module = NULL;
  EXPECT_OK(rk_buffer_create(runtime, sizeof(in), RK_MEMORY_DEVICE, &buffer));
  EXPECT_OK(rk_buffer_write(buffer, 0, in, sizeof(in)));
  EXPECT_OK(rk_buffer_read(buffer, 0, out, sizeof(out)));
  EXPECT(memcmp(in, out, sizeof(in)) == 0, "buffer round trip through the compat plugin");
  memset(&module_options, 0, sizeof(module_options));
  module_options.struct_size = sizeof(module_options);
  module_options.source = "RK_KERNEL void k(void) {}";
  EXPECT(rk_module_compile(runtime, &module_options, &module) == RK_ERROR_UNSUPPORTED,
         "a missing table entry answers UNSUPPORTED");
  EXPECT_OK(rk_buffer_destroy(buffer));
  EXPECT_OK(rk_runtime_destroy(runtime));
}

static const char* kLaunchSource =
    "RK_KERNEL void fill(rk_global uint32_t* out, uint32_t value) { out[rk_thread_idx(0)] = value + rk_thread_idx(0); }\n";

static void device_launch(rk_runtime runtime) {
  rk_module_options options;
  rk_module module = NULL;
  rk_function function = NULL;
  rk_buffer buffer = NULL;
  rk_launch_config config;
  rk_arg args[2];
  uint32_t value = 40, out[4] = {0, 0, 0, 0};
  memset(&options, 0, sizeof(options));
  options.struct_size = sizeof(options);
  options.source = kLaunchSource;
  options.name = "compat_fill";
  EXPECT_OK(rk_module_compile(runtime, &options, &module));
  EXPECT_OK(rk_module_function(module, "fill", &function));
  EXPECT_OK(rk_buffer_create(runtime, sizeof(out), RK_MEMORY_DEVICE, &buffer));
  memset(&config, 0, sizeof(config));
  config.struct_size = sizeof(config);
  config.grid[0] = config.grid[1] = config.grid[2] = 1;
  config.block[0] = 4;
  config.block[1] = config.block[2] = 1;
  memset(args, 0, sizeof(args));
  args[0].kind = RK_ARG_BUFFER;
  args[0].buffer = buffer;
  args[1].kind = RK_ARG_VALUE;
  args[1].size = sizeof(value);
  args[1].value = &value;
  EXPECT_OK(rk_launch(runtime, function, &config, args, 2));
  EXPECT_OK(rk_runtime_synchronize(runtime));
  EXPECT_OK(rk_buffer_read(buffer, 0, out, sizeof(out)));
  EXPECT(out[0] == 40 && out[3] == 43, "a 0.1 launch config runs the kernel");
  EXPECT_OK(rk_buffer_destroy(buffer));
  EXPECT_OK(rk_module_destroy(module));
}

static const char* kEchoSource =
    "RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {\n"
    "  uint64_t v = *(rk_global const uint64_t*)payload + 1u;\n"
    "  (void)msg;\n"
    "  return rk_reply(ctx, 2u, &v, 8u);\n"
    "}\n";

static void ring_kernel(rk_runtime runtime) {
  rk_kernel_options options;
  rk_send_options send;
  rk_kernel kernel = NULL;
  rk_msg_header header;
  uint64_t ping = 41, pong = 0, message_id = 0;
  uint32_t size = 0;
  GUARDED(rk_kernel_status) status;
  rk_telemetry telemetry;
  memset(&options, 0, sizeof(options));
  options.struct_size = sizeof(options);
  options.flags = RK_KERNEL_AUTO_ACTIVATE;
  options.name = "compat_echo";
  options.source = kEchoSource;
  EXPECT_OK(rk_kernel_create(runtime, &options, &kernel));
  EXPECT_OK(rk_kernel_launch(kernel));
  EXPECT_OK(rk_kernel_request(kernel, 1, &ping, sizeof(ping), &header, &pong, sizeof(pong), &size, RK_WAIT_FOREVER));
  EXPECT(pong == 42 && size == 8 && (header.flags & RK_MSG_FLAG_REPLY) != 0, "request/reply");
  memset(&send, 0, sizeof(send));
  send.struct_size = sizeof(send);
  send.timeout_ns = RK_WAIT_FOREVER;
  ping = 99;
  EXPECT_OK(rk_kernel_send(kernel, 1, &ping, sizeof(ping), &send, &message_id));
  EXPECT_OK(rk_kernel_receive(kernel, &header, &pong, sizeof(pong), &size, RK_WAIT_FOREVER));
  EXPECT(pong == 100 && header.correlation_id == message_id, "send/receive with 0.1 send options");
  /* The loop counts a message after its handler returns, so the reply can reach us first:
   * wait (bounded; only a hang waits long) until both are counted. */
  for (int tries = 0; tries < 30000; ++tries) {
    rk_kernel_status now;
    memset(&now, 0, sizeof(now));
    now.struct_size = sizeof(now);
    if (rk_kernel_get_status(kernel, &now) != RK_SUCCESS || now.messages_processed >= 2) break;
    struct timespec nap = {0, 1000000};
    nanosleep(&nap, NULL);
  }
  memset(&status, 0, sizeof(status));
  status.value.struct_size = sizeof(status.value);
  status.guard = GUARD;
  EXPECT_OK(rk_kernel_get_status(kernel, &status.value));
  EXPECT(status.guard == GUARD, "rk_kernel_get_status stays inside a 0.1 struct");
  EXPECT(status.value.struct_size == sizeof(status.value), "struct_size says how much was written");
  EXPECT(status.value.state == RK_KERNEL_ACTIVE && status.value.messages_processed == 2, "status of a 0.1 caller");
  /* The 0.1 C++ layer left struct_size 0; that still means the 0.1 size. */
  memset(&status, 0, sizeof(status));
  status.guard = GUARD;
  EXPECT_OK(rk_kernel_get_status(kernel, &status.value));
  EXPECT(status.guard == GUARD && status.value.messages_processed == 2, "struct_size 0 is the 0.1 status");
  EXPECT_OK(rk_kernel_get_telemetry(kernel, &telemetry));
  EXPECT(telemetry.messages_processed == 2, "telemetry");
  EXPECT_OK(rk_kernel_terminate(kernel, RK_WAIT_FOREVER));
  EXPECT(rk_kernel_get_state(kernel) == RK_KERNEL_TERMINATED, "terminated");
  EXPECT_OK(rk_kernel_destroy(kernel));
}

int main(int argc, char** argv) {
  rk_registry_options options;
  rk_registry registry = NULL;
  rk_runtime runtime;
  if (argc != 2) {
    fprintf(stderr, "usage: %s <compat plugin folder>\n", argv[0]);
    return 2;
  }
  EXPECT(rk_abi_major() == RK_PLUGIN_ABI_MAJOR, "plugin ABI major unchanged");
  memset(&options, 0, sizeof(options));
  options.struct_size = sizeof(options);
  options.search_path = argv[1];
  EXPECT_OK(rk_registry_create(&options, &registry));
  plugin_statuses(registry);
  drive_compat_plugin(registry);
  runtime = open_runtime(registry, "cpu_sim");
  device_launch(runtime);
  ring_kernel(runtime);
  EXPECT_OK(rk_runtime_destroy(runtime));
  EXPECT_OK(rk_registry_destroy(registry));
  printf("compat v0.1 client: %d checks passed against libringcore %s\n", checks, rk_version_string());
  return 0;
}
