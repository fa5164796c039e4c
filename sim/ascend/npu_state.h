// Per-process state of the simulated Ascend runtime: the shared device (memory
// and the device-wide timeline, in the state file every process maps), this
// process's allocations, streams and models, and each thread's current device.
//
// The device model is the simulated CUDA device's (sim/common/shared_state.h):
// memory of a fixed size shared by all processes, each process's holdings
// returned when it dies (an open-file-description lock per process slot), and
// one timeline per device on which the work of all processes is placed back to
// back, so kernels of different processes never overlap.
//
// Settings: npu_config.h (read once, at the first runtime call of the
// process).
#ifndef VSLICE_SIM_ASCEND_NPU_STATE_H_
#define VSLICE_SIM_ASCEND_NPU_STATE_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "common/shared_state.h"
#include "common/sim_config.h"
#include "npu_config.h"
#include "sim_ascend_exports.h"

namespace vslice::sim::ascend {

// Unfinished work items a stream may hold before a launch blocks (the real
// runtime's task queues are bounded too).
inline constexpr std::size_t kStreamQueueDepth = 1024;
// First handle value rtMallocPhysical hands out; handles are opaque numbers.
inline constexpr std::uint64_t kPhysicalHandleBase = 0xA500'0000'0000ull;

struct Stream {
  int device = 0;
  std::mutex mu;
  // guarded by mu:
  std::uint64_t last_end = 0;
  std::deque<std::uint64_t> pending;  // end times of unfinished work items
};

// An event (rtEventCreate): completes when the work recorded before it on its
// stream does.
struct Event {
  std::atomic<bool> recorded{false};
  std::atomic<std::uint64_t> time{0};  // CLOCK_MONOTONIC ns of completion
};

struct Allocation {
  std::uint64_t size = 0;
  int device = 0;
  bool charged = false;  // device memory (host memory is not)
};

struct Runtime {
  std::once_flag init_once;
  rtError_t init_result = ACL_ERROR_RT_INTERNAL_ERROR;

  SharedState shared;
  NpuConfig cfg;
  std::uint64_t kernel_ns = 0;

  std::mutex mu;  // guards everything below
  std::map<std::uint64_t, Allocation> allocations;  // device address -> allocation
  std::map<std::uint64_t, Allocation> physical;     // handle -> allocation
  std::uint64_t next_physical = kPhysicalHandleBase;
  std::unordered_map<Stream*, std::unique_ptr<Stream>> streams;
  std::unique_ptr<Stream> default_stream[kMaxSimDevices];
  std::unordered_set<void*> models;
  std::unordered_map<void*, std::shared_ptr<Event>> events;
  // When all work this process submitted to each device completes (streams
  // destroyed since included): what a device synchronisation waits for.
  std::atomic<std::uint64_t> device_last_end[kMaxSimDevices] = {};
  // Each device's context: one per device and process (the runtime's default
  // context); rtCtxGetCurrent hands out its address.
  char contexts[kMaxSimDevices] = {};
};

// The process-wide state; never destroyed (no static destruction order).
Runtime& R();

// Opens the shared device state on the first call; ACL_SUCCESS once it is.
rtError_t EnsureInit();

// The calling thread's current device (rtSetDevice); ACL_ERROR_RT_CONTEXT_NULL
// without one.
rtError_t CurrentDevice(int* device);
void SetCurrentDevice(int device);

// nullptr is the current device's default stream; anything else must be a
// stream this process created.
rtError_t ResolveStream(rtStream_t handle, Stream** out);
// Places one work item of the configured duration on `s` (blocking while the
// stream already holds kStreamQueueDepth unfinished items).
void Submit(Stream& s);
// When all work submitted so far to `s` completes.
std::uint64_t Completion(Stream& s);
// One kernel launch or model execution: `what` (the kernel, handle, name or
// model; never null) as one work item on `stream`.
rtError_t Launch(const void* what, rtStream_t stream);
// When all work this process submitted to `device` completes.
std::uint64_t DeviceCompletion(int device);

}  // namespace vslice::sim::ascend

#endif  // VSLICE_SIM_ASCEND_NPU_STATE_H_
