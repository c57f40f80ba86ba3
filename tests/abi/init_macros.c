/* Every public struct's RK_*_INIT macro, as C99 and as C++20 users would write it. */
#include "ringkernel.h"
#include "rk_transport.h" /* compiles as C99 too */

int main(void) {
  rk_plugin_status plugin_status = RK_PLUGIN_STATUS_INIT;
  rk_registry_options registry_options = RK_REGISTRY_OPTIONS_INIT;
  rk_device_entry device_entry = RK_DEVICE_ENTRY_INIT;
  rk_runtime_options runtime_options = RK_RUNTIME_OPTIONS_INIT;
  rk_module_options module_options = RK_MODULE_OPTIONS_INIT;
  rk_kernel_options kernel_options = RK_KERNEL_OPTIONS_INIT;
  rk_send_options send_options = RK_SEND_OPTIONS_INIT;
  rk_kernel_status kernel_status = RK_KERNEL_STATUS_INIT;
  rk_device_info device_info = RK_DEVICE_INFO_INIT;
  rk_launch_config launch_config = RK_LAUNCH_CONFIG_INIT;
  return (int)(plugin_status.struct_size + registry_options.struct_size + device_entry.info.struct_size +
               runtime_options.struct_size + module_options.struct_size + kernel_options.struct_size +
               send_options.struct_size + kernel_status.struct_size + device_info.struct_size +
               launch_config.grid[0] == 0);
}
