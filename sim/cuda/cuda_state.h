// Per-process state of the simulated driver: contexts, streams, events,
// allocations and the other handle tables. One mutex (Globals::mu) guards the
// tables; shared device state (memory, timeline) lives in SharedState.
//
// Handles handed to the application are the addresses of the objects below;
// every entry point looks a handle up in its table before trusting it, so a
// stale or foreign handle gives an error instead of a crash.
#ifndef VSLICE_SIM_CUDA_CUDA_STATE_H_
#define VSLICE_SIM_CUDA_CUDA_STATE_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/shared_state.h"
#include "common/sim_config.h"
#include "cuda/sim_abi_extra.h"

namespace vslice::sim::cudasim {

using namespace vslice::cuda;  // NOLINT: the driver's names read best unqualified

inline constexpr int kDriverVersion = 13000;
// Unfinished work items a stream may hold before a launch blocks (the real
// driver's launch queue is of this order).
inline constexpr std::size_t kStreamQueueDepth = 1024;
inline constexpr std::uint64_t kVmmGranularity = 2ull << 20;
inline constexpr std::uint64_t kPitchAlignment = 512;
inline constexpr int kMultiprocessors = 132;
inline constexpr int kGreatestStreamPriority = -5;
// Legacy 32-bit device pointers (cuMemAlloc without _v2) come from here.
inline constexpr std::uint64_t kLegacyVaBase = 0x1000'0000ull;
inline constexpr std::uint64_t kLegacyVaEnd = 0xFFFF'0000ull;

struct Stream;

struct Ctx {
  std::uint64_t id = 0;
  int device = 0;
  bool primary = false;
  unsigned flags = 0;  // guarded by Globals::mu
  int refcount = 0;    // primary contexts: retain count; guarded by Globals::mu
  std::atomic<bool> active{false};
  // End of the last work item of any stream / of the blocking streams (the
  // legacy stream, per-thread streams and streams without NON_BLOCKING).
  std::atomic<std::uint64_t> last_end_all{0};
  std::atomic<std::uint64_t> last_end_blocking{0};
  std::shared_ptr<Stream> legacy;
};

enum class StreamKind { kUser, kLegacy, kPerThread };

struct Stream {
  Ctx* ctx = nullptr;
  StreamKind kind = StreamKind::kUser;
  unsigned flags = 0;
  int priority = 0;
  std::mutex mu;
  // guarded by mu:
  std::uint64_t last_end = 0;
  std::deque<std::uint64_t> pending;  // end times of unfinished work items
  int capture_status = CU_STREAM_CAPTURE_STATUS_NONE;
  int capture_mode = CU_STREAM_CAPTURE_MODE_GLOBAL;
  std::uint64_t capture_sequence = 0;  // unique per capture, 0 before the first
  std::uint64_t captured_kernels = 0;
  std::thread::id capture_thread;
  CUgraph capture_target = nullptr;  // cuStreamBeginCaptureToGraph's graph, or a new one

  bool blocking() const { return kind != StreamKind::kUser || !(flags & CU_STREAM_NON_BLOCKING); }
};

struct Event {
  Ctx* ctx = nullptr;
  unsigned flags = 0;
  std::atomic<bool> recorded{false};
  std::atomic<std::uint64_t> time{0};  // when the recorded work completes
  // The capture sequence the event was last recorded in (a graph node, not
  // work), 0 when last recorded outside a capture.
  std::atomic<std::uint64_t> captured_sequence{0};
};

enum class AllocKind { kDevice, kPitch, kManaged, kAsync, kLegacy32 };

struct Pool {
  int device = -1;  // -1: host pool
  bool is_default = false;
  bool destroyed = false;
  std::uint64_t release_threshold = 0;
  std::uint64_t used = 0;
  std::uint64_t used_high = 0;
  int reuse[3] = {1, 1, 1};
};

struct Alloc {
  std::uint64_t size = 0;  // bytes requested (and charged, unless pitched)
  std::uint64_t charged = 0;
  int device = 0;
  Ctx* ctx = nullptr;
  AllocKind kind = AllocKind::kDevice;
  std::shared_ptr<Pool> pool;
};

struct Library;
struct Module;

struct Function {
  Ctx* ctx = nullptr;         // nullptr for a context-less CUkernel
  Module* module = nullptr;
  Library* library = nullptr;
  std::string name;
  bool is_kernel = false;
  std::map<std::uint64_t, CUfunction> per_context;  // CUkernel -> CUfunction
};

struct Module {
  Ctx* ctx = nullptr;
  std::map<std::string, CUfunction> functions;
};

struct Library {
  std::map<std::string, CUkernel> kernels;
};

struct ArrayRec {
  std::uint64_t bytes = 0;
  int device = 0;
  Ctx* ctx = nullptr;
};

struct PhysAlloc {
  std::uint64_t size = 0;
  int device = -1;  // -1: host memory, nothing charged
  int mappings = 0;
  bool released = false;
};

struct Mapping {
  std::uint64_t size = 0;
  std::uint64_t handle = 0;
};

struct Graph {
  std::uint64_t kernels = 0;
};

struct GraphExec {
  std::uint64_t kernels = 0;
};

struct Globals {
  std::mutex init_mu;
  bool init_attempted = false;  // guarded by init_mu
  CUresult init_result = CUDA_ERROR_NOT_INITIALIZED;
  std::atomic<bool> init_ok{false};
  std::atomic<bool> forked_child{false};

  SharedState shared;
  SimConfig cfg;
  std::uint64_t kernel_ns = 0;
  std::uint64_t context_memory = 0;
  int device_count = 0;

  std::mutex mu;  // guards everything below
  std::uint64_t next_id = 1;
  Ctx* primary[kMaxSimDevices] = {};
  // Every context ever created. Destroyed ones are kept (inactive) so that a
  // stale handle on some thread's stack is still safe to inspect.
  std::vector<std::unique_ptr<Ctx>> all_contexts;
  std::unordered_set<Ctx*> contexts;  // the valid (not destroyed) handles
  std::map<CUdeviceptr, Alloc> allocs;
  std::uint64_t legacy_va_next = kLegacyVaBase;
  std::unordered_map<CUstream_st*, std::shared_ptr<Stream>> streams;
  std::unordered_map<CUevent_st*, std::shared_ptr<Event>> events;
  // Events freed with their context (guarded by mu): a real driver's handle
  // then points at freed memory, so a later use of one aborts here
  // (UseOfFreedEvent) instead of failing quietly.
  std::unordered_set<CUevent_st*> freed_with_context;
  std::unordered_map<CUmod_st*, std::unique_ptr<Module>> modules;
  std::unordered_map<CUfunc_st*, std::unique_ptr<Function>> functions;
  std::unordered_map<CUlib_st*, std::unique_ptr<Library>> libraries;
  std::unordered_map<CUarray_st*, std::unique_ptr<ArrayRec>> arrays;
  std::unordered_map<CUmipmappedArray_st*, std::unique_ptr<ArrayRec>> mipmaps;
  std::unordered_map<CUmemPoolHandle_st*, std::shared_ptr<Pool>> pools;
  CUmemoryPool default_pool[kMaxSimDevices] = {};
  CUmemoryPool current_pool[kMaxSimDevices] = {};
  std::map<std::uint64_t, PhysAlloc> phys;
  std::uint64_t next_phys = 1;
  std::map<CUdeviceptr, std::uint64_t> reservations;
  std::map<CUdeviceptr, Mapping> mappings;
  std::unordered_set<void*> host_allocs;
  std::unordered_map<CUgraph_st*, std::unique_ptr<Graph>> graphs;
  std::unordered_map<CUgraphExec_st*, std::unique_ptr<GraphExec>> execs;

  // The streams whose capture is in progress (cuda_capture.cc). Lock order:
  // mu, then capture_mu, then a stream's mu.
  std::mutex capture_mu;
  std::vector<std::shared_ptr<Stream>> captures;  // guarded by capture_mu
  std::uint64_t next_capture_sequence = 1;         // guarded by capture_mu
};

// The process-wide state; never destroyed (no static destruction order).
Globals& G();

// CUDA_SUCCESS once cuInit succeeded in this process (not in a forked child).
CUresult CheckInit();

#define SIM_CHECK_INIT()                                              \
  do {                                                                \
    if (const CUresult sim_r_ = ::vslice::sim::cudasim::CheckInit();  \
        sim_r_ != CUDA_SUCCESS)                                       \
      return sim_r_;                                                  \
  } while (0)

// This thread's context stack (top = current context).
std::vector<Ctx*>& ContextStack();
// The current context; CUDA_ERROR_INVALID_CONTEXT without one,
// CUDA_ERROR_CONTEXT_IS_DESTROYED if it was destroyed or released.
CUresult CurrentContext(Ctx** out);
CUresult CheckDevice(CUdevice dev);

// Resolves a stream handle (0, CU_STREAM_LEGACY, CU_STREAM_PER_THREAD or a
// created stream); `per_thread` selects the _ptsz meaning of 0.
CUresult ResolveStream(CUstream handle, bool per_thread, std::shared_ptr<Stream>* out);
// When all work submitted so far to `s` completes.
std::uint64_t StreamCompletion(Stream& s);
// Puts `kernels` kernels (back to back, one queue entry) on `s`; recorded
// instead when the stream is capturing.
CUresult Submit(Stream& s, std::uint64_t kernels);

void AtomicMax(std::atomic<std::uint64_t>& a, std::uint64_t v);

// The rules of stream capture (cuda_capture.cc, docs/SIMULATOR.md). Each returns
// CUDA_SUCCESS when the call may go ahead, or the error it gets, having
// invalidated the captures it conflicts with.
// A potentially unsafe call (a context, legacy-stream or event
// synchronisation or query, a synchronous allocation) from this thread:
// forbidden by this thread's own global or thread-local captures and by
// other threads' global ones.
CUresult CheckUnsafeCall();
// Synchronising or querying `s`: never while it captures; the legacy stream
// also never while a blocking stream of its context captures, and
// otherwise as a potentially unsafe call.
CUresult CheckStreamWait(Stream& s);
// Synchronising or querying `e`: never while it stands for a graph node.
CUresult CheckEventWait(Event& e);
// `s` is destroyed, or `ctx` with all its streams (Globals::mu held): their
// captures end.
void ForgetCaptureLocked(Stream* s);
void ForgetContextCapturesLocked(Ctx* ctx);

// With Globals::mu held:
CUresult ChargeLocked(int device, std::uint64_t bytes);  // OUT_OF_MEMORY if full
void UnchargeLocked(int device, std::uint64_t bytes);
void ReleaseContextResourcesLocked(Ctx* ctx);  // memory.cc: allocations, arrays
void ReleaseExecResourcesLocked(Ctx* ctx);     // exec.cc: streams, events, modules
bool LiveDeviceRangeLocked(CUdeviceptr p, std::uint64_t n);

inline std::uint64_t RoundUp(std::uint64_t v, std::uint64_t a) { return (v + a - 1) / a * a; }

template <typename To, typename From>
To* Handle(From* p) {
  return reinterpret_cast<To*>(p);
}

}  // namespace vslice::sim::cudasim

#endif  // VSLICE_SIM_CUDA_CUDA_STATE_H_
