// vslice_probe: drives the CUDA driver API the way applications do, through a
// chosen lookup route, and prints one line per step. The integration tests
// (simulated device) and the GPU tests (real driver) run this same binary.
//
//   vslice_probe [--route direct|dlsym|procaddr|procaddr_v2|procaddr_ptsz] STEP...
//
// Steps:
//   alloc:KIND:SIZE   allocate SIZE bytes (k/m/g suffixes) through KIND: mem,
//                     pitch, managed, async, pool, create, create_host, array,
//                     array3d, mipmap. Prints "alloc KIND BYTES -> RESULT".
//   alloc_retry:KIND:SIZE:MS
//                     as alloc, but an out-of-memory refusal is retried every
//                     millisecond for up to MS ms (other processes may still be
//                     freeing): "alloc KIND BYTES -> RESULT tries=N".
//   mipmap:WxHxD:FLAGS:LEVELS
//                     cuMipmappedArrayCreate of a one-channel 8-bit array, FLAGS
//                     plain, layered, cube or cube_layered, and hold it:
//                     "mipmap WxHxD FLAGS LEVELS -> R".
//   free:N            free the N-th successful allocation (0-based).
//   freeall           free every allocation still held.
//   info              cuMemGetInfo: "info free=F total=T".
//   totalmem          cuDeviceTotalMem: "totalmem T".
//   nvml              NVML (dlopen'd) memory of device 0: "nvml total=T used=U free=F".
//   nvml_v2           the same through nvmlDeviceGetMemoryInfo_v2.
//   nvml_util         nvmlDeviceGetUtilizationRates of device 0:
//                     "nvml_util gpu=G memory=M -> R".
//   nvml_procs[:V]    nvmlDeviceGetComputeRunningProcesses (V: v1, v2 or v3,
//                     default v3) of device 0, asking for the count first:
//                     "nvml_procs V count=N PID:BYTES ... -> R".
//   fill:SIZE         allocate SIZE-byte blocks until refused: "fill N blocks BYTES bytes -> R".
//   reset             cuDevicePrimaryCtxReset (frees everything), then retain
//                     the primary context again: "reset -> R".
//   hold:MS           sleep MS milliseconds.
//   at:UNIX_MS        sleep until the wall-clock time UNIX_MS (milliseconds since
//                     the epoch), so that processes started apart begin a step
//                     together.
//   ready             print "ready" and flush (a test waits for it).
//   wait              block until standard input closes.
//   churn:MS:SEED     allocate/free random sizes (1..64 MiB) for MS ms; prints
//                     "churn ops=N refused=R".
//   spin:MS           launch kernels back to back for MS ms, then wait for them:
//                     "spin kernels=N elapsed_us=E" (the simulator's kernels
//                     take VSLICE_SIM_KERNEL_US each).
//   churn_threads:THREADS:MS:SEED
//                     THREADS threads, each allocating (cuMemAlloc / cuMemAllocManaged,
//                     random sizes from 4 KiB to 64 MiB, rounded up to a multiple of
//                     VSLICE_PROBE_GRANULE if set) and freeing at random for MS
//                     ms: "churn_threads threads=T ops=N refused=R failures=F elapsed_us=E".
//   fork:exec|noexec  fork; the child either execs this probe ("alloc:mem:64m info"),
//                     or, without exec, calls the driver (which refuses every call
//                     with CUDA_ERROR_NOT_INITIALIZED in a forked child) and exits:
//                     "fork child alloc -> R info -> R free -> R sync -> R", then the
//                     parent prints "fork MODE child exit=S".
//   launch:N          launch N kernels without waiting for them: "launch kernels=N failures=F".
//   requests:COUNT:KERNELS:PERIOD_MS
//                     COUNT requests, one every PERIOD_MS ms: KERNELS kernels, then
//                     cuCtxSynchronize; the latency of each is from its first launch
//                     to the end of the synchronize: "requests n=N p50_us=A p99_us=B
//                     max_us=C".
//   sync              cuCtxSynchronize: "sync -> R".
//   ctx_threads:THREADS:ITERATIONS
//                     each thread creates a context, allocates in it, launches a kernel
//                     and destroys it, ITERATIONS times: "ctx_threads threads=T
//                     iterations=I failures=F".
//   capture:N:MS:MODE:REPLAYS[:busy]
//                     on a new non-blocking stream, capture N kernel launches spread
//                     over MS ms in MODE (global, thread_local or relaxed; begun and
//                     ended through the route's entry points), printing
//                     "capture begun" and "capture ended" around it; instantiate the
//                     graph, launch it REPLAYS times and wait for it: "capture kernels=N
//                     mode=MODE begin -> R record -> R end -> R instantiate -> R launch -> R
//                     sync -> R busy=K" (record: the captured launches). With busy, another
//                     thread launches kernels on a stream of its own until the capture has
//                     ended (K of them).
//   capture_errors    captures that fail, through the route's entry points: a begin on
//                     the legacy stream, a capture invalidated by synchronising its
//                     stream, then its end, and an end of a stream that no longer
//                     captures: "capture_errors begin_legacy -> R sync -> R end -> R
//                     end_again -> R".
//   on_signal:exit|return
//                     SIGTERM and SIGINT print "signal N"; then exit at once (exit) or
//                     carry on (return).
// Exit status: 0 when every step could be carried out (a refused allocation
// is a result, not a failure), 1 on a setup error.
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cuda/cuda_abi.h"
#include "cuda/driver_api.h"
#include "cuda/nvml_abi.h"
#include "probe_kernel.h"
#include "probe_steps.h"

using namespace vslice::cuda;
using namespace vslice::nvml;
using vslice::testing::RunRequests;
using vslice::testing::SplitColons;

namespace {

// The entry points a route hands out.
struct Api {
  cuMemAlloc_t mem_alloc;
  cuMemAllocPitch_t mem_alloc_pitch;
  cuMemAllocManaged_t mem_alloc_managed;
  cuMemFree_t mem_free;
  cuMemAllocAsync_t mem_alloc_async;
  cuMemAllocFromPoolAsync_t mem_alloc_from_pool_async;
  cuMemFreeAsync_t mem_free_async;
  cuMemCreate_t mem_create;
  cuMemRelease_t mem_release;
  cuArrayCreate_t array_create;
  cuArray3DCreate_t array_3d_create;
  cuArrayDestroy_t array_destroy;
  cuMipmappedArrayCreate_t mipmapped_create;
  cuMipmappedArrayDestroy_t mipmapped_destroy;
  cuMemGetInfo_t mem_get_info;
  cuDeviceTotalMem_t device_total_mem;
  cuStreamBeginCapture_v2_t stream_begin_capture;
  cuStreamEndCapture_t stream_end_capture;
};

Api DirectApi() {
  return Api{&cuMemAlloc_v2,       &cuMemAllocPitch_v2,    &cuMemAllocManaged,
             &cuMemFree_v2,        &cuMemAllocAsync,       &cuMemAllocFromPoolAsync,
             &cuMemFreeAsync,      &cuMemCreate,           &cuMemRelease,
             &cuArrayCreate_v2,    &cuArray3DCreate_v2,    &cuArrayDestroy,
             &cuMipmappedArrayCreate, &cuMipmappedArrayDestroy, &cuMemGetInfo_v2,
             &cuDeviceTotalMem_v2,    &cuStreamBeginCapture_v2, &cuStreamEndCapture};
}

template <typename Fn>
bool Lookup(const std::string& route, const char* exported, const char* base, Fn* out) {
  void* p = nullptr;
  if (route == "dlsym") {
    void* handle = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    p = handle ? dlsym(handle, exported) : nullptr;
  } else if (route == "procaddr") {
    if (cuGetProcAddress(base, &p, 12000, CU_GET_PROC_ADDRESS_DEFAULT) != CUDA_SUCCESS) p = nullptr;
  } else {
    const cuuint64_t flags = route == "procaddr_ptsz" ? CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM
                                                      : CU_GET_PROC_ADDRESS_DEFAULT;
    int status = -1;
    if (cuGetProcAddress_v2(base, &p, 13000, flags, &status) != CUDA_SUCCESS) p = nullptr;
  }
  if (p == nullptr) {
    std::fprintf(stderr, "probe: route %s: cannot look up %s\n", route.c_str(), base);
    return false;
  }
  *out = reinterpret_cast<Fn>(p);
  return true;
}

bool RouteApi(const std::string& route, Api* api) {
  if (route == "direct") {
    *api = DirectApi();
    return true;
  }
  if (route != "dlsym" && route != "procaddr" && route != "procaddr_v2" &&
      route != "procaddr_ptsz") {
    std::fprintf(stderr, "probe: unknown route %s\n", route.c_str());
    return false;
  }
  const bool pt = route == "procaddr_ptsz";
  return Lookup(route, "cuMemAlloc_v2", "cuMemAlloc", &api->mem_alloc) &&
         Lookup(route, "cuMemAllocPitch_v2", "cuMemAllocPitch", &api->mem_alloc_pitch) &&
         Lookup(route, "cuMemAllocManaged", "cuMemAllocManaged", &api->mem_alloc_managed) &&
         Lookup(route, "cuMemFree_v2", "cuMemFree", &api->mem_free) &&
         Lookup(route, pt ? "cuMemAllocAsync_ptsz" : "cuMemAllocAsync", "cuMemAllocAsync",
                &api->mem_alloc_async) &&
         Lookup(route, pt ? "cuMemAllocFromPoolAsync_ptsz" : "cuMemAllocFromPoolAsync",
                "cuMemAllocFromPoolAsync", &api->mem_alloc_from_pool_async) &&
         Lookup(route, pt ? "cuMemFreeAsync_ptsz" : "cuMemFreeAsync", "cuMemFreeAsync",
                &api->mem_free_async) &&
         Lookup(route, "cuMemCreate", "cuMemCreate", &api->mem_create) &&
         Lookup(route, "cuMemRelease", "cuMemRelease", &api->mem_release) &&
         Lookup(route, "cuArrayCreate_v2", "cuArrayCreate", &api->array_create) &&
         Lookup(route, "cuArray3DCreate_v2", "cuArray3DCreate", &api->array_3d_create) &&
         Lookup(route, "cuArrayDestroy", "cuArrayDestroy", &api->array_destroy) &&
         Lookup(route, "cuMipmappedArrayCreate", "cuMipmappedArrayCreate",
                &api->mipmapped_create) &&
         Lookup(route, "cuMipmappedArrayDestroy", "cuMipmappedArrayDestroy",
                &api->mipmapped_destroy) &&
         Lookup(route, "cuMemGetInfo_v2", "cuMemGetInfo", &api->mem_get_info) &&
         Lookup(route, "cuDeviceTotalMem_v2", "cuDeviceTotalMem", &api->device_total_mem) &&
         Lookup(route, pt ? "cuStreamBeginCapture_v2_ptsz" : "cuStreamBeginCapture_v2",
                "cuStreamBeginCapture", &api->stream_begin_capture) &&
         Lookup(route, pt ? "cuStreamEndCapture_ptsz" : "cuStreamEndCapture", "cuStreamEndCapture",
                &api->stream_end_capture);
}

bool ParseSize(std::string_view text, unsigned long long* out) {
  if (text.empty()) return false;
  unsigned long long multiplier = 1;
  switch (text.back()) {
    case 'k': multiplier = 1ull << 10; break;
    case 'm': multiplier = 1ull << 20; break;
    case 'g': multiplier = 1ull << 30; break;
    default: break;
  }
  if (multiplier != 1) text.remove_suffix(1);
  char* end = nullptr;
  const std::string digits(text);
  const unsigned long long v = std::strtoull(digits.c_str(), &end, 10);
  if (end == digits.c_str() || *end != '\0') return false;
  *out = v * multiplier;
  return true;
}

struct Held {
  std::string kind;
  unsigned long long handle;  // pointer, allocation handle or array
  size_t bytes;
  CUdeviceptr va;  // create: the mapped range
  bool live;
};

class Probe {
 public:
  Probe(Api api, CUdevice device) : api_(api), device_(device) {
    cuDeviceGetDefaultMemPool(&pool_, device_);
  }

  CUresult Allocate(const std::string& kind, size_t bytes) {
    Held h{kind, 0, bytes, 0, true};
    CUresult r = CUDA_ERROR_INVALID_VALUE;
    if (kind == "mem") {
      CUdeviceptr p = 0;
      r = api_.mem_alloc(&p, bytes);
      h.handle = p;
    } else if (kind == "pitch") {
      CUdeviceptr p = 0;
      size_t pitch = 0;
      r = api_.mem_alloc_pitch(&p, &pitch, bytes / 64, 64, 4);
      h.handle = p;
    } else if (kind == "managed") {
      CUdeviceptr p = 0;
      r = api_.mem_alloc_managed(&p, bytes, 1 /*CU_MEM_ATTACH_GLOBAL*/);
      h.handle = p;
    } else if (kind == "async") {
      CUdeviceptr p = 0;
      r = api_.mem_alloc_async(&p, bytes, nullptr);
      if (r == CUDA_SUCCESS) cuStreamSynchronize(nullptr);
      h.handle = p;
    } else if (kind == "pool") {
      CUdeviceptr p = 0;
      r = api_.mem_alloc_from_pool_async(&p, bytes, pool_, nullptr);
      if (r == CUDA_SUCCESS) cuStreamSynchronize(nullptr);
      h.handle = p;
    } else if (kind == "create" || kind == "create_host") {
      CUmemAllocationProp prop{};
      prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
      if (kind == "create") {
        prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
        prop.location.id = device_;
      } else {
        // A host-NUMA location: its id is a NUMA node, not a device.
        prop.location.type = CU_MEM_LOCATION_TYPE_HOST_NUMA;
        prop.location.id = 0;
      }
      CUmemGenericAllocationHandle handle = 0;
      r = api_.mem_create(&handle, bytes, &prop, 0);
      h.handle = handle;
      if (r == CUDA_SUCCESS && kind == "create") {
        // Map it, as PyTorch's expandable segments do; the map costs nothing more.
        if (cuMemAddressReserve(&h.va, bytes, 0, 0, 0) == CUDA_SUCCESS) {
          cuMemMap(h.va, bytes, 0, handle, 0);
        }
      }
    } else if (kind == "array") {
      CUDA_ARRAY_DESCRIPTOR d{bytes / 4 / 4096, 4096, CU_AD_FORMAT_FLOAT, 1};
      CUarray a = nullptr;
      r = api_.array_create(&a, &d);
      h.handle = reinterpret_cast<unsigned long long>(a);
    } else if (kind == "array3d") {
      CUDA_ARRAY3D_DESCRIPTOR d{bytes / 4 / 256 / 256, 256, 256, CU_AD_FORMAT_UNSIGNED_INT8, 4, 0};
      CUarray a = nullptr;
      r = api_.array_3d_create(&a, &d);
      h.handle = reinterpret_cast<unsigned long long>(a);
    } else if (kind == "mipmap") {
      // One level: exactly `bytes`.
      CUDA_ARRAY3D_DESCRIPTOR d{bytes / 2 / 256 / 256, 256, 256, CU_AD_FORMAT_HALF, 1, 0};
      CUmipmappedArray a = nullptr;
      r = api_.mipmapped_create(&a, &d, 1);
      h.handle = reinterpret_cast<unsigned long long>(a);
    } else {
      std::fprintf(stderr, "probe: unknown allocation kind %s\n", kind.c_str());
      return CUDA_ERROR_INVALID_VALUE;
    }
    if (r == CUDA_SUCCESS) held_.push_back(h);
    return r;
  }

  CUresult Free(Held& h) {
    if (!h.live) return CUDA_ERROR_INVALID_VALUE;
    h.live = false;
    const std::string& k = h.kind;
    if (k == "mem" || k == "pitch" || k == "managed") return api_.mem_free(h.handle);
    if (k == "async" || k == "pool") {
      CUresult r = api_.mem_free_async(h.handle, nullptr);
      cuStreamSynchronize(nullptr);
      return r;
    }
    if (k == "create" || k == "create_host") {
      if (h.va != 0) {
        cuMemUnmap(h.va, h.bytes);
        cuMemAddressFree(h.va, h.bytes);
      }
      return api_.mem_release(h.handle);
    }
    if (k == "array" || k == "array3d") {
      return api_.array_destroy(reinterpret_cast<CUarray>(h.handle));
    }
    return api_.mipmapped_destroy(reinterpret_cast<CUmipmappedArray>(h.handle));
  }

  std::vector<Held>& held() { return held_; }
  const Api& api() const { return api_; }
  CUdevice device() const { return device_; }

 private:
  Api api_;
  CUdevice device_;
  CUmemoryPool pool_ = nullptr;
  std::vector<Held> held_;
};

bool NvmlMemory(bool v2) {
  void* nvml = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (nvml == nullptr) {
    std::printf("nvml unavailable\n");
    return true;
  }
  auto init = reinterpret_cast<nvmlInit_t>(dlsym(nvml, "nvmlInit_v2"));
  auto handle_by_index =
      reinterpret_cast<nvmlDeviceGetHandleByIndex_t>(dlsym(nvml, "nvmlDeviceGetHandleByIndex_v2"));
  if (init == nullptr || handle_by_index == nullptr || init() != NVML_SUCCESS) return false;
  nvmlDevice_t device = nullptr;
  if (handle_by_index(0, &device) != NVML_SUCCESS) return false;
  if (v2) {
    auto get = reinterpret_cast<nvmlDeviceGetMemoryInfo_v2_t>(
        dlsym(nvml, "nvmlDeviceGetMemoryInfo_v2"));
    nvmlMemory_v2_t m{};
    m.version = nvmlMemory_v2;
    const int r = get ? get(device, &m) : -1;
    std::printf("nvml_v2 total=%llu used=%llu free=%llu -> %d\n", m.total, m.used, m.free, r);
  } else {
    auto get = reinterpret_cast<nvmlDeviceGetMemoryInfo_t>(dlsym(nvml, "nvmlDeviceGetMemoryInfo"));
    nvmlMemory_t m{};
    const int r = get ? get(device, &m) : -1;
    std::printf("nvml total=%llu used=%llu free=%llu -> %d\n", m.total, m.used, m.free, r);
  }
  return true;
}

}  // namespace

// Helpers of the steps added for the fault and stress tests (tests/faults,
// tests/stress).
namespace {

// The spin kernel (probe_kernel.h), loaded into the current context.
CUfunction ProbeKernel() {
  CUmodule module = nullptr;
  CUfunction kernel = nullptr;
  if (cuModuleLoadData(&module, vslice::testing::kSpinKernelPtx) != CUDA_SUCCESS ||
      cuModuleGetFunction(&kernel, module, vslice::testing::kSpinKernelName) != CUDA_SUCCESS) {
    return nullptr;
  }
  return kernel;
}

// One spin kernel on `stream` (the current context's default stream: 0).
CUresult LaunchSpin(CUfunction kernel, CUstream stream = nullptr) {
  vslice::testing::SpinKernelParams spin;
  return cuLaunchKernel(kernel, 1, 1, 1, 1, 1, 1, 0, stream, spin.params, nullptr);
}

constexpr unsigned kStreamNonBlocking = 0x1;  // CU_STREAM_NON_BLOCKING

// The capture step (see the top of this file), in `context`, beginning and
// ending the capture through the route's entry points.
bool CaptureStep(const Api& api, CUcontext context, const std::vector<std::string>& args) {
  const struct {
    const char* name;
    int mode;
  } kModes[] = {{"global", CU_STREAM_CAPTURE_MODE_GLOBAL},
                {"thread_local", CU_STREAM_CAPTURE_MODE_THREAD_LOCAL},
                {"relaxed", CU_STREAM_CAPTURE_MODE_RELAXED}};
  int mode = -1;
  for (const auto& m : kModes) {
    if (args.size() >= 3 && args[2] == m.name) mode = m.mode;
  }
  if (args.size() < 4 || args.size() > 5 || mode < 0 || (args.size() == 5 && args[4] != "busy")) {
    return false;
  }
  const long kernels = std::atol(args[0].c_str());
  const long ms = std::atol(args[1].c_str());
  const int replays = std::atoi(args[3].c_str());
  CUfunction kernel = ProbeKernel();
  CUstream stream = nullptr;
  if (kernel == nullptr || cuStreamCreate(&stream, kStreamNonBlocking) != CUDA_SUCCESS) {
    return false;
  }

  // The other thread's launches are ordinary submissions while the capture
  // lasts: the process keeps asking for the device, so its gate keeps closing.
  std::atomic<bool> captured{false};
  std::atomic<unsigned long long> busy{0};
  std::thread other;
  if (args.size() == 5) {
    other = std::thread([&] {
      cuCtxSetCurrent(context);
      CUstream own = nullptr;
      if (cuStreamCreate(&own, kStreamNonBlocking) != CUDA_SUCCESS) return;
      while (!captured.load() && LaunchSpin(kernel, own) == CUDA_SUCCESS) busy.fetch_add(1);
      cuStreamSynchronize(own);  // after the capture: it would invalidate a global one
      cuStreamDestroy_v2(own);
    });
  }
  const CUresult begin = api.stream_begin_capture(stream, mode);
  std::printf("capture begun\n");
  const auto start = std::chrono::steady_clock::now();
  CUresult launched = CUDA_SUCCESS;
  for (long k = 0; k < kernels && launched == CUDA_SUCCESS; ++k) {
    std::this_thread::sleep_until(start + std::chrono::microseconds(ms * 1000 * k / kernels));
    launched = LaunchSpin(kernel, stream);
  }
  CUgraph graph = nullptr;
  const CUresult end = api.stream_end_capture(stream, &graph);
  std::printf("capture ended\n");
  captured.store(true);
  if (other.joinable()) other.join();
  CUgraphExec exec = nullptr;
  const CUresult instantiate =
      graph != nullptr ? cuGraphInstantiateWithFlags(&exec, graph, 0) : CUDA_ERROR_INVALID_VALUE;
  CUresult replayed = exec != nullptr ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
  for (int r = 0; r < replays && replayed == CUDA_SUCCESS; ++r) {
    replayed = cuGraphLaunch(exec, stream);
  }
  const CUresult synced = cuStreamSynchronize(stream);
  std::printf("capture kernels=%ld mode=%s begin -> %d record -> %d end -> %d instantiate -> %d "
              "launch -> %d sync -> %d busy=%llu\n",
              kernels, args[2].c_str(), begin, launched, end, instantiate, replayed, synced,
              busy.load());
  if (exec != nullptr) cuGraphExecDestroy(exec);
  if (graph != nullptr) cuGraphDestroy(graph);
  cuStreamDestroy_v2(stream);
  return true;
}

// Threads allocating and freeing at random; every thread works in `context`.
void ChurnThreads(const Api& api, CUcontext context, int threads, long ms,
                  unsigned long long seed) {
  std::atomic<unsigned long long> ops{0}, refused{0}, failures{0};
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::milliseconds(ms);
  // VSLICE_PROBE_GRANULE rounds every size up to a multiple of it (the fault
  // tests on a real GPU: its driver allocates in 2 MiB pages).
  const char* granule_text = std::getenv("VSLICE_PROBE_GRANULE");
  const size_t granule = granule_text != nullptr && std::atoll(granule_text) > 0
                             ? static_cast<size_t>(std::atoll(granule_text))
                             : 1;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      if (cuCtxSetCurrent(context) != CUDA_SUCCESS) {
        failures.fetch_add(1);
        return;
      }
      std::mt19937_64 rng(seed * 1000003ull + static_cast<unsigned long long>(t));
      std::vector<CUdeviceptr> live;
      unsigned long long my_ops = 0, my_refused = 0, my_failures = 0;
      for (;;) {
        if ((my_ops & 15) == 0 && std::chrono::steady_clock::now() >= end) break;
        if (!live.empty() && (rng() % 2 == 0 || live.size() >= 16)) {
          const size_t at = rng() % live.size();
          if (api.mem_free(live[at]) != CUDA_SUCCESS) ++my_failures;
          live[at] = live.back();
          live.pop_back();
        } else {
          // Log-uniform from 4 KiB to 64 MiB, not a multiple of anything.
          size_t bytes = (size_t{1} << (12 + rng() % 15)) + rng() % 4096;
          bytes = (bytes + granule - 1) / granule * granule;
          CUdeviceptr p = 0;
          const CUresult r = rng() % 4 == 0 ? api.mem_alloc_managed(&p, bytes, 1)
                                            : api.mem_alloc(&p, bytes);
          if (r == CUDA_SUCCESS) {
            live.push_back(p);
          } else if (r == CUDA_ERROR_OUT_OF_MEMORY) {
            ++my_refused;
          } else {
            ++my_failures;
          }
        }
        ++my_ops;
      }
      for (CUdeviceptr p : live) {
        if (api.mem_free(p) != CUDA_SUCCESS) ++my_failures;
      }
      ops.fetch_add(my_ops);
      refused.fetch_add(my_refused);
      failures.fetch_add(my_failures);
    });
  }
  for (std::thread& w : workers) w.join();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  std::printf("churn_threads threads=%d ops=%llu refused=%llu failures=%llu elapsed_us=%lld\n",
              threads, ops.load(), refused.load(), failures.load(), static_cast<long long>(us));
}

// Threads creating a context, allocating and launching in it, destroying it.
void ContextThreads(const Api& api, CUdevice device, int threads, int iterations) {
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < iterations; ++i) {
        CUcontext context = nullptr;
        if (cuCtxCreate_v2(&context, 0, device) != CUDA_SUCCESS) {
          failures.fetch_add(1);
          continue;
        }
        CUdeviceptr p[3] = {};
        for (CUdeviceptr& q : p) {
          if (api.mem_alloc(&q, 1u << 20) != CUDA_SUCCESS) failures.fetch_add(1);
        }
        // One freed by hand, two left for the context's destruction to free.
        if (p[0] != 0 && api.mem_free(p[0]) != CUDA_SUCCESS) failures.fetch_add(1);
        CUfunction kernel = ProbeKernel();
        const CUresult launched =
            kernel == nullptr ? CUDA_ERROR_INVALID_HANDLE
                              : LaunchSpin(kernel);
        if (launched != CUDA_SUCCESS) failures.fetch_add(1);
        if (cuCtxDestroy_v2(context) != CUDA_SUCCESS) failures.fetch_add(1);
      }
    });
  }
  for (std::thread& w : workers) w.join();
  std::printf("ctx_threads threads=%d iterations=%d failures=%d\n", threads, iterations,
              failures.load());
}

volatile sig_atomic_t g_exit_on_signal = 0;

void OnSignal(int signal) {
  char line[32];
  int n = 0;
  const char prefix[] = "signal ";
  for (const char* c = prefix; *c != '\0'; ++c) line[n++] = *c;
  if (signal >= 10) line[n++] = static_cast<char>('0' + signal / 10);
  line[n++] = static_cast<char>('0' + signal % 10);
  line[n++] = '\n';
  ssize_t ignored = write(1, line, static_cast<size_t>(n));
  (void)ignored;
  if (g_exit_on_signal) _exit(0);
}

// NVML's utilization and process queries, with the layouts of nvml.h.
struct ProbeUtilization {
  unsigned gpu;
  unsigned memory;
};
struct ProbeProcessV1 {
  unsigned pid;
  unsigned long long usedGpuMemory;
};
struct ProbeProcessV2 {
  unsigned pid;
  unsigned long long usedGpuMemory;
  unsigned gpuInstanceId;
  unsigned computeInstanceId;
};

bool NvmlDevice0(void** nvml, nvmlDevice_t* device) {
  *nvml = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (*nvml == nullptr) return false;
  auto init = reinterpret_cast<nvmlInit_t>(dlsym(*nvml, "nvmlInit_v2"));
  auto handle_by_index = reinterpret_cast<nvmlDeviceGetHandleByIndex_t>(
      dlsym(*nvml, "nvmlDeviceGetHandleByIndex_v2"));
  return init != nullptr && handle_by_index != nullptr && init() == NVML_SUCCESS &&
         handle_by_index(0, device) == NVML_SUCCESS;
}

bool NvmlUtilization() {
  void* nvml = nullptr;
  nvmlDevice_t device = nullptr;
  if (!NvmlDevice0(&nvml, &device)) {
    std::printf("nvml unavailable\n");
    return nvml == nullptr;
  }
  using Fn = int (*)(nvmlDevice_t, ProbeUtilization*);
  auto get = reinterpret_cast<Fn>(dlsym(nvml, "nvmlDeviceGetUtilizationRates"));
  ProbeUtilization u{};
  const int r = get ? get(device, &u) : -1;
  std::printf("nvml_util gpu=%u memory=%u -> %d\n", u.gpu, u.memory, r);
  return true;
}

template <typename Info>
bool NvmlProcesses(const char* symbol, const std::string& version) {
  void* nvml = nullptr;
  nvmlDevice_t device = nullptr;
  if (!NvmlDevice0(&nvml, &device)) {
    std::printf("nvml unavailable\n");
    return nvml == nullptr;
  }
  using Fn = int (*)(nvmlDevice_t, unsigned*, Info*);
  auto get = reinterpret_cast<Fn>(dlsym(nvml, symbol));
  if (get == nullptr) {
    std::printf("nvml_procs %s unavailable\n", version.c_str());
    return true;
  }
  // As applications do: ask for the count, then for the entries.
  unsigned count = 0;
  int r = get(device, &count, nullptr);
  std::vector<Info> infos(count + 4);
  unsigned capacity = static_cast<unsigned>(infos.size());
  if (r == NVML_SUCCESS || r == NVML_ERROR_INSUFFICIENT_SIZE) r = get(device, &capacity, infos.data());
  std::printf("nvml_procs %s count=%u", version.c_str(), capacity);
  for (unsigned i = 0; i < capacity && i < infos.size(); ++i) {
    std::printf(" %u:%llu", infos[i].pid, infos[i].usedGpuMemory);
  }
  std::printf(" -> %d\n", r);
  return true;
}

// The capture_errors step (see the top of this file).
bool CaptureErrorsStep(const Api& api) {
  CUfunction kernel = ProbeKernel();
  CUstream stream = nullptr;
  if (kernel == nullptr || cuStreamCreate(&stream, kStreamNonBlocking) != CUDA_SUCCESS) {
    return false;
  }
  const CUresult begin_legacy = api.stream_begin_capture(nullptr, CU_STREAM_CAPTURE_MODE_GLOBAL);
  CUresult sync = CUDA_ERROR_UNKNOWN;
  if (api.stream_begin_capture(stream, CU_STREAM_CAPTURE_MODE_RELAXED) == CUDA_SUCCESS &&
      LaunchSpin(kernel, stream) == CUDA_SUCCESS) {
    sync = cuStreamSynchronize(stream);
  }
  CUgraph graph = nullptr;
  const CUresult end = api.stream_end_capture(stream, &graph);
  const CUresult end_again = api.stream_end_capture(stream, &graph);
  std::printf("capture_errors begin_legacy -> %d sync -> %d end -> %d end_again -> %d\n",
              begin_legacy, sync, end, end_again);
  cuStreamDestroy_v2(stream);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string route = "direct";
  int first = 1;
  if (argc > 2 && std::strcmp(argv[1], "--route") == 0) {
    route = argv[2];
    first = 3;
  }
  CUdevice device = 0;
  CUcontext context = nullptr;
  CUresult r = cuInit(0);
  if (r == CUDA_SUCCESS) r = cuDeviceGet(&device, 0);
  if (r == CUDA_SUCCESS) r = cuDevicePrimaryCtxRetain(&context, device);
  if (r == CUDA_SUCCESS) r = cuCtxSetCurrent(context);
  if (r != CUDA_SUCCESS) {
    std::printf("init -> %d\n", r);
    return 1;
  }
  Api api{};
  if (!RouteApi(route, &api)) return 1;
  Probe probe(api, device);

  for (int i = first; i < argc; ++i) {
    const std::string step = argv[i];
    const auto colon = step.find(':');
    const std::string verb = step.substr(0, colon);
    const std::string rest = colon == std::string::npos ? "" : step.substr(colon + 1);
    if (verb == "alloc") {
      const auto c2 = rest.find(':');
      unsigned long long bytes = 0;
      if (c2 == std::string::npos || !ParseSize(rest.substr(c2 + 1), &bytes)) {
        std::fprintf(stderr, "probe: bad step %s\n", step.c_str());
        return 1;
      }
      const std::string kind = rest.substr(0, c2);
      std::printf("alloc %s %llu -> %d\n", kind.c_str(), bytes, probe.Allocate(kind, bytes));
    } else if (verb == "alloc_retry") {
      const auto c2 = rest.find(':');
      const auto c3 = c2 == std::string::npos ? c2 : rest.find(':', c2 + 1);
      unsigned long long bytes = 0;
      if (c3 == std::string::npos || !ParseSize(rest.substr(c2 + 1, c3 - c2 - 1), &bytes)) {
        std::fprintf(stderr, "probe: bad step %s (expected alloc_retry:KIND:SIZE:MS)\n",
                     step.c_str());
        return 1;
      }
      const std::string kind = rest.substr(0, c2);
      const auto deadline = std::chrono::steady_clock::now() +
                            std::chrono::milliseconds(std::atoll(rest.c_str() + c3 + 1));
      int tries = 0;
      CUresult r;
      do {
        if (tries > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        r = probe.Allocate(kind, bytes);
        ++tries;
      } while (r == CUDA_ERROR_OUT_OF_MEMORY && std::chrono::steady_clock::now() < deadline);
      std::printf("alloc %s %llu -> %d tries=%d\n", kind.c_str(), bytes, r, tries);
    } else if (verb == "free") {
      const size_t n = std::strtoul(rest.c_str(), nullptr, 10);
      if (n >= probe.held().size()) {
        std::fprintf(stderr, "probe: no allocation %zu\n", n);
        return 1;
      }
      std::printf("free %zu -> %d\n", n, probe.Free(probe.held()[n]));
    } else if (verb == "freeall") {
      int failures = 0;
      for (Held& h : probe.held()) {
        if (h.live && probe.Free(h) != CUDA_SUCCESS) ++failures;
      }
      std::printf("freeall failures=%d\n", failures);
    } else if (verb == "mipmap") {
      unsigned long long w = 0, h = 0, d = 0;
      char flags_name[16] = "";
      unsigned levels = 0;
      std::sscanf(rest.c_str(), "%llux%llux%llu:%15[a-z_]:%u", &w, &h, &d, flags_name, &levels);
      const std::string name = flags_name;
      const unsigned flags = name == "layered"        ? CUDA_ARRAY3D_LAYERED
                             : name == "cube"         ? CUDA_ARRAY3D_CUBEMAP
                             : name == "cube_layered" ? CUDA_ARRAY3D_CUBEMAP | CUDA_ARRAY3D_LAYERED
                                                      : 0u;
      CUDA_ARRAY3D_DESCRIPTOR desc{w, h, d, CU_AD_FORMAT_UNSIGNED_INT8, 1, flags};
      CUmipmappedArray array = nullptr;
      const CUresult mr = probe.api().mipmapped_create(&array, &desc, levels);
      std::printf("mipmap %llux%llux%llu %s %u -> %d\n", w, h, d, flags_name, levels, mr);
    } else if (verb == "info") {
      size_t free_bytes = 0, total = 0;
      const CUresult ir = probe.api().mem_get_info(&free_bytes, &total);
      std::printf("info free=%zu total=%zu -> %d\n", free_bytes, total, ir);
    } else if (verb == "totalmem") {
      size_t total = 0;
      const CUresult tr = probe.api().device_total_mem(&total, probe.device());
      std::printf("totalmem %zu -> %d\n", total, tr);
    } else if (verb == "nvml" || verb == "nvml_v2") {
      if (!NvmlMemory(verb == "nvml_v2")) return 1;
    } else if (verb == "nvml_util") {
      if (!NvmlUtilization()) return 1;
    } else if (verb == "nvml_procs") {
      const std::string version = rest.empty() ? "v3" : rest;
      bool ok = false;
      if (version == "v1") {
        ok = NvmlProcesses<ProbeProcessV1>("nvmlDeviceGetComputeRunningProcesses", version);
      } else if (version == "v2" || version == "v3") {
        ok = NvmlProcesses<ProbeProcessV2>(
            version == "v2" ? "nvmlDeviceGetComputeRunningProcesses_v2"
                            : "nvmlDeviceGetComputeRunningProcesses_v3",
            version);
      } else {
        std::fprintf(stderr, "probe: bad step %s\n", step.c_str());
        return 1;
      }
      if (!ok) return 1;
    } else if (verb == "fill") {
      unsigned long long block = 0;
      if (!ParseSize(rest, &block) || block == 0) return 1;
      unsigned long long count = 0;
      CUresult fr = CUDA_SUCCESS;
      while ((fr = probe.Allocate("mem", block)) == CUDA_SUCCESS) ++count;
      std::printf("fill %llu blocks %llu bytes -> %d\n", count, count * block, fr);
    } else if (verb == "reset") {
      const CUresult rr = cuDevicePrimaryCtxReset_v2(device);
      for (Held& h : probe.held()) h.live = false;
      cuDevicePrimaryCtxRetain(&context, device);
      cuCtxSetCurrent(context);
      std::printf("reset -> %d\n", rr);
    } else if (verb == "hold") {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(rest.c_str())));
    } else if (verb == "at") {
      const auto when = std::chrono::system_clock::time_point(
          std::chrono::milliseconds(std::atoll(rest.c_str())));
      std::this_thread::sleep_until(when);
    } else if (verb == "ready") {
      std::printf("ready\n");
      std::fflush(stdout);
    } else if (verb == "wait") {
      char buffer[64];
      while (read(0, buffer, sizeof buffer) > 0) {
      }
    } else if (verb == "spin") {
      CUfunction kernel = ProbeKernel();
      if (kernel == nullptr) {
        std::fprintf(stderr, "probe: cannot load a kernel\n");
        return 1;
      }
      const auto start = std::chrono::steady_clock::now();
      const auto end = start + std::chrono::milliseconds(std::atol(rest.c_str()));
      unsigned long long kernels = 0;
      while (std::chrono::steady_clock::now() < end) {
        if (LaunchSpin(kernel) != CUDA_SUCCESS) {
          std::fprintf(stderr, "probe: launch failed\n");
          return 1;
        }
        ++kernels;
      }
      cuCtxSynchronize();
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - start)
                          .count();
      std::printf("spin kernels=%llu elapsed_us=%lld\n", kernels, static_cast<long long>(us));
    } else if (verb == "churn") {
      const auto c2 = rest.find(':');
      const long ms = std::atol(rest.substr(0, c2).c_str());
      std::mt19937_64 rng(c2 == std::string::npos ? 1 : std::stoull(rest.substr(c2 + 1)));
      std::vector<CUdeviceptr> live;
      unsigned long long ops = 0, refused = 0;
      const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
      while (std::chrono::steady_clock::now() < end) {
        if (!live.empty() && (rng() % 2 == 0 || live.size() > 32)) {
          const size_t at = rng() % live.size();
          probe.api().mem_free(live[at]);
          live[at] = live.back();
          live.pop_back();
        } else {
          CUdeviceptr p = 0;
          const size_t bytes = (1 + rng() % 64) << 20;
          if (probe.api().mem_alloc(&p, bytes) == CUDA_SUCCESS) {
            live.push_back(p);
          } else {
            ++refused;
          }
        }
        ++ops;
      }
      for (CUdeviceptr p : live) probe.api().mem_free(p);
      std::printf("churn ops=%llu refused=%llu\n", ops, refused);
    } else if (verb == "churn_threads") {
      const auto parts = SplitColons(rest);
      if (parts.size() != 3) {
        std::fprintf(stderr, "probe: bad step %s\n", step.c_str());
        return 1;
      }
      ChurnThreads(probe.api(), context, std::atoi(parts[0].c_str()), std::atol(parts[1].c_str()),
                   std::stoull(parts[2]));
    } else if (verb == "fork") {
      std::fflush(stdout);
      const pid_t child = fork();
      if (child < 0) {
        std::fprintf(stderr, "probe: fork failed\n");
        return 1;
      }
      if (child == 0) {
        if (rest == "exec") {
          execl("/proc/self/exe", argv[0], "alloc:mem:64m", "info", static_cast<char*>(nullptr));
          _exit(127);
        }
        CUdeviceptr p = 0;
        const CUresult a = probe.api().mem_alloc(&p, 64u << 20);
        size_t free_bytes = 0, total = 0;
        const CUresult in = probe.api().mem_get_info(&free_bytes, &total);
        // The parent's allocation: the child must not give its bytes back.
        CUresult f = CUDA_ERROR_INVALID_VALUE;
        for (Held& h : probe.held()) {
          if (h.live) {
            f = probe.Free(h);
            break;
          }
        }
        const CUresult sy = cuCtxSynchronize();
        std::printf("fork child alloc -> %d info -> %d free -> %d sync -> %d\n", a, in, f, sy);
        std::fflush(stdout);
        std::exit(0);  // destructors and atexit handlers run, as in an application
      }
      int status = 0;
      while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
      }
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      std::printf("fork %s child exit=%d\n", rest.c_str(), code);
    } else if (verb == "launch") {
      const long n = std::atol(rest.c_str());
      CUfunction kernel = ProbeKernel();
      long failures = kernel == nullptr ? 1 : 0;
      for (long k = 0; k < n && kernel != nullptr; ++k) {
        const CUresult launched = LaunchSpin(kernel);
        if (launched != CUDA_SUCCESS) ++failures;
      }
      std::printf("launch kernels=%ld failures=%ld\n", n, failures);
    } else if (verb == "requests") {
      const auto parts = SplitColons(rest);
      CUfunction kernel = ProbeKernel();
      if (parts.size() != 3 || kernel == nullptr) {
        std::fprintf(stderr, "probe: bad step %s (or no kernel)\n", step.c_str());
        return 1;
      }
      const long kernels = std::atol(parts[1].c_str());
      CUresult rr = CUDA_SUCCESS;
      const bool done = RunRequests(
          std::atol(parts[0].c_str()), std::chrono::milliseconds(std::atol(parts[2].c_str())),
          [&] {
            for (long k = 0; k < kernels && rr == CUDA_SUCCESS; ++k) rr = LaunchSpin(kernel);
            if (rr == CUDA_SUCCESS) rr = cuCtxSynchronize();
            return rr == CUDA_SUCCESS;
          });
      if (!done) {
        std::fprintf(stderr, "probe: a request failed: %d\n", static_cast<int>(rr));
        return 1;
      }
    } else if (verb == "sync") {
      std::printf("sync -> %d\n", cuCtxSynchronize());
    } else if (verb == "ctx_threads") {
      const auto parts = SplitColons(rest);
      if (parts.size() != 2) {
        std::fprintf(stderr, "probe: bad step %s\n", step.c_str());
        return 1;
      }
      ContextThreads(probe.api(), device, std::atoi(parts[0].c_str()), std::atoi(parts[1].c_str()));
      cuCtxSetCurrent(context);
    } else if (verb == "capture") {
      if (!CaptureStep(probe.api(), context, SplitColons(rest))) {
        std::fprintf(stderr, "probe: bad step %s (expected capture:N:MS:MODE:REPLAYS[:busy])\n",
                     step.c_str());
        return 1;
      }
    } else if (verb == "capture_errors") {
      if (!CaptureErrorsStep(probe.api())) {
        std::fprintf(stderr, "probe: cannot set up %s\n", step.c_str());
        return 1;
      }
    } else if (verb == "on_signal") {
      g_exit_on_signal = rest == "exit" ? 1 : 0;
      struct sigaction action {};
      action.sa_handler = &OnSignal;
      sigemptyset(&action.sa_mask);
      sigaction(SIGTERM, &action, nullptr);
      sigaction(SIGINT, &action, nullptr);
    } else {
      std::fprintf(stderr, "probe: unknown step %s\n", step.c_str());
      return 1;
    }
  }
  return 0;
}
