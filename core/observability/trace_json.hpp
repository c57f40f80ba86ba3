// A collected trace as Chrome trace event JSON (the "JSON Object Format" that Perfetto and
// chrome://tracing open; docs/observability.md, "Message traces").
#pragma once

#include <string>

#include "observability/trace.hpp"

namespace rk::core {

// One process; a track (thread) per kernel and one for the host; an "X" slice per handler
// run and per host send or receive; an "s"/"f" flow pair per message whose send and
// arrival were both recorded.
//
// Kernels' clocks may differ from the host's and from each other's, so time on the page is
// laid out from the hybrid logical clocks: events are taken in HLC order, which every
// message respects (its arrival merges its stamp), and each is placed at its HLC time but
// never before the end of the slice before it on its track, nor before the send it came
// from. Within a handler run, sends and pulls keep their offsets by the kernel's own
// clock. So every arrow points forward and slices on a track never overlap.
std::string chrome_trace_json(const TraceSnapshot& snapshot);

// chrome_trace_json into `path`, replaced whole: written aside, then renamed over it, so a
// reader never sees half a file. RK_ERROR_INVALID_ARGUMENT naming the path and the reason.
rk_result write_trace_file(const TraceSnapshot& snapshot, const std::string& path);

}  // namespace rk::core
