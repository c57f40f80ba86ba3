// Hang dumps (docs/observability.md): what every ring kernel is doing, as text a person reads
// when a pipeline stops moving. On demand (rk_runtime_dump) and on a signal
// (RINGKERNEL_DUMP_SIGNAL, written to stderr).
#pragma once

#include <string>

#include "ringkernel.h"

namespace rk::core {

// The runtime's dump. The directory lock (remote_k2k.hpp) must be held: kernels leave their
// tables under it, so none is freed while it is read.
std::string dump_text_locked(rk_runtime_s* runtime);

// Installs the RINGKERNEL_DUMP_SIGNAL handler once per process, if the variable names a
// signal (USR1, SIGUSR2, or a number). The handler only writes a byte to a pipe; a thread
// of ours writes every runtime's dump to stderr.
void install_dump_signal_once();

}  // namespace rk::core
