// Releases that must not wait for a persistent kernel. CUDA's and HIP's drivers may make
// freeing device or pinned memory and unloading a module wait until every kernel in the
// context has finished; with another ring kernel still running on the device that wait has
// no end. So while any stream we created on the device has work in flight, such a release
// is parked here and done by the first later call that finds every stream idle: another
// release, a stream's destruction (the last ring kernel stopping), or the context's.
#include "gpu_common/gpu.hpp"

#include <algorithm>
#include <functional>
#include <map>

namespace rk::gpu {
namespace {

struct DeviceStreams {
  std::vector<Stream> streams;                // ours, alive
  std::vector<std::function<void()>> parked;  // releases waiting for the device to go idle
};

// Never destroyed, like the device table (devices.cpp): streams may be released after main returned.
std::mutex& g_mutex = *new std::mutex();
std::map<Device*, DeviceStreams>& g_devices = *new std::map<Device*, DeviceStreams>();

// Under g_mutex, with the device's context current.
bool any_stream_busy(const DeviceStreams& entry) {
  return std::any_of(entry.streams.begin(), entry.streams.end(),
                     [](Stream s) { return api().stream_query(s) == kBackend.status.not_ready; });
}

void run_parked_if_idle(DeviceStreams& entry) {
  if (entry.parked.empty() || any_stream_busy(entry)) return;
  for (auto& release : entry.parked) release();
  entry.parked.clear();
}

}  // namespace

void track_stream(rk_backend_context context, Stream stream) {
  std::lock_guard lock(g_mutex);
  g_devices[context->device].streams.push_back(stream);
}

void untrack_stream(rk_backend_context context, Stream stream) {
  std::lock_guard lock(g_mutex);
  DeviceStreams& entry = g_devices[context->device];
  std::erase(entry.streams, stream);
  run_parked_if_idle(entry);
}

void release_when_idle(rk_backend_context context, std::function<void()> release) {
  std::lock_guard lock(g_mutex);
  DeviceStreams& entry = g_devices[context->device];
  if (any_stream_busy(entry)) {
    entry.parked.push_back(std::move(release));
    return;
  }
  run_parked_if_idle(entry);
  release();
}

void release_parked(rk_backend_context context) {
  std::lock_guard lock(g_mutex);
  run_parked_if_idle(g_devices[context->device]);
}

}  // namespace rk::gpu
