#include "npu_state.h"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>

#include "common/sim_clock.h"

namespace vslice::sim::ascend {
namespace {

constexpr char kComponent[] = "libruntime (Ascend)";

thread_local int t_current_device = -1;

void ReleaseAtExit() { R().shared.ReleaseSlot(); }

void ChildAfterFork() { R().shared.AfterForkInChild(); }

}  // namespace

Runtime& R() {
  // Constructed on first use and never destroyed: threads may still call in
  // while the process exits.
  static Runtime* runtime = new Runtime();
  return *runtime;
}

rtError_t EnsureInit() {
  Runtime& r = R();
  std::call_once(r.init_once, [&r] {
    r.cfg = ReadNpuConfig(kComponent);
    r.kernel_ns = r.cfg.device.kernel_us * 1000;
    SharedState::OpenOptions open;
    open.component = kComponent;
    open.config = r.cfg.device;
    open.devices_from_env = r.cfg.devices_from_env;
    open.memory_from_env = r.cfg.memory_from_env;
    open.claim_slot = true;
    if (!r.shared.Open(open)) {
      r.init_result = ACL_ERROR_RT_INTERNAL_ERROR;
      return;
    }
    std::atexit(&ReleaseAtExit);
    pthread_atfork(nullptr, nullptr, &ChildAfterFork);
    r.init_result = ACL_SUCCESS;
  });
  return r.init_result;
}

rtError_t CurrentDevice(int* device) {
  if (t_current_device < 0) return ACL_ERROR_RT_CONTEXT_NULL;
  *device = t_current_device;
  return ACL_SUCCESS;
}

void SetCurrentDevice(int device) { t_current_device = device; }

rtError_t ResolveStream(rtStream_t handle, Stream** out) {
  Runtime& r = R();
  std::lock_guard<std::mutex> lock(r.mu);
  if (handle == nullptr) {
    int device = -1;
    if (const rtError_t e = CurrentDevice(&device); e != ACL_SUCCESS) return e;
    std::unique_ptr<Stream>& s = r.default_stream[device];
    if (!s) {
      s = std::make_unique<Stream>();
      s->device = device;
    }
    *out = s.get();
    return ACL_SUCCESS;
  }
  const auto it = r.streams.find(static_cast<Stream*>(handle));
  if (it == r.streams.end()) return ACL_ERROR_RT_PARAM_INVALID;
  *out = it->second.get();
  return ACL_SUCCESS;
}

void Submit(Stream& s) {
  Runtime& r = R();
  std::unique_lock<std::mutex> lock(s.mu);
  for (;;) {
    const std::uint64_t now = MonoNs();
    while (!s.pending.empty() && s.pending.front() <= now) s.pending.pop_front();
    if (s.pending.size() < kStreamQueueDepth) break;
    const std::uint64_t wake = s.pending.front();
    lock.unlock();
    SleepUntilNs(wake);
    lock.lock();
  }
  // After the stream's earlier work, and after every other process's work
  // already on the device: one device-wide timeline.
  const SharedState::Interval slot = r.shared.Schedule(s.device, s.last_end, r.kernel_ns);
  s.last_end = slot.end;
  s.pending.push_back(slot.end);
  std::atomic<std::uint64_t>& device_end = r.device_last_end[s.device];
  std::uint64_t seen = device_end.load();
  while (seen < slot.end && !device_end.compare_exchange_weak(seen, slot.end)) {
  }
}

std::uint64_t Completion(Stream& s) {
  std::lock_guard<std::mutex> lock(s.mu);
  return s.last_end;
}

std::uint64_t DeviceCompletion(int device) { return R().device_last_end[device].load(); }

}  // namespace vslice::sim::ascend
