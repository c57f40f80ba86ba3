// Discovery: every device of every OpenCL platform, its description and capabilities.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <string>

#include "opencl.hpp"

namespace rk::opencl {
namespace {

std::mutex g_probe_mutex;
bool g_probed = false;
// Never shrinks, and never destroyed: contexts point into it, and a runtime destroyed after
// main returned (a static one) still reaches its device, while a cooperative kernel's
// completion callback may still run on a driver thread (TSan saw the device deleted under
// it at exit). So the table lives on the heap until the process ends.
std::vector<std::unique_ptr<Device>>& g_devices = *new std::vector<std::unique_ptr<Device>>();
std::string g_no_device_reason;

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\0' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string device_string(cl_device_id device, cl_device_info what) {
  size_t bytes = 0;
  if (cl().clGetDeviceInfo(device, what, 0, nullptr, &bytes) != CL_SUCCESS || bytes == 0) return "";
  std::string text(bytes, '\0');
  if (cl().clGetDeviceInfo(device, what, bytes, text.data(), nullptr) != CL_SUCCESS) return "";
  return trimmed(text);
}

std::string platform_string(cl_platform_id platform, cl_platform_info what) {
  size_t bytes = 0;
  if (cl().clGetPlatformInfo(platform, what, 0, nullptr, &bytes) != CL_SUCCESS || bytes == 0) return "";
  std::string text(bytes, '\0');
  if (cl().clGetPlatformInfo(platform, what, bytes, text.data(), nullptr) != CL_SUCCESS) return "";
  return trimmed(text);
}

// A query that older devices may not know answers `fallback`.
template <class T>
T device_value(cl_device_id device, cl_device_info what, T fallback) {
  T value{};
  return cl().clGetDeviceInfo(device, what, sizeof(value), &value, nullptr) == CL_SUCCESS ? value : fallback;
}

// OpenCL C version as major*10 + minor. 3.0 devices list every version they accept in
// CL_DEVICE_OPENCL_C_ALL_VERSIONS (PoCL: 1.2 in the old query, 3.0 in the list); older
// ones name one in CL_DEVICE_OPENCL_C_VERSION, "OpenCL C 2.0 ...".
unsigned opencl_c_version(cl_device_id device) {
  unsigned best = 0;
  size_t bytes = 0;
  if (cl().clGetDeviceInfo(device, CL_DEVICE_OPENCL_C_ALL_VERSIONS, 0, nullptr, &bytes) == CL_SUCCESS &&
      bytes >= sizeof(cl_name_version)) {
    std::vector<cl_name_version> versions(bytes / sizeof(cl_name_version));
    if (cl().clGetDeviceInfo(device, CL_DEVICE_OPENCL_C_ALL_VERSIONS, bytes, versions.data(), nullptr) == CL_SUCCESS)
      for (const cl_name_version& v : versions)
        best = std::max(best, CL_VERSION_MAJOR(v.version) * 10 + CL_VERSION_MINOR(v.version));
  }
  unsigned major = 1, minor = 0;
  if (std::sscanf(device_string(device, CL_DEVICE_OPENCL_C_VERSION).c_str(), "OpenCL C %u.%u", &major, &minor) == 2)
    best = std::max(best, major * 10 + minor);
  return best;
}

std::string language_for(unsigned version) {
  if (version >= 30) return "CL3.0";
  if (version >= 20) return "CL2.0";
  if (version >= 12) return "CL1.2";
  return "CL1.1";
}

bool has_extension(const std::string& extensions, const char* name) {
  std::string padded = " " + extensions + " ";
  return padded.find(std::string(" ") + name + " ") != std::string::npos;
}

// "" when the device can run ring kernels: fine-grained SVM buffers with SVM atomics (the
// host and a running kernel share memory), OpenCL C 2.0+ atomics with acquire/release and
// seq_cst, and 64-bit atomics (queue indices). Otherwise the first thing missing.
std::string ring_kernel_gap(const Device& d, unsigned c_version) {
  if (!d.fine_grain_svm) return "no fine-grained SVM buffers with SVM atomics (CL_DEVICE_SVM_CAPABILITIES)";
  if (c_version < 20) return "OpenCL C " + std::to_string(c_version / 10) + "." + std::to_string(c_version % 10) +
                             " has no C11 atomics (2.0 or later needed)";
  std::string extensions = device_string(d.id, CL_DEVICE_EXTENSIONS);
  if (!has_extension(extensions, "cl_khr_int64_base_atomics") || !has_extension(extensions, "cl_khr_int64_extended_atomics"))
    return "no 64-bit atomics (cl_khr_int64_base_atomics / cl_khr_int64_extended_atomics)";
  if (c_version >= 30) {
    auto atomics = device_value<cl_device_atomic_capabilities>(d.id, CL_DEVICE_ATOMIC_MEMORY_CAPABILITIES, 0);
    if (!(atomics & CL_DEVICE_ATOMIC_ORDER_ACQ_REL) || !(atomics & CL_DEVICE_ATOMIC_ORDER_SEQ_CST))
      return "OpenCL C 3.0 without acquire/release and seq_cst atomics (CL_DEVICE_ATOMIC_MEMORY_CAPABILITIES)";
  }
  return "";
}

// Whether ring kernels on this device may make system calls (RK_OPENCL_HOST_FUTEX in the
// prelude): PoCL's CPU device runs each work-group on a host thread of this process, and its
// fine-grained SVM is host memory, so a futex word has the same address on both sides. Only
// there: elsewhere device code is not host code. RINGKERNEL_OPENCL_HOST_FUTEX=0 turns it off
// (idle kernels then spin, as on a GPU).
bool runs_on_host_threads(cl_platform_id platform, const Device& d) {
#if defined(__x86_64__) && defined(__linux__)
  const char* choice = std::getenv("RINGKERNEL_OPENCL_HOST_FUTEX");
  if (choice != nullptr && std::string(choice) == "0") return false;
  const auto type = device_value<cl_device_type>(d.id, CL_DEVICE_TYPE, 0);
  return d.ring_kernels && (type & CL_DEVICE_TYPE_CPU) != 0 &&
         platform_string(platform, CL_PLATFORM_NAME) == "Portable Computing Language" &&
         device_value<cl_uint>(d.id, CL_DEVICE_ADDRESS_BITS, 0) == 64;
#else
  (void)platform;
  (void)d;
  return false;
#endif
}

void copy_text(char* out, size_t capacity, const std::string& text) { std::snprintf(out, capacity, "%s", text.c_str()); }

std::unique_ptr<Device> describe(cl_platform_id platform, cl_device_id id, uint32_t index) {
  auto d = std::make_unique<Device>();
  d->platform = platform;
  d->id = id;
  d->platform_version = platform_string(platform, CL_PLATFORM_VERSION);
  unsigned c_version = opencl_c_version(id);
  d->language = language_for(c_version);
  auto svm = device_value<cl_device_svm_capabilities>(id, CL_DEVICE_SVM_CAPABILITIES, 0);
  d->fine_grain_svm = cl().has_svm() && (svm & CL_DEVICE_SVM_FINE_GRAIN_BUFFER) && (svm & CL_DEVICE_SVM_ATOMICS);
  d->coarse_svm = cl().has_svm() && (svm & CL_DEVICE_SVM_COARSE_GRAIN_BUFFER);
  std::string gap = ring_kernel_gap(*d, c_version);
  d->ring_kernels = gap.empty();
  d->host_futex = runs_on_host_threads(platform, *d);

  rk_device_info& info = d->info;
  info.struct_size = sizeof(info);
  info.index = index;
  copy_text(info.name, sizeof(info.name), device_string(id, CL_DEVICE_NAME));
  copy_text(info.vendor, sizeof(info.vendor), device_string(id, CL_DEVICE_VENDOR));
  copy_text(info.driver_version, sizeof(info.driver_version), device_string(id, CL_DRIVER_VERSION));
  info.global_memory_bytes = device_value<cl_ulong>(id, CL_DEVICE_GLOBAL_MEM_SIZE, 0);
  info.compute_units = std::max<cl_uint>(1, device_value<cl_uint>(id, CL_DEVICE_MAX_COMPUTE_UNITS, 1));
  info.max_block_size = static_cast<uint32_t>(std::min<size_t>(device_value<size_t>(id, CL_DEVICE_MAX_WORK_GROUP_SIZE, 1),
                                                               UINT32_MAX));
  // Dynamic block-shared memory would need a __local kernel parameter the dialect lacks;
  // RK_SHARED_ARRAY (static __local arrays) works. See launch.cpp.
  info.max_shared_memory_bytes = 0;
  info.caps = RK_CAP_ASYNC_COPY;
  if (d->ring_kernels) info.caps |= RK_CAP_PERSISTENT_KERNELS | RK_CAP_HOST_COHERENT | RK_CAP_K2K | RK_CAP_COOPERATIVE_LAUNCH;
  if (d->host_futex) info.caps |= RK_CAP_HOST_WAKEUP;
  log(RK_LOG_LEVEL_DEBUG, "opencl: device " + std::to_string(index) + " '" + info.name + "' (" + d->platform_version +
                              "), -cl-std=" + d->language +
                              (d->ring_kernels ? ", ring kernels: yes" : ", ring kernels: no (" + gap + ")") +
                              (d->host_futex ? ", idle kernels park on futexes" : ""));
  return d;
}

std::vector<cl_platform_id> platforms(std::string& reason) {
  cl_uint count = 0;
  cl_int status = cl().clGetPlatformIDs(0, nullptr, &count);
  if (status != CL_SUCCESS || count == 0) {
    reason = "no OpenCL platform (the ICD loader found no drivers in /etc/OpenCL/vendors or OCL_ICD_VENDORS; "
             "clGetPlatformIDs: " + cl_error_name(status) + ")";
    return {};
  }
  std::vector<cl_platform_id> out(count);
  status = cl().clGetPlatformIDs(count, out.data(), nullptr);
  if (status != CL_SUCCESS) {
    reason = "clGetPlatformIDs failed: " + cl_error_name(status);
    return {};
  }
  return out;
}

std::vector<cl_device_id> devices_of(cl_platform_id platform) {
  cl_uint count = 0;
  if (cl().clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, nullptr, &count) != CL_SUCCESS || count == 0) return {};
  std::vector<cl_device_id> out(count);
  if (cl().clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, count, out.data(), nullptr) != CL_SUCCESS) return {};
  return out;
}

// Fills g_devices, or g_no_device_reason. Caller holds g_probe_mutex.
void enumerate() {
  std::string reason;
  if (load_cl_api(reason) == nullptr) {
    g_no_device_reason = reason;
    return;
  }
  std::vector<cl_platform_id> found = platforms(reason);
  if (found.empty()) {
    g_no_device_reason = reason;
    return;
  }
  std::string platform_names;
  for (cl_platform_id platform : found) {
    platform_names += (platform_names.empty() ? "'" : ", '") + platform_string(platform, CL_PLATFORM_NAME) + "'";
    for (cl_device_id id : devices_of(platform))
      g_devices.push_back(describe(platform, id, static_cast<uint32_t>(g_devices.size())));
  }
  if (g_devices.empty()) g_no_device_reason = "OpenCL platform(s) " + platform_names + " report no devices";
}

}  // namespace

rk_result probe(uint32_t* device_count) {
  if (device_count == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "device_count is NULL");
  std::lock_guard lock(g_probe_mutex);
  if (!g_probed) enumerate();
  g_probed = true;
  *device_count = static_cast<uint32_t>(g_devices.size());
  if (g_devices.empty()) fail(RK_SUCCESS, g_no_device_reason);  // 0 devices is not an error; the reason is
  return RK_SUCCESS;
}

Device* device_at(uint32_t index) {
  std::lock_guard lock(g_probe_mutex);
  return index < g_devices.size() ? g_devices[index].get() : nullptr;
}

rk_result get_device_info(uint32_t device, rk_device_info* info) {
  Device* d = device_at(device);
  if (info == nullptr || d == nullptr)
    return fail(RK_ERROR_INVALID_ARGUMENT, "no OpenCL device " + std::to_string(device) + " (probe first)");
  size_t bytes = info->struct_size ? std::min<size_t>(info->struct_size, sizeof(rk_device_info)) : sizeof(rk_device_info);
  std::memcpy(info, &d->info, bytes);
  info->struct_size = static_cast<uint32_t>(bytes);
  return RK_SUCCESS;
}

}  // namespace rk::opencl
