/* What the cpu_sim launcher hands each thread of a kernel. Shared, byte for byte, by the
 * plugin and the kernels it compiles (this file is prepended to every kernel source). */
#ifndef RINGKERNEL_RK_CPU_THREAD_INFO_H
#define RINGKERNEL_RK_CPU_THREAD_INFO_H

struct rk_cpu_thread_info {
  unsigned thread_idx[3];
  unsigned block_idx[3];
  unsigned block_dim[3];
  unsigned grid_dim[3];
  void* barrier;               /* the block's barrier ... */
  void (*sync)(void* barrier); /* ... and how to wait on it */
  unsigned char* shared;       /* the block's static shared arena */
  unsigned long shared_bytes;
  unsigned char* dynamic_shared; /* launch config's shared_memory_bytes */
  unsigned long dynamic_shared_bytes;
  int (*assist)(void* user);     /* the core's idle_assist (rk_host_services), or NULL */
  void* assist_user;
  /* the core's kernel_idle_assist (plugin ABI 1.2), or NULL */
  int (*kernel_assist)(void* user, const void* control_block);
};

#endif
