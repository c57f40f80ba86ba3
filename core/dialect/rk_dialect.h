/* ringkernel dialect — everything a handler can call, in one header, for an editor or a
 * language server only (installed as <ringkernel/dialect/rk_dialect.h>; docs/dialect.md,
 * "Writing kernels in an editor").
 *
 * A kernel source never includes it: the runtime puts these very headers in front of the
 * source it compiles, with the backend's own prelude. Here they come after the cpu_sim
 * prelude, which spells the dialect as host C++, so a C++ language server resolves every
 * rk_* name, its signature and its comment. */
#ifndef RINGKERNEL_RK_DIALECT_H
#define RINGKERNEL_RK_DIALECT_H

#include "rk_cpu_thread_info.h"
#include "rk_prelude_cpu.h"
#include "../rk_result.h"
#include "../rk_ring_layout.h"
#include "rk_queue_ops.h"
#include "rk_hlc_ops.h"
#include "rk_trace.h"
#include "rk_ring_context.h"
#include "rk_k2k.h"

#endif
