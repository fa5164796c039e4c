// Simulated runtime: streams, events, kernel launches and model executions.
//
// Every kernel launch (AI Core or AI CPU, by any launch entry point; the
// routes whose parameter list changed between releases are in
// rt_launch_words.cc) and every model execution is one work item of VSLICE_SIM_KERNEL_US on its stream's
// device: it starts after the stream's previous item and after all work
// already on the device, from any process (one device-wide timeline), and a
// synchronisation waits until it ends. A launch returns at once, like the real
// one, unless the stream already holds kStreamQueueDepth unfinished items.
//
// An event recorded on a stream completes when the work queued on the stream
// before it does (at once on an idle stream); rtEventSynchronize sleeps until
// then, and returns at once for an event never recorded.
#include <algorithm>

#include "common/sim_clock.h"
#include "npu_state.h"

using namespace vslice::sim::ascend;

namespace vslice::sim::ascend {

rtError_t Launch(const void* what, rtStream_t stream) {
  if (const rtError_t e = EnsureInit(); e != ACL_SUCCESS) return e;
  if (what == nullptr) return ACL_ERROR_RT_PARAM_INVALID;
  Stream* s = nullptr;
  if (const rtError_t e = ResolveStream(stream, &s); e != ACL_SUCCESS) return e;
  Submit(*s);
  return ACL_SUCCESS;
}

}  // namespace vslice::sim::ascend

SIM_EXPORT rtError_t rtStreamCreate(rtStream_t* stream, std::int32_t /*priority*/) {
  if (const rtError_t e = EnsureInit(); e != ACL_SUCCESS) return e;
  if (stream == nullptr) return ACL_ERROR_RT_PARAM_INVALID;
  int device = -1;
  if (const rtError_t e = CurrentDevice(&device); e != ACL_SUCCESS) return e;
  auto s = std::make_unique<Stream>();
  s->device = device;
  Stream* handle = s.get();
  {
    std::lock_guard<std::mutex> lock(R().mu);
    R().streams.emplace(handle, std::move(s));
  }
  *stream = handle;
  return ACL_SUCCESS;
}

SIM_EXPORT rtError_t rtStreamDestroy(rtStream_t stream) {
  if (const rtError_t e = EnsureInit(); e != ACL_SUCCESS) return e;
  std::unique_ptr<Stream> doomed;
  {
    std::lock_guard<std::mutex> lock(R().mu);
    const auto it = R().streams.find(static_cast<Stream*>(stream));
    if (it == R().streams.end()) return ACL_ERROR_RT_PARAM_INVALID;
    doomed = std::move(it->second);
    R().streams.erase(it);
  }
  // Its work still runs on the device; only the handle goes.
  return ACL_SUCCESS;
}

SIM_EXPORT rtError_t rtStreamSynchronize(rtStream_t stream) {
  if (const rtError_t e = EnsureInit(); e != ACL_SUCCESS) return e;
  Stream* s = nullptr;
  if (const rtError_t e = ResolveStream(stream, &s); e != ACL_SUCCESS) return e;
  vslice::sim::SleepUntilNs(Completion(*s));
  return ACL_SUCCESS;
}

namespace {

rtError_t FindEvent(rtEvent_t handle, std::shared_ptr<Event>* out) {
  std::lock_guard<std::mutex> lock(R().mu);
  const auto it = R().events.find(handle);
  if (it == R().events.end()) return ACL_ERROR_RT_PARAM_INVALID;
  *out = it->second;
  return ACL_SUCCESS;
}

}  // namespace

SIM_EXPORT rtError_t rtEventCreate(rtEvent_t* event) {
  if (const rtError_t e = EnsureInit(); e != ACL_SUCCESS) return e;
  if (event == nullptr) return ACL_ERROR_RT_PARAM_INVALID;
  int device = -1;
  if (const rtError_t e = CurrentDevice(&device); e != ACL_SUCCESS) return e;
  auto ev = std::make_shared<Event>();
  void* handle = ev.get();
  {
    std::lock_guard<std::mutex> lock(R().mu);
    R().events.emplace(handle, std::move(ev));
  }
  *event = handle;
  return ACL_SUCCESS;
}

SIM_EXPORT rtError_t rtEventCreateWithFlag(rtEvent_t* event, std::uint32_t /*flag*/) {
  return rtEventCreate(event);
}

SIM_EXPORT rtError_t rtEventDestroy(rtEvent_t event) {
  if (const rtError_t e = EnsureInit(); e != ACL_SUCCESS) return e;
  // A thread still waiting on the event holds its own reference.
  std::lock_guard<std::mutex> lock(R().mu);
  return R().events.erase(event) != 0 ? ACL_SUCCESS : ACL_ERROR_RT_PARAM_INVALID;
}

SIM_EXPORT rtError_t rtEventRecord(rtEvent_t event, rtStream_t stream) {
  if (const rtError_t e = EnsureInit(); e != ACL_SUCCESS) return e;
  std::shared_ptr<Event> ev;
  if (const rtError_t e = FindEvent(event, &ev); e != ACL_SUCCESS) return e;
  Stream* s = nullptr;
  if (const rtError_t e = ResolveStream(stream, &s); e != ACL_SUCCESS) return e;
  ev->time.store(std::max(vslice::sim::MonoNs(), Completion(*s)));
  ev->recorded.store(true);
  return ACL_SUCCESS;
}

SIM_EXPORT rtError_t rtEventSynchronize(rtEvent_t event) {
  if (const rtError_t e = EnsureInit(); e != ACL_SUCCESS) return e;
  std::shared_ptr<Event> ev;
  if (const rtError_t e = FindEvent(event, &ev); e != ACL_SUCCESS) return e;
  if (ev->recorded.load()) vslice::sim::SleepUntilNs(ev->time.load());
  return ACL_SUCCESS;
}

SIM_EXPORT rtError_t rtEventQuery(rtEvent_t event) {
  if (const rtError_t e = EnsureInit(); e != ACL_SUCCESS) return e;
  std::shared_ptr<Event> ev;
  if (const rtError_t e = FindEvent(event, &ev); e != ACL_SUCCESS) return e;
  if (ev->recorded.load() && ev->time.load() > vslice::sim::MonoNs()) {
    return ACL_ERROR_RT_EVENT_NOT_COMPLETE;
  }
  return ACL_SUCCESS;
}

SIM_EXPORT rtError_t rtKernelLaunchWithFlagV2(const void* stub, std::uint32_t /*block_dim*/,
                                              rtArgsEx_t* /*args*/, rtSmDesc_t* /*sm*/,
                                              rtStream_t stream, std::uint32_t /*flags*/,
                                              const rtTaskCfgInfo_t* /*cfg*/) {
  return Launch(stub, stream);
}

SIM_EXPORT rtError_t rtKernelLaunchWithHandleV2(void* handle, std::uint64_t /*tiling_key*/,
                                                std::uint32_t /*block_dim*/,
                                                rtArgsEx_t* /*args*/, rtSmDesc_t* /*sm*/,
                                                rtStream_t stream,
                                                const rtTaskCfgInfo_t* /*cfg*/) {
  return Launch(handle, stream);
}

SIM_EXPORT rtError_t rtAicpuKernelLaunchExWithArgs(std::uint32_t /*kernel_type*/,
                                                   const char* op_name,
                                                   std::uint32_t /*block_dim*/,
                                                   const rtAicpuArgsEx_t* /*args*/,
                                                   rtSmDesc_t* /*sm*/, rtStream_t stream,
                                                   std::uint32_t /*flags*/) {
  return Launch(op_name, stream);
}

SIM_EXPORT rtError_t rtKernelLaunch(const void* stub, std::uint32_t /*block_dim*/, void* /*args*/,
                                    std::uint32_t /*args_size*/, rtSmDesc_t* /*sm*/,
                                    rtStream_t stream) {
  return Launch(stub, stream);
}

SIM_EXPORT rtError_t rtCpuKernelLaunch(const void* /*so_name*/, const void* kernel_name,
                                       std::uint32_t /*block_dim*/, const void* /*args*/,
                                       std::uint32_t /*args_size*/, rtSmDesc_t* /*sm*/,
                                       rtStream_t stream) {
  return Launch(kernel_name, stream);
}

SIM_EXPORT rtError_t rtKernelLaunchEx(void* args, std::uint32_t /*args_size*/,
                                      std::uint32_t /*flags*/, rtStream_t stream) {
  return Launch(args, stream);
}

SIM_EXPORT rtError_t rtKernelLaunchFwk(const char* op_name, void* /*args*/,
                                       std::uint32_t /*args_size*/, std::uint32_t /*flags*/,
                                       rtStream_t stream) {
  return Launch(op_name, stream);
}

SIM_EXPORT rtError_t rtLaunchKernelByFuncHandle(void* func, std::uint32_t /*block_dim*/,
                                                void* /*args_handle*/, rtStream_t stream) {
  return Launch(func, stream);
}

SIM_EXPORT rtError_t rtModelCreate(rtModel_t* model, std::uint32_t /*flag*/) {
  if (const rtError_t e = EnsureInit(); e != ACL_SUCCESS) return e;
  if (model == nullptr) return ACL_ERROR_RT_PARAM_INVALID;
  void* handle = new char(0);  // a unique address; the model has no content
  {
    std::lock_guard<std::mutex> lock(R().mu);
    R().models.insert(handle);
  }
  *model = handle;
  return ACL_SUCCESS;
}

SIM_EXPORT rtError_t rtModelDestroy(rtModel_t model) {
  if (const rtError_t e = EnsureInit(); e != ACL_SUCCESS) return e;
  {
    std::lock_guard<std::mutex> lock(R().mu);
    if (R().models.erase(model) == 0) return ACL_ERROR_RT_PARAM_INVALID;
  }
  delete static_cast<char*>(model);
  return ACL_SUCCESS;
}

SIM_EXPORT rtError_t rtModelExecute(rtModel_t model, rtStream_t stream, std::uint32_t /*flag*/) {
  if (const rtError_t e = EnsureInit(); e != ACL_SUCCESS) return e;
  {
    std::lock_guard<std::mutex> lock(R().mu);
    if (R().models.count(model) == 0) return ACL_ERROR_RT_PARAM_INVALID;
  }
  return Launch(model, stream);
}
