/* ringkernel — result codes shared by the public C API, the plugin ABI and device code.
 *
 * Written in the C subset that also compiles as OpenCL C, CUDA C++ and HIP C++:
 * no includes, no host-only types. 0 is success here (as in CUDA and OpenCL); every
 * other enum in the ABI keeps 0 as "undefined". Values never change meaning; new codes
 * are appended. */
#ifndef RINGKERNEL_RK_RESULT_H
#define RINGKERNEL_RK_RESULT_H

typedef enum rk_result {
  RK_SUCCESS = 0,
  RK_ERROR_INVALID_ARGUMENT = 1,
  RK_ERROR_UNSUPPORTED = 2,          /* the backend lacks this capability; says so, never fakes it */
  RK_ERROR_OUT_OF_MEMORY = 3,
  RK_ERROR_NOT_FOUND = 4,            /* unknown backend, function, plugin, ... */
  RK_ERROR_NO_DEVICE = 5,
  RK_ERROR_BACKEND_UNAVAILABLE = 6,  /* selected backend exists but cannot be used (reason in last error) */
  RK_ERROR_ABI_MISMATCH = 7,
  RK_ERROR_COMPILE_FAILED = 8,       /* last error holds the compiler's log */
  RK_ERROR_LAUNCH_FAILED = 9,
  RK_ERROR_INVALID_STATE = 10,       /* lifecycle transition not allowed from the current state */
  RK_ERROR_QUEUE_FULL = 11,
  RK_ERROR_QUEUE_EMPTY = 12,
  RK_ERROR_TIMEOUT = 13,
  RK_ERROR_MESSAGE_TOO_LARGE = 14,
  RK_ERROR_UNKNOWN_MESSAGE_TYPE = 15,
  RK_ERROR_UNKNOWN_KERNEL = 16,      /* K2K target or kernel name that does not resolve */
  RK_ERROR_CLOCK_SKEW = 17,          /* HLC: remote time beyond the allowed skew */
  RK_ERROR_TERMINATED = 18,          /* the kernel is terminated and has nothing left to give */
  RK_ERROR_DEVICE_FAULT = 19,
  RK_ERROR_NOT_READY = 20,           /* asynchronous work still running */
  RK_ERROR_INTERNAL = 21,
  RK_ERROR_HANDLER_FAILED = 22,      /* the user's handler returned an error code */
  RK_ERROR_KERNEL_FAULTED = 23,      /* API 1.3: the kernel is Faulted (rk_kernel_fault_reason); restart or terminate it */
  RK_ERROR_PEER_LOST = 24,           /* API 1.5: a process of the group is gone (exited, killed, unreachable) */
  RK_RESULT_FORCE32 = 0x7FFFFFFF
} rk_result;

#endif /* RINGKERNEL_RK_RESULT_H */
