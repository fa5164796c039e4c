// Simulated driver: initialisation, devices, contexts and error strings.
#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/sim_clock.h"
#include "common/sim_uuid.h"
#include "cuda/cuda_state.h"
#include "cuda/sim_cuda_exports.h"

namespace vslice::sim::cudasim {

Globals& G() {
  static Globals* const g = new Globals;
  return *g;
}

namespace {

thread_local std::vector<Ctx*> tls_context_stack;

// fork(): the child is another process. Real CUDA refuses to work in a child
// of a process that initialised it; so does the simulator. The child also
// drops its copy of the state-file descriptor so that, if the parent dies
// first, the parent's liveness lock goes away with it.
void AtForkChild() {
  Globals& g = G();
  if (g.init_ok.load()) {
    g.forked_child.store(true);
    g.shared.AfterForkInChild();
  }
}

__attribute__((constructor)) void OnLoad() { pthread_atfork(nullptr, nullptr, AtForkChild); }

// A process that exits returns its device memory at once, as on a GPU. (One
// that dies is reclaimed by the next process that looks.)
__attribute__((destructor)) void OnUnload() {
  Globals& g = G();
  if (g.init_ok.load() && !g.forked_child.load()) g.shared.ReleaseSlot();
}

bool EnvSet(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0';
}

Ctx* NewContextLocked(int device, bool primary) {
  Globals& g = G();
  g.all_contexts.push_back(std::make_unique<Ctx>());
  Ctx* c = g.all_contexts.back().get();
  c->id = g.next_id++;
  c->device = device;
  c->primary = primary;
  auto legacy = std::make_shared<Stream>();
  legacy->ctx = c;
  legacy->kind = StreamKind::kLegacy;
  c->legacy = std::move(legacy);
  g.contexts.insert(c);
  return c;
}

CUresult ActivateLocked(Ctx* c) {
  Globals& g = G();
  if (const CUresult r = ChargeLocked(c->device, g.context_memory); r != CUDA_SUCCESS) return r;
  g.shared.AddContexts(c->device, 1);
  c->active.store(true);
  return CUDA_SUCCESS;
}

void DeactivateLocked(Ctx* c) {
  Globals& g = G();
  if (!c->active.load()) return;
  ReleaseExecResourcesLocked(c);
  ReleaseContextResourcesLocked(c);
  UnchargeLocked(c->device, g.context_memory);
  g.shared.AddContexts(c->device, -1);
  c->active.store(false);
}

CUresult CtxCreateImpl(CUcontext* pctx, unsigned flags, CUdevice dev) {
  SIM_CHECK_INIT();
  if (pctx == nullptr || (flags & ~CU_CTX_FLAGS_MASK) != 0) return CUDA_ERROR_INVALID_VALUE;
  if (const CUresult r = CheckDevice(dev); r != CUDA_SUCCESS) return r;
  Globals& g = G();
  Ctx* c = nullptr;
  {
    std::lock_guard<std::mutex> lock(g.mu);
    c = NewContextLocked(dev, false);
    c->flags = flags;
    if (const CUresult r = ActivateLocked(c); r != CUDA_SUCCESS) {
      g.contexts.erase(c);
      return r;
    }
  }
  ContextStack().push_back(c);
  *pctx = Handle<CUctx_st>(c);
  return CUDA_SUCCESS;
}

CUresult CtxDestroyImpl(CUcontext ctx) {
  SIM_CHECK_INIT();
  if (ctx == nullptr) return CUDA_ERROR_INVALID_VALUE;
  Globals& g = G();
  Ctx* c = Handle<Ctx>(ctx);
  {
    std::lock_guard<std::mutex> lock(g.mu);
    if (g.contexts.count(c) == 0 || c->primary || !c->active.load()) {
      return CUDA_ERROR_INVALID_CONTEXT;
    }
    DeactivateLocked(c);
    g.contexts.erase(c);
  }
  std::vector<Ctx*>& stack = ContextStack();
  if (!stack.empty() && stack.back() == c) stack.pop_back();
  return CUDA_SUCCESS;
}

CUresult ValidContext(CUcontext ctx, Ctx** out) {
  Globals& g = G();
  Ctx* c = Handle<Ctx>(ctx);
  std::lock_guard<std::mutex> lock(g.mu);
  if (g.contexts.count(c) == 0) return CUDA_ERROR_INVALID_CONTEXT;
  *out = c;
  return CUDA_SUCCESS;
}

CUresult PrimaryRelease(CUdevice dev) {
  SIM_CHECK_INIT();
  if (const CUresult r = CheckDevice(dev); r != CUDA_SUCCESS) return r;
  Globals& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  Ctx* c = g.primary[dev];
  if (c->refcount == 0) return CUDA_ERROR_INVALID_CONTEXT;
  if (--c->refcount == 0) DeactivateLocked(c);
  return CUDA_SUCCESS;
}

CUresult PrimaryReset(CUdevice dev) {
  SIM_CHECK_INIT();
  if (const CUresult r = CheckDevice(dev); r != CUDA_SUCCESS) return r;
  Globals& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  Ctx* c = g.primary[dev];
  DeactivateLocked(c);
  c->refcount = 0;
  return CUDA_SUCCESS;
}

CUresult PrimarySetFlags(CUdevice dev, unsigned flags, bool allow_active) {
  SIM_CHECK_INIT();
  if (const CUresult r = CheckDevice(dev); r != CUDA_SUCCESS) return r;
  if ((flags & ~CU_CTX_FLAGS_MASK) != 0) return CUDA_ERROR_INVALID_VALUE;
  Globals& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  Ctx* c = g.primary[dev];
  if (!allow_active && c->active.load()) return CUDA_ERROR_PRIMARY_CONTEXT_ACTIVE;
  c->flags = flags;
  return CUDA_SUCCESS;
}

struct ErrorInfo {
  CUresult code;
  const char* name;
  const char* text;
};

constexpr ErrorInfo kErrors[] = {
    {0, "CUDA_SUCCESS", "no error"},
    {1, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {3, "CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
    {4, "CUDA_ERROR_DEINITIALIZED", "driver shutting down"},
    {5, "CUDA_ERROR_PROFILER_DISABLED", "profiler disabled while using external profiling tool"},
    {100, "CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"},
    {101, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"},
    {200, "CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"},
    {201, "CUDA_ERROR_INVALID_CONTEXT", "invalid device context"},
    {209, "CUDA_ERROR_NO_BINARY_FOR_GPU", "no kernel image is available for execution on the device"},
    {218, "CUDA_ERROR_INVALID_PTX", "a PTX JIT compilation failed"},
    {301, "CUDA_ERROR_FILE_NOT_FOUND", "file not found"},
    {400, "CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"},
    {401, "CUDA_ERROR_ILLEGAL_STATE", "the operation cannot be performed in the present state"},
    {500, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
    {600, "CUDA_ERROR_NOT_READY", "device not ready"},
    {700, "CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"},
    {701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", "too many resources requested for launch"},
    {708, "CUDA_ERROR_PRIMARY_CONTEXT_ACTIVE", "primary context active"},
    {709, "CUDA_ERROR_CONTEXT_IS_DESTROYED", "context is destroyed"},
    {719, "CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"},
    {720, "CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE", "too many blocks in cooperative launch"},
    {800, "CUDA_ERROR_NOT_PERMITTED", "operation not permitted"},
    {801, "CUDA_ERROR_NOT_SUPPORTED", "operation not supported"},
    {900, "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED", "operation not permitted when stream is capturing"},
    {901, "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED", "operation failed due to a previous error during capture"},
    {903, "CUDA_ERROR_STREAM_CAPTURE_UNMATCHED", "capture was not ended in the same stream as it began"},
    {906, "CUDA_ERROR_STREAM_CAPTURE_IMPLICIT", "operation would make the legacy stream depend on a capturing blocking stream"},
    {907, "CUDA_ERROR_CAPTURED_EVENT", "operation not permitted on an event last recorded in a capturing stream"},
    {908, "CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD", "attempt to terminate a thread-local capture sequence from another thread"},
    {999, "CUDA_ERROR_UNKNOWN", "unknown error"},
};

const ErrorInfo* FindError(CUresult code) {
  for (const ErrorInfo& e : kErrors) {
    if (e.code == code) return &e;
  }
  return nullptr;
}

}  // namespace

CUresult CheckInit() {
  const Globals& g = G();
  if (g.forked_child.load(std::memory_order_relaxed)) return CUDA_ERROR_NOT_INITIALIZED;
  if (!g.init_ok.load(std::memory_order_acquire)) return CUDA_ERROR_NOT_INITIALIZED;
  return CUDA_SUCCESS;
}

std::vector<Ctx*>& ContextStack() { return tls_context_stack; }

CUresult CurrentContext(Ctx** out) {
  const std::vector<Ctx*>& stack = tls_context_stack;
  if (stack.empty() || stack.back() == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
  Ctx* c = stack.back();
  if (!c->active.load()) return CUDA_ERROR_CONTEXT_IS_DESTROYED;
  *out = c;
  return CUDA_SUCCESS;
}

CUresult CheckDevice(CUdevice dev) {
  return (dev >= 0 && dev < G().device_count) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_DEVICE;
}

CUresult ChargeLocked(int device, std::uint64_t bytes) {
  return G().shared.Charge(device, bytes) ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
}

void UnchargeLocked(int device, std::uint64_t bytes) { G().shared.Uncharge(device, bytes); }

void AtomicMax(std::atomic<std::uint64_t>& a, std::uint64_t v) {
  std::uint64_t cur = a.load();
  while (cur < v && !a.compare_exchange_weak(cur, v)) {
  }
}

}  // namespace vslice::sim::cudasim

namespace vslice::cuda {
using namespace vslice::sim::cudasim;  // NOLINT
using vslice::sim::MonoNs;
using vslice::sim::SleepUntilNs;

extern "C" {

CUresult cuInit(unsigned Flags) {
  if (Flags != 0) return CUDA_ERROR_INVALID_VALUE;
  Globals& g = G();
  if (g.forked_child.load()) return CUDA_ERROR_NOT_INITIALIZED;
  std::lock_guard<std::mutex> init_lock(g.init_mu);
  if (g.init_attempted) {
    if (g.init_ok.load()) g.shared.ReclaimDead();
    return g.init_result;
  }
  g.init_attempted = true;

  vslice::sim::SharedState::OpenOptions options;
  options.component = "libcuda";
  options.config = vslice::sim::ReadSimConfig("libcuda");
  options.devices_from_env = EnvSet("VSLICE_SIM_DEVICES");
  options.memory_from_env = EnvSet("VSLICE_SIM_MEMORY");
  options.claim_slot = true;
  g.cfg = options.config;
  if (!g.shared.Open(options)) {
    g.init_result = CUDA_ERROR_NOT_INITIALIZED;
    return g.init_result;
  }
  g.device_count = g.shared.device_count();
  if (g.device_count == 0) {
    g.shared.ReleaseSlot();
    g.init_result = CUDA_ERROR_NO_DEVICE;
    return g.init_result;
  }
  g.kernel_ns = g.cfg.kernel_us * 1000;
  g.context_memory = g.cfg.context_memory;
  {
    std::lock_guard<std::mutex> lock(g.mu);
    for (int d = 0; d < g.device_count; ++d) {
      g.primary[d] = NewContextLocked(d, true);
      auto pool = std::make_shared<Pool>();
      pool->device = d;
      pool->is_default = true;
      CUmemoryPool handle = Handle<CUmemPoolHandle_st>(pool.get());
      g.pools.emplace(handle, std::move(pool));
      g.default_pool[d] = handle;
      g.current_pool[d] = handle;
    }
  }
  g.init_result = CUDA_SUCCESS;
  g.init_ok.store(true, std::memory_order_release);
  return CUDA_SUCCESS;
}

CUresult cuDriverGetVersion(int* driverVersion) {
  if (driverVersion == nullptr) return CUDA_ERROR_INVALID_VALUE;
  *driverVersion = kDriverVersion;
  return CUDA_SUCCESS;
}

CUresult cuGetErrorString(CUresult error, const char** pStr) {
  if (pStr == nullptr) return CUDA_ERROR_INVALID_VALUE;
  const ErrorInfo* e = FindError(error);
  *pStr = e ? e->text : nullptr;
  return e ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

CUresult cuGetErrorName(CUresult error, const char** pStr) {
  if (pStr == nullptr) return CUDA_ERROR_INVALID_VALUE;
  const ErrorInfo* e = FindError(error);
  *pStr = e ? e->name : nullptr;
  return e ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

// ---- Devices ---------------------------------------------------------------

CUresult cuDeviceGet(CUdevice* device, int ordinal) {
  SIM_CHECK_INIT();
  if (device == nullptr) return CUDA_ERROR_INVALID_VALUE;
  if (const CUresult r = CheckDevice(ordinal); r != CUDA_SUCCESS) return r;
  *device = ordinal;
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetCount(int* count) {
  SIM_CHECK_INIT();
  if (count == nullptr) return CUDA_ERROR_INVALID_VALUE;
  *count = G().device_count;
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetName(char* name, int len, CUdevice dev) {
  SIM_CHECK_INIT();
  if (name == nullptr || len <= 0) return CUDA_ERROR_INVALID_VALUE;
  if (const CUresult r = CheckDevice(dev); r != CUDA_SUCCESS) return r;
  std::snprintf(name, static_cast<std::size_t>(len), "%s", vslice::sim::kDeviceName);
  return CUDA_SUCCESS;
}

static CUresult DeviceUuid(CUuuid* uuid, CUdevice dev) {
  SIM_CHECK_INIT();
  if (uuid == nullptr) return CUDA_ERROR_INVALID_VALUE;
  if (const CUresult r = CheckDevice(dev); r != CUDA_SUCCESS) return r;
  unsigned char bytes[16];
  vslice::sim::DeviceUuidBytes(dev, bytes);
  std::memcpy(uuid->bytes, bytes, 16);
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetUuid(CUuuid* uuid, CUdevice dev) { return DeviceUuid(uuid, dev); }
CUresult cuDeviceGetUuid_v2(CUuuid* uuid, CUdevice dev) { return DeviceUuid(uuid, dev); }

CUresult cuDeviceTotalMem_v2(std::size_t* bytes, CUdevice dev) {
  SIM_CHECK_INIT();
  if (bytes == nullptr) return CUDA_ERROR_INVALID_VALUE;
  if (const CUresult r = CheckDevice(dev); r != CUDA_SUCCESS) return r;
  *bytes = G().shared.Total(dev);
  return CUDA_SUCCESS;
}

CUresult cuDeviceTotalMem(unsigned int* bytes, CUdevice dev) {
  SIM_CHECK_INIT();
  if (bytes == nullptr) return CUDA_ERROR_INVALID_VALUE;
  if (const CUresult r = CheckDevice(dev); r != CUDA_SUCCESS) return r;
  const std::uint64_t total = G().shared.Total(dev);
  *bytes = total > UINT32_MAX ? UINT32_MAX : static_cast<unsigned>(total);
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetAttribute(int* pi, CUdevice_attribute attrib, CUdevice dev) {
  SIM_CHECK_INIT();
  if (pi == nullptr) return CUDA_ERROR_INVALID_VALUE;
  if (const CUresult r = CheckDevice(dev); r != CUDA_SUCCESS) return r;
  switch (attrib) {
    case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: *pi = kMultiprocessors; break;
    case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *pi = 9; break;
    case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *pi = 0; break;
    case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *pi = 1024; break;
    case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X: *pi = 1024; break;
    case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y: *pi = 1024; break;
    case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z: *pi = 64; break;
    case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X: *pi = 2147483647; break;
    case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y: *pi = 65535; break;
    case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z: *pi = 65535; break;
    case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK: *pi = 49152; break;
    case CU_DEVICE_ATTRIBUTE_WARP_SIZE: *pi = 32; break;
    case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR: *pi = 2048; break;
    case CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING: *pi = 1; break;
    case CU_DEVICE_ATTRIBUTE_PCI_BUS_ID: *pi = dev + 1; break;
    case CU_DEVICE_ATTRIBUTE_PCI_DEVICE_ID: *pi = 0; break;
    case CU_DEVICE_ATTRIBUTE_PCI_DOMAIN_ID: *pi = 0; break;
    default: *pi = 0; break;  // everything else reads as 0
  }
  return CUDA_SUCCESS;
}

CUresult cuDeviceComputeCapability(int* major, int* minor, CUdevice dev) {
  SIM_CHECK_INIT();
  if (major == nullptr || minor == nullptr) return CUDA_ERROR_INVALID_VALUE;
  if (const CUresult r = CheckDevice(dev); r != CUDA_SUCCESS) return r;
  *major = 9;
  *minor = 0;
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetPCIBusId(char* pciBusId, int len, CUdevice dev) {
  SIM_CHECK_INIT();
  if (pciBusId == nullptr || len <= 0) return CUDA_ERROR_INVALID_VALUE;
  if (const CUresult r = CheckDevice(dev); r != CUDA_SUCCESS) return r;
  std::snprintf(pciBusId, static_cast<std::size_t>(len), "0000:%02X:00.0", dev + 1);
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetByPCIBusId(CUdevice* dev, const char* pciBusId) {
  SIM_CHECK_INIT();
  if (dev == nullptr || pciBusId == nullptr) return CUDA_ERROR_INVALID_VALUE;
  unsigned domain = 0, bus = 0, device = 0, function = 0;
  if (std::sscanf(pciBusId, "%x:%x:%x.%x", &domain, &bus, &device, &function) != 4) {
    domain = 0;
    if (std::sscanf(pciBusId, "%x:%x.%x", &bus, &device, &function) != 3) {
      return CUDA_ERROR_INVALID_VALUE;
    }
  }
  const int index = static_cast<int>(bus) - 1;
  if (domain != 0 || device != 0 || function != 0 || CheckDevice(index) != CUDA_SUCCESS) {
    return CUDA_ERROR_INVALID_DEVICE;
  }
  *dev = index;
  return CUDA_SUCCESS;
}

// ---- Contexts --------------------------------------------------------------

CUresult cuDevicePrimaryCtxRetain(CUcontext* pctx, CUdevice dev) {
  SIM_CHECK_INIT();
  if (pctx == nullptr) return CUDA_ERROR_INVALID_VALUE;
  if (const CUresult r = CheckDevice(dev); r != CUDA_SUCCESS) return r;
  Globals& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  Ctx* c = g.primary[dev];
  if (c->refcount == 0) {
    if (const CUresult r = ActivateLocked(c); r != CUDA_SUCCESS) return r;
  }
  ++c->refcount;
  *pctx = Handle<CUctx_st>(c);
  return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxRelease(CUdevice dev) { return PrimaryRelease(dev); }
CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev) { return PrimaryRelease(dev); }
CUresult cuDevicePrimaryCtxReset(CUdevice dev) { return PrimaryReset(dev); }
CUresult cuDevicePrimaryCtxReset_v2(CUdevice dev) { return PrimaryReset(dev); }

CUresult cuDevicePrimaryCtxGetState(CUdevice dev, unsigned* flags, int* active) {
  SIM_CHECK_INIT();
  if (flags == nullptr || active == nullptr) return CUDA_ERROR_INVALID_VALUE;
  if (const CUresult r = CheckDevice(dev); r != CUDA_SUCCESS) return r;
  Globals& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  *flags = g.primary[dev]->flags;
  *active = g.primary[dev]->active.load() ? 1 : 0;
  return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxSetFlags(CUdevice dev, unsigned flags) {
  return PrimarySetFlags(dev, flags, /*allow_active=*/false);
}
CUresult cuDevicePrimaryCtxSetFlags_v2(CUdevice dev, unsigned flags) {
  return PrimarySetFlags(dev, flags, /*allow_active=*/true);
}

CUresult cuCtxCreate(CUcontext* pctx, unsigned flags, CUdevice dev) {
  return CtxCreateImpl(pctx, flags, dev);
}
CUresult cuCtxCreate_v2(CUcontext* pctx, unsigned flags, CUdevice dev) {
  return CtxCreateImpl(pctx, flags, dev);
}
CUresult cuCtxCreate_v3(CUcontext* pctx, void* paramsArray, int numParams, unsigned flags,
                        CUdevice dev) {
  if (numParams < 0 || (numParams > 0 && paramsArray == nullptr)) return CUDA_ERROR_INVALID_VALUE;
  return CtxCreateImpl(pctx, flags, dev);  // execution affinity is not simulated
}
CUresult cuCtxCreate_v4(CUcontext* pctx, void* ctxCreateParams, unsigned flags, CUdevice dev) {
  (void)ctxCreateParams;  // affinity / CIG parameters are not simulated
  return CtxCreateImpl(pctx, flags, dev);
}

CUresult cuCtxDestroy(CUcontext ctx) { return CtxDestroyImpl(ctx); }
CUresult cuCtxDestroy_v2(CUcontext ctx) { return CtxDestroyImpl(ctx); }

CUresult cuCtxSetCurrent(CUcontext ctx) {
  SIM_CHECK_INIT();
  std::vector<Ctx*>& stack = ContextStack();
  if (ctx == nullptr) {
    if (!stack.empty()) stack.pop_back();
    return CUDA_SUCCESS;
  }
  Ctx* c = nullptr;
  if (const CUresult r = ValidContext(ctx, &c); r != CUDA_SUCCESS) return r;
  if (stack.empty()) {
    stack.push_back(c);
  } else {
    stack.back() = c;
  }
  return CUDA_SUCCESS;
}

CUresult cuCtxGetCurrent(CUcontext* pctx) {
  SIM_CHECK_INIT();
  if (pctx == nullptr) return CUDA_ERROR_INVALID_VALUE;
  const std::vector<Ctx*>& stack = ContextStack();
  *pctx = stack.empty() ? nullptr : Handle<CUctx_st>(stack.back());
  return CUDA_SUCCESS;
}

static CUresult PushCurrent(CUcontext ctx) {
  SIM_CHECK_INIT();
  if (ctx == nullptr) return CUDA_ERROR_INVALID_VALUE;
  Ctx* c = nullptr;
  if (const CUresult r = ValidContext(ctx, &c); r != CUDA_SUCCESS) return r;
  ContextStack().push_back(c);
  return CUDA_SUCCESS;
}

static CUresult PopCurrent(CUcontext* pctx) {
  SIM_CHECK_INIT();
  std::vector<Ctx*>& stack = ContextStack();
  if (stack.empty()) return CUDA_ERROR_INVALID_CONTEXT;
  if (pctx != nullptr) *pctx = Handle<CUctx_st>(stack.back());
  stack.pop_back();
  return CUDA_SUCCESS;
}

CUresult cuCtxPushCurrent(CUcontext ctx) { return PushCurrent(ctx); }
CUresult cuCtxPushCurrent_v2(CUcontext ctx) { return PushCurrent(ctx); }
CUresult cuCtxPopCurrent(CUcontext* pctx) { return PopCurrent(pctx); }
CUresult cuCtxPopCurrent_v2(CUcontext* pctx) { return PopCurrent(pctx); }

CUresult cuCtxGetDevice(CUdevice* device) {
  SIM_CHECK_INIT();
  if (device == nullptr) return CUDA_ERROR_INVALID_VALUE;
  Ctx* c = nullptr;
  if (const CUresult r = CurrentContext(&c); r != CUDA_SUCCESS) return r;
  *device = c->device;
  return CUDA_SUCCESS;
}

CUresult cuCtxGetFlags(unsigned* flags) {
  SIM_CHECK_INIT();
  if (flags == nullptr) return CUDA_ERROR_INVALID_VALUE;
  Ctx* c = nullptr;
  if (const CUresult r = CurrentContext(&c); r != CUDA_SUCCESS) return r;
  std::lock_guard<std::mutex> lock(G().mu);
  *flags = c->flags;
  return CUDA_SUCCESS;
}

CUresult cuCtxSynchronize(void) {
  SIM_CHECK_INIT();
  Ctx* c = nullptr;
  if (const CUresult r = CurrentContext(&c); r != CUDA_SUCCESS) return r;
  if (const CUresult r = CheckUnsafeCall(); r != CUDA_SUCCESS) return r;
  vslice::sim::SleepUntilNs(c->last_end_all.load());
  return CUDA_SUCCESS;
}

CUresult cuCtxGetStreamPriorityRange(int* leastPriority, int* greatestPriority) {
  SIM_CHECK_INIT();
  if (leastPriority != nullptr) *leastPriority = 0;
  if (greatestPriority != nullptr) *greatestPriority = kGreatestStreamPriority;
  return CUDA_SUCCESS;
}

}  // extern "C"
}  // namespace vslice::cuda
