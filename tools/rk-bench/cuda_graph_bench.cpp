// cuda_graph suite: the launch-per-message baselines a CUDA ring kernel is measured against,
// straight on the driver API: per message, copy 64 bytes in, launch one thread, copy 64
// bytes out, synchronize — once as three stream calls, once as a replay of the same three
// captured in a CUDA graph (the cheapest way CUDA offers to resubmit fixed work). libcuda
// is dlopened, as the cuda plugin does; without a driver the suite says so and is skipped.
#include <dlfcn.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench.hpp"

namespace rk::bench {
namespace {

using Clock = std::chrono::steady_clock;
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st*;
using CUmodule = struct CUmod_st*;
using CUfunction = struct CUfunc_st*;
using CUstream = struct CUstream_st*;
using CUgraph = struct CUgraph_st*;
using CUgraphExec = struct CUgraphExec_st*;
constexpr int CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1;

// handle_once of the launch suite, as PTX the driver JIT-compiles for any sm_52+ device:
// out[i] = in[i] + 1 for the 8 words of a 64-byte message.
const char* const kHandleOncePtx = R"(
.version 7.0
.target sm_52
.address_size 64
.visible .entry handle_once(.param .u64 in_param, .param .u64 out_param) {
  .reg .pred %p;
  .reg .b32 %r<2>;
  .reg .b64 %rd<4>;
  ld.param.u64 %rd0, [in_param];
  ld.param.u64 %rd1, [out_param];
  cvta.to.global.u64 %rd0, %rd0;
  cvta.to.global.u64 %rd1, %rd1;
  mov.u32 %r0, 0;
NEXT_WORD:
  ld.global.u64 %rd2, [%rd0];
  add.u64 %rd2, %rd2, 1;
  st.global.u64 [%rd1], %rd2;
  add.u64 %rd0, %rd0, 8;
  add.u64 %rd1, %rd1, 8;
  add.u32 %r0, %r0, 1;
  setp.lt.u32 %p, %r0, 8;
  @%p bra NEXT_WORD;
  ret;
}
)";

// The driver entry points used here, by their versioned symbol names (see cuda.h's #defines).
struct Driver {
  void* library = nullptr;
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGet)(CUdevice*, int);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext*, CUdevice);
  CUresult (*cuDevicePrimaryCtxRelease)(CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuModuleLoadData)(CUmodule*, const void*);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuModuleGetFunction)(CUfunction*, CUmodule, const char*);
  CUresult (*cuMemAlloc)(CUdeviceptr*, size_t);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuMemHostAlloc)(void**, size_t, unsigned);
  CUresult (*cuMemFreeHost)(void*);
  CUresult (*cuStreamCreate)(CUstream*, unsigned);
  CUresult (*cuStreamDestroy)(CUstream);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr, const void*, size_t, CUstream);
  CUresult (*cuMemcpyDtoHAsync)(void*, CUdeviceptr, size_t, CUstream);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                             CUstream, void**, void**);
  CUresult (*cuStreamBeginCapture)(CUstream, int);
  CUresult (*cuStreamEndCapture)(CUstream, CUgraph*);
  CUresult (*cuGraphInstantiate)(CUgraphExec*, CUgraph, unsigned long long);
  CUresult (*cuGraphLaunch)(CUgraphExec, CUstream);
  CUresult (*cuGraphExecDestroy)(CUgraphExec);
  CUresult (*cuGraphDestroy)(CUgraph);

  template <typename F>
  void bind(F& fn, const char* symbol) {
    fn = reinterpret_cast<F>(dlsym(library, symbol));
    if (fn == nullptr) throw std::runtime_error(std::string("libcuda.so.1 lacks ") + symbol);
  }

  // Empty reason: loaded. Otherwise why the suite cannot run here.
  std::string load() {
    library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) return std::string("libcuda.so.1 not found (no NVIDIA driver): ") + dlerror();
    bind(cuInit, "cuInit");
    bind(cuDeviceGet, "cuDeviceGet");
    bind(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
    bind(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2");
    bind(cuCtxSetCurrent, "cuCtxSetCurrent");
    bind(cuModuleLoadData, "cuModuleLoadData");
    bind(cuModuleUnload, "cuModuleUnload");
    bind(cuModuleGetFunction, "cuModuleGetFunction");
    bind(cuMemAlloc, "cuMemAlloc_v2");
    bind(cuMemFree, "cuMemFree_v2");
    bind(cuMemHostAlloc, "cuMemHostAlloc");
    bind(cuMemFreeHost, "cuMemFreeHost");
    bind(cuStreamCreate, "cuStreamCreate");
    bind(cuStreamDestroy, "cuStreamDestroy_v2");
    bind(cuStreamSynchronize, "cuStreamSynchronize");
    bind(cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2");
    bind(cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2");
    bind(cuLaunchKernel, "cuLaunchKernel");
    bind(cuStreamBeginCapture, "cuStreamBeginCapture_v2");
    bind(cuStreamEndCapture, "cuStreamEndCapture");
    bind(cuGraphInstantiate, "cuGraphInstantiateWithFlags");
    bind(cuGraphLaunch, "cuGraphLaunch");
    bind(cuGraphExecDestroy, "cuGraphExecDestroy");
    bind(cuGraphDestroy, "cuGraphDestroy");
    if (CUresult r = cuInit(0); r != 0) return "cuInit failed with CUresult " + std::to_string(r) + " (no usable device)";
    return "";
  }
};

void check(CUresult r, const char* what) {
  if (r != 0) throw std::runtime_error(std::string("cuda_graph suite: ") + what + " failed with CUresult " + std::to_string(r));
}

// One device, one stream, one 64-byte message each way in pinned host memory.
struct Setup {
  Driver& cu;
  CUdevice device = 0;
  CUcontext context = nullptr;
  CUmodule module = nullptr;
  CUfunction fn = nullptr;
  CUstream stream = nullptr;
  CUdeviceptr in = 0, out = 0;
  uint64_t* message = nullptr;  // pinned
  uint64_t* reply = nullptr;    // pinned
  void* args[2] = {&in, &out};

  explicit Setup(Driver& driver) : cu(driver) {
    check(cu.cuDeviceGet(&device, 0), "cuDeviceGet");
    check(cu.cuDevicePrimaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain");
    check(cu.cuCtxSetCurrent(context), "cuCtxSetCurrent");
    check(cu.cuModuleLoadData(&module, kHandleOncePtx), "cuModuleLoadData (PTX JIT)");
    check(cu.cuModuleGetFunction(&fn, module, "handle_once"), "cuModuleGetFunction");
    check(cu.cuStreamCreate(&stream, 1 /* non-blocking */), "cuStreamCreate");
    check(cu.cuMemAlloc(&in, 64), "cuMemAlloc");
    check(cu.cuMemAlloc(&out, 64), "cuMemAlloc");
    void* pinned = nullptr;
    check(cu.cuMemHostAlloc(&pinned, 128, 0), "cuMemHostAlloc");
    message = static_cast<uint64_t*>(pinned);
    reply = message + 8;
  }
  ~Setup() {
    cu.cuMemFreeHost(message);
    cu.cuMemFree(in);
    cu.cuMemFree(out);
    cu.cuStreamDestroy(stream);
    cu.cuModuleUnload(module);
    cu.cuDevicePrimaryCtxRelease(device);
  }

  void enqueue_message() {
    check(cu.cuMemcpyHtoDAsync(in, message, 64, stream), "cuMemcpyHtoDAsync");
    check(cu.cuLaunchKernel(fn, 1, 1, 1, 1, 1, 1, 0, stream, args, nullptr), "cuLaunchKernel");
    check(cu.cuMemcpyDtoHAsync(reply, out, 64, stream), "cuMemcpyDtoHAsync");
  }
};

// Times `count` messages; submit() queues one message's work on the stream.
template <typename Submit>
std::vector<double> time_messages(Setup& s, uint64_t count, Submit submit) {
  std::vector<double> samples;
  for (uint64_t i = 0; i < count + 100; ++i) {
    auto start = Clock::now();
    for (uint64_t k = 0; k < 8; ++k) s.message[k] = i + k;
    submit();
    check(s.cu.cuStreamSynchronize(s.stream), "cuStreamSynchronize");
    if (i >= 100) samples.push_back(std::chrono::duration<double, std::nano>(Clock::now() - start).count());
    if (s.reply[0] != i + 1 || s.reply[7] != i + 8) throw std::runtime_error("cuda_graph suite: wrong answer");
  }
  return samples;
}

ResultRow latency_row(const std::string& name, std::vector<double> samples) {
  ResultRow row;
  row.suite = "cuda_graph";
  row.name = name + " (cuda)";
  row.unit = "ns";
  row.higher_is_better = false;
  row.set("backend", "cuda");
  summarize(row, std::move(samples));
  return row;
}

std::vector<ResultRow> cuda_graph_suite(const Options& options) {
  Driver cu;
  if (std::string why = cu.load(); !why.empty()) throw SuiteSkipped(why);
  uint64_t count = options.messages ? options.messages : (options.quick ? 500 : 10000);
  Setup s(cu);
  std::vector<ResultRow> rows;
  rows.push_back(latency_row("copy in + launch + copy out + sync per message",
                             time_messages(s, count, [&] { s.enqueue_message(); })));
  CUgraph graph = nullptr;
  CUgraphExec exec = nullptr;
  check(cu.cuStreamBeginCapture(s.stream, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL), "cuStreamBeginCapture");
  s.enqueue_message();
  check(cu.cuStreamEndCapture(s.stream, &graph), "cuStreamEndCapture");
  check(cu.cuGraphInstantiate(&exec, graph, 0), "cuGraphInstantiate");
  rows.push_back(latency_row("CUDA graph replay (copy in + launch + copy out) + sync per message",
                             time_messages(s, count, [&] { check(cu.cuGraphLaunch(exec, s.stream), "cuGraphLaunch"); })));
  cu.cuGraphExecDestroy(exec);
  cu.cuGraphDestroy(graph);
  return rows;
}

SuiteRegistration cuda_graph_registration{
    "cuda_graph", "CUDA baselines on the driver API: stream launch vs graph replay per message", cuda_graph_suite};

}  // namespace
}  // namespace rk::bench
