// The dialect sources compiled into libringcore (see cmake/embed_sources.cmake).
#pragma once

namespace rk::embedded {
extern const char* const rk_result;
extern const char* const rk_ring_layout;
extern const char* const rk_queue_ops;
extern const char* const rk_hlc_ops;
extern const char* const rk_trace;
extern const char* const rk_ring_context;
extern const char* const rk_k2k;
extern const char* const rk_ring_loop;
}  // namespace rk::embedded
