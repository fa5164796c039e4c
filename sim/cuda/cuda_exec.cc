// Simulated driver: modules, streams, events, kernel launches and graphs.
//
// Timing model: every kernel occupies its device for VSLICE_SIM_KERNEL_US.
// A launch returns at once; the kernel is placed on the device-wide timeline
// kept in the shared state file (SharedState::Schedule), after all earlier
// work of every stream of every process, so kernels never overlap (a GPU
// without MPS). Synchronisation sleeps until the relevant end time.
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "common/sim_clock.h"
#include "cuda/cuda_state.h"
#include "cuda/sim_cuda_exports.h"

namespace vslice::sim::cudasim {
namespace {

// Per-thread default streams, one per context (keyed by context id).
thread_local std::unordered_map<std::uint64_t, std::shared_ptr<Stream>> tls_per_thread_streams;

// An event whose context was destroyed: the real driver freed it, and a
// program (or vslice) that still uses it may crash there. The simulator
// makes that certain, so that the tests see it.
[[noreturn]] void UseOfFreedEvent(CUevent h) {
  std::fprintf(stderr,
               "simulated driver: event %p used after its context was destroyed (a real "
               "driver's handle then points at freed memory)\n",
               static_cast<void*>(h));
  std::abort();
}

CUresult FindEvent(CUevent h, std::shared_ptr<Event>* out) {
  Globals& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  auto it = g.events.find(h);
  if (it == g.events.end()) {
    if (g.freed_with_context.count(h) != 0) UseOfFreedEvent(h);
    return CUDA_ERROR_INVALID_HANDLE;
  }
  *out = it->second;
  return CUDA_SUCCESS;
}

CUresult CheckLaunchShape(unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                          unsigned bz, unsigned shmem) {
  if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  if (gx > 2147483647u || gy > 65535u || gz > 65535u) return CUDA_ERROR_INVALID_VALUE;
  if (bx > 1024u || by > 1024u || bz > 64u ||
      static_cast<std::uint64_t>(bx) * by * bz > 1024u) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  if (shmem > 232448u) return CUDA_ERROR_INVALID_VALUE;  // opt-in maximum of sm_90
  return CUDA_SUCCESS;
}

CUresult LaunchImpl(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                    unsigned by, unsigned bz, unsigned shmem, CUstream stream,
                    void** kernelParams, void** extra, bool per_thread, bool cooperative) {
  SIM_CHECK_INIT();
  Ctx* c = nullptr;
  if (const CUresult r = CurrentContext(&c); r != CUDA_SUCCESS) return r;
  {
    Globals& g = G();
    std::lock_guard<std::mutex> lock(g.mu);
    if (g.functions.count(f) == 0) return CUDA_ERROR_INVALID_HANDLE;
  }
  if (kernelParams != nullptr && extra != nullptr) return CUDA_ERROR_INVALID_VALUE;
  if (const CUresult r = CheckLaunchShape(gx, gy, gz, bx, by, bz, shmem); r != CUDA_SUCCESS) {
    return r;
  }
  if (cooperative) {
    // All blocks must be co-resident: at most 32 blocks and 2048 threads per SM.
    const std::uint64_t threads = static_cast<std::uint64_t>(bx) * by * bz;
    const std::uint64_t per_sm = std::min<std::uint64_t>(32, 2048 / threads);
    if (static_cast<std::uint64_t>(gx) * gy * gz > per_sm * kMultiprocessors) {
      return CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE;
    }
  }
  std::shared_ptr<Stream> s;
  if (const CUresult r = ResolveStream(stream, per_thread, &s); r != CUDA_SUCCESS) return r;
  return Submit(*s, 1);
}

CUresult LaunchExImpl(const CUlaunchConfig* config, CUfunction f, void** kernelParams,
                      void** extra, bool per_thread) {
  if (config == nullptr || (config->numAttrs > 0 && config->attrs == nullptr)) {
    SIM_CHECK_INIT();
    return CUDA_ERROR_INVALID_VALUE;
  }
  bool cooperative = false;
  for (unsigned i = 0; i < config->numAttrs; ++i) {
    // CU_LAUNCH_ATTRIBUTE_COOPERATIVE = 2; value.cooperative is the first int.
    if (config->attrs[i].id == 2) {
      int v = 0;
      std::memcpy(&v, config->attrs[i].value, sizeof(v));
      cooperative = v != 0;
    }
  }
  return LaunchImpl(f, config->gridDimX, config->gridDimY, config->gridDimZ, config->blockDimX,
                    config->blockDimY, config->blockDimZ, config->sharedMemBytes,
                    config->hStream, kernelParams, extra, per_thread, cooperative);
}

CUresult StreamCreateImpl(CUstream* ph, unsigned flags, int priority) {
  SIM_CHECK_INIT();
  if (ph == nullptr || (flags & ~CU_STREAM_NON_BLOCKING) != 0) return CUDA_ERROR_INVALID_VALUE;
  Ctx* c = nullptr;
  if (const CUresult r = CurrentContext(&c); r != CUDA_SUCCESS) return r;
  auto s = std::make_shared<Stream>();
  s->ctx = c;
  s->kind = StreamKind::kUser;
  s->flags = flags;
  s->priority = std::clamp(priority, kGreatestStreamPriority, 0);
  CUstream h = Handle<CUstream_st>(s.get());
  std::lock_guard<std::mutex> lock(G().mu);
  G().streams.emplace(h, std::move(s));
  *ph = h;
  return CUDA_SUCCESS;
}

bool IsSpecialStream(CUstream h) {
  const auto v = reinterpret_cast<std::uintptr_t>(h);
  return v == 0 || v == kStreamLegacyHandle || v == kStreamPerThreadHandle;
}

CUresult StreamDestroyImpl(CUstream h) {
  SIM_CHECK_INIT();
  if (IsSpecialStream(h)) return CUDA_ERROR_INVALID_HANDLE;
  std::lock_guard<std::mutex> lock(G().mu);
  // Queued work still completes on the timeline; the handle dies at once.
  auto it = G().streams.find(h);
  if (it == G().streams.end()) return CUDA_ERROR_INVALID_HANDLE;
  ForgetCaptureLocked(it->second.get());
  G().streams.erase(it);
  return CUDA_SUCCESS;
}

CUresult StreamSyncImpl(CUstream h, bool per_thread) {
  SIM_CHECK_INIT();
  std::shared_ptr<Stream> s;
  if (const CUresult r = ResolveStream(h, per_thread, &s); r != CUDA_SUCCESS) return r;
  if (const CUresult r = CheckStreamWait(*s); r != CUDA_SUCCESS) return r;
  SleepUntilNs(StreamCompletion(*s));
  return CUDA_SUCCESS;
}

CUresult StreamQueryImpl(CUstream h, bool per_thread) {
  SIM_CHECK_INIT();
  std::shared_ptr<Stream> s;
  if (const CUresult r = ResolveStream(h, per_thread, &s); r != CUDA_SUCCESS) return r;
  if (const CUresult r = CheckStreamWait(*s); r != CUDA_SUCCESS) return r;
  return StreamCompletion(*s) > MonoNs() ? CUDA_ERROR_NOT_READY : CUDA_SUCCESS;
}

CUresult StreamWaitEventImpl(CUstream h, CUevent e, unsigned flags, bool per_thread) {
  SIM_CHECK_INIT();
  if (flags > 1) return CUDA_ERROR_INVALID_VALUE;  // CU_EVENT_WAIT_DEFAULT / _EXTERNAL
  std::shared_ptr<Stream> s;
  if (const CUresult r = ResolveStream(h, per_thread, &s); r != CUDA_SUCCESS) return r;
  std::shared_ptr<Event> ev;
  if (const CUresult r = FindEvent(e, &ev); r != CUDA_SUCCESS) return r;
  if (!ev->recorded.load()) return CUDA_SUCCESS;  // waiting on an unrecorded event: no-op
  const std::uint64_t t = ev->time.load();
  {
    std::lock_guard<std::mutex> lock(s->mu);
    if (s->capture_status != CU_STREAM_CAPTURE_STATUS_NONE) return CUDA_SUCCESS;
    s->last_end = std::max(s->last_end, t);
  }
  AtomicMax(s->ctx->last_end_all, t);
  if (s->blocking()) AtomicMax(s->ctx->last_end_blocking, t);
  return CUDA_SUCCESS;
}

CUresult StreamGetFlagsImpl(CUstream h, unsigned* flags, bool per_thread) {
  SIM_CHECK_INIT();
  if (flags == nullptr) return CUDA_ERROR_INVALID_VALUE;
  std::shared_ptr<Stream> s;
  if (const CUresult r = ResolveStream(h, per_thread, &s); r != CUDA_SUCCESS) return r;
  *flags = s->flags;
  return CUDA_SUCCESS;
}

CUresult StreamGetPriorityImpl(CUstream h, int* priority, bool per_thread) {
  SIM_CHECK_INIT();
  if (priority == nullptr) return CUDA_ERROR_INVALID_VALUE;
  std::shared_ptr<Stream> s;
  if (const CUresult r = ResolveStream(h, per_thread, &s); r != CUDA_SUCCESS) return r;
  *priority = s->priority;
  return CUDA_SUCCESS;
}

CUresult StreamGetCtxImpl(CUstream h, CUcontext* pctx, bool per_thread) {
  SIM_CHECK_INIT();
  if (pctx == nullptr) return CUDA_ERROR_INVALID_VALUE;
  std::shared_ptr<Stream> s;
  if (const CUresult r = ResolveStream(h, per_thread, &s); r != CUDA_SUCCESS) return r;
  *pctx = Handle<CUctx_st>(s->ctx);
  return CUDA_SUCCESS;
}

CUresult EventDestroyImpl(CUevent e) {
  SIM_CHECK_INIT();
  std::lock_guard<std::mutex> lock(G().mu);
  if (G().events.erase(e) != 0) return CUDA_SUCCESS;
  if (G().freed_with_context.count(e) != 0) UseOfFreedEvent(e);
  return CUDA_ERROR_INVALID_HANDLE;
}

CUresult EventRecordImpl(CUevent e, CUstream h, unsigned flags, bool per_thread) {
  SIM_CHECK_INIT();
  if ((flags & ~CU_EVENT_RECORD_EXTERNAL) != 0) return CUDA_ERROR_INVALID_VALUE;
  std::shared_ptr<Event> ev;
  if (const CUresult r = FindEvent(e, &ev); r != CUDA_SUCCESS) return r;
  std::shared_ptr<Stream> s;
  if (const CUresult r = ResolveStream(h, per_thread, &s); r != CUDA_SUCCESS) return r;
  {
    std::lock_guard<std::mutex> lock(s->mu);
    if (s->capture_status != CU_STREAM_CAPTURE_STATUS_NONE) {
      ev->captured_sequence.store(s->capture_sequence);  // a graph node, not work
      return CUDA_SUCCESS;
    }
  }
  ev->captured_sequence.store(0);
  // The event completes when the work queued before it does, or now if the
  // stream is idle.
  ev->time.store(std::max(MonoNs(), StreamCompletion(*s)));
  ev->recorded.store(true);
  return CUDA_SUCCESS;
}

CUresult ElapsedImpl(float* ms, CUevent start, CUevent end) {
  SIM_CHECK_INIT();
  if (ms == nullptr) return CUDA_ERROR_INVALID_VALUE;
  std::shared_ptr<Event> a, b;
  if (const CUresult r = FindEvent(start, &a); r != CUDA_SUCCESS) return r;
  if (const CUresult r = FindEvent(end, &b); r != CUDA_SUCCESS) return r;
  if ((a->flags | b->flags) & CU_EVENT_DISABLE_TIMING) return CUDA_ERROR_INVALID_HANDLE;
  if (!a->recorded.load() || !b->recorded.load()) return CUDA_ERROR_INVALID_HANDLE;
  const std::uint64_t now = MonoNs();
  const std::uint64_t ta = a->time.load();
  const std::uint64_t tb = b->time.load();
  if (ta > now || tb > now) return CUDA_ERROR_NOT_READY;
  const double diff = static_cast<double>(static_cast<std::int64_t>(tb - ta));
  *ms = static_cast<float>(diff / 1e6);
  return CUDA_SUCCESS;
}

CUresult ModuleCreate(CUmodule* module) {
  SIM_CHECK_INIT();
  if (module == nullptr) return CUDA_ERROR_INVALID_VALUE;
  Ctx* c = nullptr;
  if (const CUresult r = CurrentContext(&c); r != CUDA_SUCCESS) return r;
  auto m = std::make_unique<Module>();
  m->ctx = c;
  CUmodule h = Handle<CUmod_st>(m.get());
  std::lock_guard<std::mutex> lock(G().mu);
  G().modules.emplace(h, std::move(m));
  *module = h;
  return CUDA_SUCCESS;
}

CUfunction NewFunctionLocked(Ctx* ctx, Module* module, Library* library, const char* name,
                             bool is_kernel) {
  auto f = std::make_unique<Function>();
  f->ctx = ctx;
  f->module = module;
  f->library = library;
  f->name = name;
  f->is_kernel = is_kernel;
  CUfunction h = Handle<CUfunc_st>(f.get());
  G().functions.emplace(h, std::move(f));
  return h;
}

// Erases a CUkernel and the per-context functions made from it.
void EraseKernelLocked(CUkernel k) {
  Globals& g = G();
  auto it = g.functions.find(Handle<CUfunc_st>(k));
  if (it == g.functions.end()) return;
  for (const auto& [ctx_id, fn] : it->second->per_context) g.functions.erase(fn);
  g.functions.erase(it);
}

CUresult GraphLaunchImpl(CUgraphExec exec, CUstream h, bool per_thread) {
  SIM_CHECK_INIT();
  std::uint64_t kernels = 0;
  {
    Globals& g = G();
    std::lock_guard<std::mutex> lock(g.mu);
    auto it = g.execs.find(exec);
    if (it == g.execs.end()) return CUDA_ERROR_INVALID_VALUE;
    kernels = it->second->kernels;
  }
  std::shared_ptr<Stream> s;
  if (const CUresult r = ResolveStream(h, per_thread, &s); r != CUDA_SUCCESS) return r;
  if (kernels == 0) return CUDA_SUCCESS;
  return Submit(*s, kernels);  // back to back, as one queue entry
}

}  // namespace

CUresult ResolveStream(CUstream handle, bool per_thread, std::shared_ptr<Stream>* out) {
  if (IsSpecialStream(handle)) {
    Ctx* c = nullptr;
    if (const CUresult r = CurrentContext(&c); r != CUDA_SUCCESS) return r;
    const auto v = reinterpret_cast<std::uintptr_t>(handle);
    const bool ptds = v == kStreamPerThreadHandle || (v == 0 && per_thread);
    if (!ptds) {
      *out = c->legacy;
      return CUDA_SUCCESS;
    }
    std::shared_ptr<Stream>& s = tls_per_thread_streams[c->id];
    if (!s) {
      s = std::make_shared<Stream>();
      s->ctx = c;
      s->kind = StreamKind::kPerThread;
    }
    *out = s;
    return CUDA_SUCCESS;
  }
  Globals& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  auto it = g.streams.find(handle);
  if (it == g.streams.end()) return CUDA_ERROR_INVALID_HANDLE;
  *out = it->second;
  return CUDA_SUCCESS;
}

std::uint64_t StreamCompletion(Stream& s) {
  std::uint64_t end = 0;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    end = s.last_end;
  }
  // The legacy stream waits for (and is waited for by) every blocking stream.
  if (s.kind == StreamKind::kLegacy) end = std::max(end, s.ctx->last_end_blocking.load());
  return end;
}

CUresult Submit(Stream& s, std::uint64_t kernels) {
  Globals& g = G();
  std::unique_lock<std::mutex> lock(s.mu);
  if (s.capture_status == CU_STREAM_CAPTURE_STATUS_ACTIVE) {
    s.captured_kernels += kernels;  // recorded into the graph, not run
    return CUDA_SUCCESS;
  }
  if (s.capture_status == CU_STREAM_CAPTURE_STATUS_INVALIDATED) {
    return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
  }
  auto drop_finished = [&s](std::uint64_t now) {
    while (!s.pending.empty() && s.pending.front() <= now) s.pending.pop_front();
  };
  drop_finished(MonoNs());
  // A full launch queue blocks the launching thread until the oldest
  // queued item finishes.
  while (s.pending.size() >= kStreamQueueDepth) {
    const std::uint64_t wake = s.pending.front();
    lock.unlock();
    SleepUntilNs(wake);
    lock.lock();
    drop_finished(MonoNs());
  }
  std::uint64_t not_before = s.last_end;
  if (s.kind == StreamKind::kLegacy) {
    not_before = std::max(not_before, s.ctx->last_end_blocking.load());
  }
  const SharedState::Interval iv =
      g.shared.Schedule(s.ctx->device, not_before, kernels * g.kernel_ns);
  s.last_end = iv.end;
  s.pending.push_back(iv.end);
  AtomicMax(s.ctx->last_end_all, iv.end);
  if (s.blocking()) AtomicMax(s.ctx->last_end_blocking, iv.end);
  return CUDA_SUCCESS;
}

void ReleaseExecResourcesLocked(Ctx* ctx) {
  Globals& g = G();
  ForgetContextCapturesLocked(ctx);
  for (auto it = g.streams.begin(); it != g.streams.end();) {
    it = it->second->ctx == ctx ? g.streams.erase(it) : std::next(it);
  }
  for (auto it = g.events.begin(); it != g.events.end();) {
    if (it->second->ctx == ctx) {
      g.freed_with_context.insert(it->first);
      it = g.events.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = g.modules.begin(); it != g.modules.end();) {
    if (it->second->ctx == ctx) {
      for (const auto& [name, fn] : it->second->functions) g.functions.erase(fn);
      it = g.modules.erase(it);
    } else {
      ++it;
    }
  }
  // Functions made from context-independent kernels for this context.
  for (auto it = g.functions.begin(); it != g.functions.end();) {
    Function& f = *it->second;
    if (f.is_kernel) f.per_context.erase(ctx->id);
    it = (!f.is_kernel && f.ctx == ctx) ? g.functions.erase(it) : std::next(it);
  }
}

}  // namespace vslice::sim::cudasim

namespace vslice::cuda {
using namespace vslice::sim::cudasim;  // NOLINT
using vslice::sim::MonoNs;
using vslice::sim::SleepUntilNs;

extern "C" {

// ---- Modules, libraries, kernels: any image, any name ----

CUresult cuModuleLoad(CUmodule* module, const char* fname) {
  if (fname == nullptr) {
    SIM_CHECK_INIT();
    return CUDA_ERROR_INVALID_VALUE;
  }
  return ModuleCreate(module);
}

CUresult cuModuleLoadData(CUmodule* module, const void* image) {
  if (image == nullptr) {
    SIM_CHECK_INIT();
    return CUDA_ERROR_INVALID_VALUE;
  }
  return ModuleCreate(module);
}

CUresult cuModuleLoadDataEx(CUmodule* module, const void* image, unsigned numOptions,
                            CUjit_option* options, void** optionValues) {
  if (image == nullptr || (numOptions > 0 && (options == nullptr || optionValues == nullptr))) {
    SIM_CHECK_INIT();
    return CUDA_ERROR_INVALID_VALUE;
  }
  return ModuleCreate(module);
}

CUresult cuModuleGetFunction(CUfunction* hfunc, CUmodule hmod, const char* name) {
  SIM_CHECK_INIT();
  if (hfunc == nullptr || name == nullptr) return CUDA_ERROR_INVALID_VALUE;
  Globals& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  auto it = g.modules.find(hmod);
  if (it == g.modules.end()) return CUDA_ERROR_INVALID_HANDLE;
  Module& m = *it->second;
  auto fn = m.functions.find(name);
  if (fn == m.functions.end()) {
    fn = m.functions.emplace(name, NewFunctionLocked(m.ctx, &m, nullptr, name, false)).first;
  }
  *hfunc = fn->second;
  return CUDA_SUCCESS;
}

CUresult cuModuleUnload(CUmodule hmod) {
  SIM_CHECK_INIT();
  Globals& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  auto it = g.modules.find(hmod);
  if (it == g.modules.end()) return CUDA_ERROR_INVALID_HANDLE;
  for (const auto& [name, fn] : it->second->functions) g.functions.erase(fn);
  g.modules.erase(it);
  return CUDA_SUCCESS;
}

CUresult cuLibraryLoadData(CUlibrary* library, const void* code, CUjit_option* jitOptions,
                           void** jitOptionsValues, unsigned numJitOptions,
                           CUlibraryOption* libraryOptions, void** libraryOptionValues,
                           unsigned numLibraryOptions) {
  SIM_CHECK_INIT();
  if (library == nullptr || code == nullptr ||
      (numJitOptions > 0 && (jitOptions == nullptr || jitOptionsValues == nullptr)) ||
      (numLibraryOptions > 0 && (libraryOptions == nullptr || libraryOptionValues == nullptr))) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  auto lib = std::make_unique<Library>();
  CUlibrary h = Handle<CUlib_st>(lib.get());
  std::lock_guard<std::mutex> lock(G().mu);
  G().libraries.emplace(h, std::move(lib));
  *library = h;
  return CUDA_SUCCESS;
}

CUresult cuLibraryUnload(CUlibrary library) {
  SIM_CHECK_INIT();
  Globals& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  auto it = g.libraries.find(library);
  if (it == g.libraries.end()) return CUDA_ERROR_INVALID_HANDLE;
  for (const auto& [name, k] : it->second->kernels) EraseKernelLocked(k);
  g.libraries.erase(it);
  return CUDA_SUCCESS;
}

CUresult cuLibraryGetKernel(CUkernel* pKernel, CUlibrary library, const char* name) {
  SIM_CHECK_INIT();
  if (pKernel == nullptr || name == nullptr) return CUDA_ERROR_INVALID_VALUE;
  Globals& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  auto it = g.libraries.find(library);
  if (it == g.libraries.end()) return CUDA_ERROR_INVALID_HANDLE;
  Library& lib = *it->second;
  auto k = lib.kernels.find(name);
  if (k == lib.kernels.end()) {
    CUfunction f = NewFunctionLocked(nullptr, nullptr, &lib, name, true);
    k = lib.kernels.emplace(name, Handle<CUkern_st>(f)).first;
  }
  *pKernel = k->second;
  return CUDA_SUCCESS;
}

CUresult cuKernelGetFunction(CUfunction* pFunc, CUkernel kernel) {
  SIM_CHECK_INIT();
  if (pFunc == nullptr) return CUDA_ERROR_INVALID_VALUE;
  Ctx* c = nullptr;
  if (const CUresult r = CurrentContext(&c); r != CUDA_SUCCESS) return r;
  Globals& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  auto it = g.functions.find(Handle<CUfunc_st>(kernel));
  if (it == g.functions.end() || !it->second->is_kernel) return CUDA_ERROR_INVALID_HANDLE;
  Function& k = *it->second;
  auto pc = k.per_context.find(c->id);
  if (pc == k.per_context.end()) {
    pc = k.per_context
             .emplace(c->id, NewFunctionLocked(c, nullptr, k.library, k.name.c_str(), false))
             .first;
  }
  *pFunc = pc->second;
  return CUDA_SUCCESS;
}

// ---- Streams ----

CUresult cuStreamCreate(CUstream* phStream, unsigned Flags) {
  return StreamCreateImpl(phStream, Flags, 0);
}
CUresult cuStreamCreateWithPriority(CUstream* phStream, unsigned flags, int priority) {
  return StreamCreateImpl(phStream, flags, priority);
}
CUresult cuStreamDestroy(CUstream hStream) { return StreamDestroyImpl(hStream); }
CUresult cuStreamDestroy_v2(CUstream hStream) { return StreamDestroyImpl(hStream); }
CUresult cuStreamSynchronize(CUstream hStream) { return StreamSyncImpl(hStream, false); }
CUresult cuStreamSynchronize_ptsz(CUstream hStream) { return StreamSyncImpl(hStream, true); }
CUresult cuStreamQuery(CUstream hStream) { return StreamQueryImpl(hStream, false); }
CUresult cuStreamQuery_ptsz(CUstream hStream) { return StreamQueryImpl(hStream, true); }
CUresult cuStreamWaitEvent(CUstream hStream, CUevent hEvent, unsigned Flags) {
  return StreamWaitEventImpl(hStream, hEvent, Flags, false);
}
CUresult cuStreamWaitEvent_ptsz(CUstream hStream, CUevent hEvent, unsigned Flags) {
  return StreamWaitEventImpl(hStream, hEvent, Flags, true);
}
CUresult cuStreamGetFlags(CUstream hStream, unsigned* flags) {
  return StreamGetFlagsImpl(hStream, flags, false);
}
CUresult cuStreamGetFlags_ptsz(CUstream hStream, unsigned* flags) {
  return StreamGetFlagsImpl(hStream, flags, true);
}
CUresult cuStreamGetPriority(CUstream hStream, int* priority) {
  return StreamGetPriorityImpl(hStream, priority, false);
}
CUresult cuStreamGetPriority_ptsz(CUstream hStream, int* priority) {
  return StreamGetPriorityImpl(hStream, priority, true);
}
CUresult cuStreamGetCtx(CUstream hStream, CUcontext* pctx) {
  return StreamGetCtxImpl(hStream, pctx, false);
}
CUresult cuStreamGetCtx_ptsz(CUstream hStream, CUcontext* pctx) {
  return StreamGetCtxImpl(hStream, pctx, true);
}

// ---- Events ----

CUresult cuEventCreate(CUevent* phEvent, unsigned Flags) {
  SIM_CHECK_INIT();
  constexpr unsigned kValid = CU_EVENT_BLOCKING_SYNC | CU_EVENT_DISABLE_TIMING |
                              CU_EVENT_INTERPROCESS;
  if (phEvent == nullptr || (Flags & ~kValid) != 0 ||
      ((Flags & CU_EVENT_INTERPROCESS) && !(Flags & CU_EVENT_DISABLE_TIMING))) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  Ctx* c = nullptr;
  if (const CUresult r = CurrentContext(&c); r != CUDA_SUCCESS) return r;
  auto ev = std::make_shared<Event>();
  ev->ctx = c;
  ev->flags = Flags;
  CUevent h = Handle<CUevent_st>(ev.get());
  std::lock_guard<std::mutex> lock(G().mu);
  G().freed_with_context.erase(h);  // the address is in use again
  G().events.emplace(h, std::move(ev));
  *phEvent = h;
  return CUDA_SUCCESS;
}

CUresult cuEventDestroy(CUevent hEvent) { return EventDestroyImpl(hEvent); }
CUresult cuEventDestroy_v2(CUevent hEvent) { return EventDestroyImpl(hEvent); }
CUresult cuEventRecord(CUevent hEvent, CUstream hStream) {
  return EventRecordImpl(hEvent, hStream, 0, false);
}
CUresult cuEventRecord_ptsz(CUevent hEvent, CUstream hStream) {
  return EventRecordImpl(hEvent, hStream, 0, true);
}
CUresult cuEventRecordWithFlags(CUevent hEvent, CUstream hStream, unsigned flags) {
  return EventRecordImpl(hEvent, hStream, flags, false);
}
CUresult cuEventRecordWithFlags_ptsz(CUevent hEvent, CUstream hStream, unsigned flags) {
  return EventRecordImpl(hEvent, hStream, flags, true);
}

CUresult cuEventSynchronize(CUevent hEvent) {
  SIM_CHECK_INIT();
  std::shared_ptr<Event> ev;
  if (const CUresult r = FindEvent(hEvent, &ev); r != CUDA_SUCCESS) return r;
  if (const CUresult r = CheckEventWait(*ev); r != CUDA_SUCCESS) return r;
  if (ev->recorded.load()) SleepUntilNs(ev->time.load());
  return CUDA_SUCCESS;
}

CUresult cuEventQuery(CUevent hEvent) {
  SIM_CHECK_INIT();
  std::shared_ptr<Event> ev;
  if (const CUresult r = FindEvent(hEvent, &ev); r != CUDA_SUCCESS) return r;
  if (const CUresult r = CheckEventWait(*ev); r != CUDA_SUCCESS) return r;
  if (ev->recorded.load() && ev->time.load() > MonoNs()) return CUDA_ERROR_NOT_READY;
  return CUDA_SUCCESS;
}

CUresult cuEventElapsedTime(float* pMilliseconds, CUevent hStart, CUevent hEnd) {
  return ElapsedImpl(pMilliseconds, hStart, hEnd);
}
CUresult cuEventElapsedTime_v2(float* pMilliseconds, CUevent hStart, CUevent hEnd) {
  return ElapsedImpl(pMilliseconds, hStart, hEnd);
}

// ---- Launches ----

CUresult cuLaunchKernel(CUfunction f, unsigned gridDimX, unsigned gridDimY, unsigned gridDimZ,
                        unsigned blockDimX, unsigned blockDimY, unsigned blockDimZ,
                        unsigned sharedMemBytes, CUstream hStream, void** kernelParams,
                        void** extra) {
  return LaunchImpl(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ,
                    sharedMemBytes, hStream, kernelParams, extra, false, false);
}
CUresult cuLaunchKernel_ptsz(CUfunction f, unsigned gridDimX, unsigned gridDimY,
                             unsigned gridDimZ, unsigned blockDimX, unsigned blockDimY,
                             unsigned blockDimZ, unsigned sharedMemBytes, CUstream hStream,
                             void** kernelParams, void** extra) {
  return LaunchImpl(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ,
                    sharedMemBytes, hStream, kernelParams, extra, true, false);
}
CUresult cuLaunchKernelEx(const CUlaunchConfig* config, CUfunction f, void** kernelParams,
                          void** extra) {
  return LaunchExImpl(config, f, kernelParams, extra, false);
}
CUresult cuLaunchKernelEx_ptsz(const CUlaunchConfig* config, CUfunction f, void** kernelParams,
                               void** extra) {
  return LaunchExImpl(config, f, kernelParams, extra, true);
}
CUresult cuLaunchCooperativeKernel(CUfunction f, unsigned gridDimX, unsigned gridDimY,
                                   unsigned gridDimZ, unsigned blockDimX, unsigned blockDimY,
                                   unsigned blockDimZ, unsigned sharedMemBytes,
                                   CUstream hStream, void** kernelParams) {
  return LaunchImpl(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ,
                    sharedMemBytes, hStream, kernelParams, nullptr, false, true);
}
CUresult cuLaunchCooperativeKernel_ptsz(CUfunction f, unsigned gridDimX, unsigned gridDimY,
                                        unsigned gridDimZ, unsigned blockDimX,
                                        unsigned blockDimY, unsigned blockDimZ,
                                        unsigned sharedMemBytes, CUstream hStream,
                                        void** kernelParams) {
  return LaunchImpl(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ,
                    sharedMemBytes, hStream, kernelParams, nullptr, true, true);
}

// ---- Graphs: a graph is the number of kernels it holds (capture: cuda_capture.cc) ----

CUresult cuGraphCreate(CUgraph* phGraph, unsigned flags) {
  SIM_CHECK_INIT();
  if (phGraph == nullptr || flags != 0) return CUDA_ERROR_INVALID_VALUE;
  auto gr = std::make_unique<Graph>();
  CUgraph h = Handle<CUgraph_st>(gr.get());
  std::lock_guard<std::mutex> lock(G().mu);
  G().graphs.emplace(h, std::move(gr));
  *phGraph = h;
  return CUDA_SUCCESS;
}

CUresult cuGraphInstantiateWithFlags(CUgraphExec* phGraphExec, CUgraph hGraph,
                                     unsigned long long flags) {
  SIM_CHECK_INIT();
  (void)flags;
  if (phGraphExec == nullptr) return CUDA_ERROR_INVALID_VALUE;
  Globals& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  auto it = g.graphs.find(hGraph);
  if (it == g.graphs.end()) return CUDA_ERROR_INVALID_VALUE;
  auto exec = std::make_unique<GraphExec>();
  exec->kernels = it->second->kernels;
  CUgraphExec h = Handle<CUgraphExec_st>(exec.get());
  g.execs.emplace(h, std::move(exec));
  *phGraphExec = h;
  return CUDA_SUCCESS;
}

CUresult cuGraphLaunch(CUgraphExec hGraphExec, CUstream hStream) {
  return GraphLaunchImpl(hGraphExec, hStream, false);
}
CUresult cuGraphLaunch_ptsz(CUgraphExec hGraphExec, CUstream hStream) {
  return GraphLaunchImpl(hGraphExec, hStream, true);
}

CUresult cuGraphExecDestroy(CUgraphExec hGraphExec) {
  SIM_CHECK_INIT();
  std::lock_guard<std::mutex> lock(G().mu);
  return G().execs.erase(hGraphExec) != 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

CUresult cuGraphDestroy(CUgraph hGraph) {
  SIM_CHECK_INIT();
  std::lock_guard<std::mutex> lock(G().mu);
  return G().graphs.erase(hGraph) != 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

}  // extern "C"
}  // namespace vslice::cuda
