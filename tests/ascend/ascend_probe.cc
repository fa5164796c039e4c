// vslice_ascend_probe: drives the Ascend runtime the way applications do, at
// the AscendCL level and at the runtime (RTS) level, and prints one line per
// step. The Ascend integration tests run it on the simulated runtime.
//
//   vslice_ascend_probe [--route direct|dlsym] [--no-device] STEP...
//
// --route dlsym looks every memory and DCMI function up with dlopen + dlsym
// on the runtime's own libraries (as torch_npu does for some, and monitoring
// agents for DCMI), instead of calling the symbols the dynamic linker bound.
// --no-device (before any step) leaves the runtime alone: no aclInit, no
// device selected, as a DCMI-only tool (npu-smi) runs.
//
// Steps:
//   alloc:KIND:SIZE  allocate SIZE bytes (k/m/g suffixes) through KIND: acl
//                    (aclrtMalloc), acl_align32, acl_cached, acl_cfg, acl_phys
//                    (aclrtMallocPhysical, device), acl_phys_host, rts
//                    (rtMalloc), rts_host (rtMalloc of host memory), rts_cached
//                    (rtMallocCached), rts_dvpp (rtDvppMalloc), rts_v2
//                    (rtsMalloc, the newer runtime API), rts_phys
//                    (rtMallocPhysical, device side), rts_phys_host.
//                    Prints "alloc KIND BYTES -> RESULT".
//   free:N           free the N-th successful allocation at its own level.
//   xfree:N          free it at the other level (an aclrtMalloc pointer with
//                    rtFree, an rtMalloc pointer with aclrtFree).
//   freeall          free every allocation still held.
//   info:acl|acl_huge|rts|rts_plain
//                    aclrtGetMemInfo(HBM), aclrtGetMemInfo(HBM huge),
//                    rtMemGetInfoEx(HBM), rtMemGetInfo:
//                    "info WHICH free=F total=T -> R".
//   fill:KIND:SIZE   allocate SIZE-byte blocks until refused:
//                    "fill KIND N blocks BYTES bytes -> R".
//   churn:MS:SEED    allocate/free random sizes (1..64 MiB) for MS ms,
//                    alternating aclrtMalloc and rtMalloc: "churn ops=N refused=R".
//   launch:KIND:N    N launches of KIND on the default stream, then
//                    synchronize. KIND: flag (rtKernelLaunchWithFlagV2),
//                    handle (rtKernelLaunchWithHandleV2), aicpu
//                    (rtAicpuKernelLaunchWithFlag), aicpu_ex
//                    (rtAicpuKernelLaunchExWithArgs), model (rtModelExecute),
//                    kernel (rtKernelLaunch), flag1 (rtKernelLaunchWithFlag),
//                    handle1 (rtKernelLaunchWithHandle), cpu
//                    (rtCpuKernelLaunch), cpu_flag (rtCpuKernelLaunchWithFlag),
//                    ex (rtKernelLaunchEx), fwk (rtKernelLaunchFwk), acl
//                    (aclrtLaunchKernel), acl_cfg (aclrtLaunchKernelWithConfig),
//                    acl_host (aclrtLaunchKernelWithHostArgs); and, with the
//                    parameter list of older CANN releases, aicpu_old,
//                    flag1_old, handle1_old, cpu_flag_old. Prints
//                    "launch KIND N -> R elapsed_us=E start_ns=S end_ns=F"
//                    (S, F: CLOCK_MONOTONIC, comparable between processes).
//   spin:MS[:KIND]   launch KIND (default flag) back to back on the default
//                    stream for MS ms, then synchronize the device:
//                    "spin kernels=N elapsed_us=E kind=KIND" (the simulator's
//                    work items take VSLICE_SIM_KERNEL_US each).
//   requests:COUNT:LAUNCHES:PERIOD_MS[:KIND]
//                    COUNT requests, one every PERIOD_MS ms: LAUNCHES launches
//                    of KIND (default flag; not model) on the default stream, then
//                    aclrtSynchronizeStream; the latency of each is from its
//                    first launch to the end of the synchronize: "requests n=N
//                    p50_us=A p99_us=B max_us=C".
//   event:N          N flag launches on the default stream, an event recorded
//                    after them (rtEventRecord), then rtEventSynchronize:
//                    "event N -> R elapsed_us=E".
//   devsync:N        N flag launches on a stream of its own, the stream
//                    destroyed, then aclrtSynchronizeDevice:
//                    "devsync N -> R elapsed_us=E".
//   words:KIND       one launch of KIND (one of the routes whose parameter
//                    list changed between releases: aicpu, flag1, handle1,
//                    cpu_flag, or their _old forms), then what the simulated
//                    runtime received: "words KIND -> R sent=W,... got=W,..."
//                    (hexadecimal; 32-bit parameters masked to 32 bits).
//   dcmi:WHAT[:N]    a DCMI query of the N-th simulated card (default the
//                    first; chip 0):
//                    hbm: "dcmi hbm size=MB usage=MB -> R";
//                    procs: "dcmi procs n=N pids=P,... bytes=B,... -> R";
//                    hbm_null, procs_null, procnum_null: a null pointer;
//                    hbm_badcard, procs_badcard: a card that does not exist:
//                    "dcmi WHAT -> R".
//   pid              "pid P": the probe's own process id.
//   report           "report failures=F": how many alloc and free steps so far
//                    did not return 0 (for a test that only sees the output
//                    after a wait).
//   hold:MS          sleep MS milliseconds.
//   ready            print "ready" and flush (a test waits for it).
//   wait             block until standard input closes.
// Exit status: 0 when every step could be carried out (a refused allocation
// is a result, not a failure), 1 on a setup error.
#include <dlfcn.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "probe_steps.h"
#include "sim_ascend_exports.h"

using namespace vslice::ascend;
using vslice::testing::RunRequests;
using vslice::testing::SplitColons;

namespace {

// The memory functions a route hands out.
struct Api {
  aclrtMalloc_t acl_malloc;
  aclrtMalloc_t acl_malloc_align32;
  aclrtMalloc_t acl_malloc_cached;
  aclrtMallocWithCfg_t acl_malloc_cfg;
  aclrtFree_t acl_free;
  aclrtMallocPhysical_t acl_malloc_physical;
  aclrtFreePhysical_t acl_free_physical;
  aclrtGetMemInfo_t acl_mem_info;
  rtMalloc_t rt_malloc;
  rtMalloc_t rt_malloc_cached;
  rtFree_t rt_free;
  rtDvppMalloc_t rt_dvpp_malloc;
  rtFree_t rt_dvpp_free;
  rtsMalloc_t rts_malloc;
  rtFree_t rts_free;
  rtMallocPhysical_t rt_malloc_physical;
  rtFreePhysical_t rt_free_physical;
  rtMemGetInfoEx_t rt_mem_info_ex;
  rtMemGetInfo_t rt_mem_info;
};

Api DirectApi() {
  return Api{&aclrtMalloc,      &aclrtMallocAlign32, &aclrtMallocCached,   &aclrtMallocWithCfg,
             &aclrtFree,        &aclrtMallocPhysical, &aclrtFreePhysical,  &aclrtGetMemInfo,
             &rtMalloc,         &rtMallocCached,     &rtFree,              &rtDvppMalloc,
             &rtDvppFree,       &rtsMalloc,          &rtsFree,             &rtMallocPhysical,
             &rtFreePhysical,   &rtMemGetInfoEx,     &rtMemGetInfo};
}

template <typename Fn>
bool Lookup(void* handle, const char* name, Fn* out) {
  void* p = handle != nullptr ? dlsym(handle, name) : nullptr;
  if (p == nullptr) {
    std::fprintf(stderr, "probe: cannot look up %s\n", name);
    return false;
  }
  *out = reinterpret_cast<Fn>(p);
  return true;
}

bool DlsymApi(Api* api) {
  void* acl = dlopen("libascendcl.so", RTLD_NOW | RTLD_LOCAL);
  void* rt = dlopen("libruntime.so", RTLD_NOW | RTLD_LOCAL);
  return Lookup(acl, "aclrtMalloc", &api->acl_malloc) &&
         Lookup(acl, "aclrtMallocAlign32", &api->acl_malloc_align32) &&
         Lookup(acl, "aclrtMallocCached", &api->acl_malloc_cached) &&
         Lookup(acl, "aclrtMallocWithCfg", &api->acl_malloc_cfg) &&
         Lookup(acl, "aclrtFree", &api->acl_free) &&
         Lookup(acl, "aclrtMallocPhysical", &api->acl_malloc_physical) &&
         Lookup(acl, "aclrtFreePhysical", &api->acl_free_physical) &&
         Lookup(acl, "aclrtGetMemInfo", &api->acl_mem_info) &&
         Lookup(rt, "rtMalloc", &api->rt_malloc) &&
         Lookup(rt, "rtMallocCached", &api->rt_malloc_cached) &&
         Lookup(rt, "rtFree", &api->rt_free) &&
         Lookup(rt, "rtDvppMalloc", &api->rt_dvpp_malloc) &&
         Lookup(rt, "rtDvppFree", &api->rt_dvpp_free) &&
         Lookup(rt, "rtsMalloc", &api->rts_malloc) && Lookup(rt, "rtsFree", &api->rts_free) &&
         Lookup(rt, "rtMallocPhysical", &api->rt_malloc_physical) &&
         Lookup(rt, "rtFreePhysical", &api->rt_free_physical) &&
         Lookup(rt, "rtMemGetInfoEx", &api->rt_mem_info_ex) &&
         Lookup(rt, "rtMemGetInfo", &api->rt_mem_info);
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
  void* handle;
  bool live;
};

bool IsPhysical(const std::string& kind) { return kind.find("phys") != std::string::npos; }
bool IsAcl(const std::string& kind) { return kind.rfind("acl", 0) == 0; }

class Probe {
 public:
  explicit Probe(Api api) : api_(api) {}

  int Allocate(const std::string& kind, std::size_t bytes) {
    void* handle = nullptr;
    int r = ACL_ERROR_RT_PARAM_INVALID;
    if (kind == "acl") {
      r = api_.acl_malloc(&handle, bytes, ACL_MEM_MALLOC_HUGE_FIRST);
    } else if (kind == "acl_align32") {
      r = api_.acl_malloc_align32(&handle, bytes, ACL_MEM_MALLOC_HUGE_FIRST);
    } else if (kind == "acl_cached") {
      r = api_.acl_malloc_cached(&handle, bytes, ACL_MEM_MALLOC_HUGE_FIRST);
    } else if (kind == "acl_cfg") {
      r = api_.acl_malloc_cfg(&handle, bytes, ACL_MEM_MALLOC_HUGE_FIRST, nullptr);
    } else if (kind == "acl_phys" || kind == "acl_phys_host") {
      aclrtPhysicalMemProp prop{};
      prop.location.type =
          kind == "acl_phys" ? ACL_MEM_LOCATION_TYPE_DEVICE : ACL_MEM_LOCATION_TYPE_HOST;
      prop.location.id = 0;
      r = api_.acl_malloc_physical(&handle, bytes, &prop, 0);
    } else if (kind == "rts" || kind == "rts_host") {
      const rtMemType_t type = kind == "rts" ? RT_MEMORY_HBM : RT_MEMORY_HOST;
      r = api_.rt_malloc(&handle, bytes, type, 0);
    } else if (kind == "rts_cached") {
      r = api_.rt_malloc_cached(&handle, bytes, RT_MEMORY_HBM, 0);
    } else if (kind == "rts_dvpp") {
      r = api_.rt_dvpp_malloc(&handle, bytes, 0);
    } else if (kind == "rts_v2") {
      r = api_.rts_malloc(&handle, bytes, 0, 0, nullptr);
    } else if (kind == "rts_phys" || kind == "rts_phys_host") {
      rtDrvMemProp_t prop{};
      prop.side = kind == "rts_phys" ? MEM_DEV_SIDE : MEM_HOST_SIDE;
      prop.devid = 0;
      r = api_.rt_malloc_physical(&handle, bytes, &prop, 0);
    } else {
      std::fprintf(stderr, "probe: unknown allocation kind %s\n", kind.c_str());
      return ACL_ERROR_RT_PARAM_INVALID;
    }
    if (r == ACL_SUCCESS) held_.push_back(Held{kind, handle, true});
    return r;
  }

  // Frees at the allocation's own level, or with `cross` at the other one.
  int Free(Held& h, bool cross) {
    if (!h.live) return ACL_ERROR_RT_PARAM_INVALID;
    h.live = false;
    const bool acl_level = IsAcl(h.kind) != cross;
    // These have no other level to free at.
    if (h.kind == "rts_dvpp") return api_.rt_dvpp_free(h.handle);
    if (h.kind == "rts_v2") return api_.rts_free(h.handle);
    if (IsPhysical(h.kind)) {
      return acl_level ? api_.acl_free_physical(h.handle) : api_.rt_free_physical(h.handle);
    }
    return acl_level ? api_.acl_free(h.handle) : api_.rt_free(h.handle);
  }

  void Info(const std::string& which) {
    std::size_t free_bytes = 0, total = 0;
    int r = ACL_ERROR_RT_PARAM_INVALID;
    if (which == "acl") r = api_.acl_mem_info(ACL_HBM_MEM, &free_bytes, &total);
    if (which == "acl_huge") r = api_.acl_mem_info(ACL_HBM_MEM_HUGE, &free_bytes, &total);
    if (which == "rts") r = api_.rt_mem_info_ex(RT_MEMORYINFO_HBM, &free_bytes, &total);
    if (which == "rts_plain") r = api_.rt_mem_info(&free_bytes, &total);
    std::printf("info %s free=%zu total=%zu -> %d\n", which.c_str(), free_bytes, total, r);
  }

  std::vector<Held>& held() { return held_; }
  const Api& api() const { return api_; }

 private:
  Api api_;
  std::vector<Held> held_;
};

// The older parameter lists of the routes that changed between releases.
using OldFlagLaunch = rtError_t (*)(const void* stub, std::uint32_t block_dim, void* args,
                                    std::uint32_t args_size, rtSmDesc_t* sm, rtStream_t stream,
                                    std::uint32_t flags);
using OldHandleLaunch = rtError_t (*)(void* handle, const void* dev_func, std::uint32_t block_dim,
                                      void* args, std::uint32_t args_size, rtSmDesc_t* sm,
                                      rtStream_t stream, const void* kernel_info);
using OldCpuFlagLaunch = rtError_t (*)(const void* so_name, const void* kernel_name,
                                       std::uint32_t block_dim, const void* args,
                                       std::uint32_t args_size, rtSmDesc_t* sm,
                                       rtStream_t stream, std::uint32_t flags);
using OldAicpuFlagLaunch = rtError_t (*)(const rtKernelLaunchNames_t* names,
                                         std::uint32_t block_dim, const void* args,
                                         std::uint32_t args_size, rtSmDesc_t* sm,
                                         rtStream_t stream, std::uint32_t flags);

// The words the latest launch of a changed route passed, as the runtime is
// expected to receive them: `count` of them, 32-bit parameters flagged.
struct SentWords {
  int count = 0;
  std::uint64_t words[8] = {};
  bool narrow[8] = {};
};
SentWords g_sent;

template <typename... Args>
void Record(Args... args) {
  g_sent = SentWords{};
  auto add = [](auto v) {
    const int i = g_sent.count++;
    if constexpr (std::is_pointer_v<decltype(v)>) {
      g_sent.words[i] = reinterpret_cast<std::uintptr_t>(v);
    } else {
      g_sent.words[i] = static_cast<std::uint64_t>(v);
      g_sent.narrow[i] = sizeof(v) == 4;
    }
  };
  (add(args), ...);
}

// A stream of its own, passed where an older list has its stream (the
// simulated runtime, which implements the newer lists, takes the smDesc
// word there, null: the default stream).
rtStream_t SpareStream() {
  static rtStream_t stream = [] {
    rtStream_t s = nullptr;
    rtStreamCreate(&s, 0);
    return s;
  }();
  return stream;
}

// The symbol the dynamic linker bound for `fn`, called with another list
// (through void (*)(), the conversion meant for that).
template <typename To, typename From>
To Retyped(From fn) {
  return reinterpret_cast<To>(reinterpret_cast<void (*)()>(fn));
}

int LaunchOnce(const std::string& kind, rtModel_t model) {
  static const char kStub = 0;  // any address names a kernel to the simulator
  static const char kTags[4] = {};  // distinct addresses for other pointers
  static char args_buffer[64];
  void* stub = const_cast<char*>(&kStub);
  auto* names = reinterpret_cast<const rtKernelLaunchNames_t*>(stub);
  if (kind == "flag") {
    return rtKernelLaunchWithFlagV2(stub, 1, nullptr, nullptr, nullptr, 0, nullptr);
  }
  if (kind == "handle") {
    return rtKernelLaunchWithHandleV2(stub, 0, 1, nullptr, nullptr, nullptr, nullptr);
  }
  if (kind == "aicpu") {
    auto* args = reinterpret_cast<const rtArgsEx_t*>(args_buffer);
    Record(names, 3u, args, static_cast<rtSmDesc_t*>(nullptr), static_cast<rtStream_t>(nullptr),
           0x51u);
    return rtAicpuKernelLaunchWithFlag(names, 3, args, nullptr, nullptr, 0x51);
  }
  if (kind == "aicpu_ex") {
    return rtAicpuKernelLaunchExWithArgs(0, "probe_op", 1, nullptr, nullptr, nullptr, 0);
  }
  if (kind == "model") return rtModelExecute(model, nullptr, 0);
  if (kind == "kernel") return rtKernelLaunch(stub, 1, args_buffer, 16, nullptr, nullptr);
  if (kind == "flag1") {
    auto* args = reinterpret_cast<rtArgsEx_t*>(args_buffer);
    Record(stub, 5u, args, static_cast<rtSmDesc_t*>(nullptr), static_cast<rtStream_t>(nullptr),
           0x52u);
    return rtKernelLaunchWithFlag(stub, 5, args, nullptr, nullptr, 0x52);
  }
  if (kind == "handle1") {
    auto* args = reinterpret_cast<rtArgsEx_t*>(args_buffer);
    const std::uint64_t tiling_key = 0x1122334455667788ull;
    Record(stub, tiling_key, 6u, args, static_cast<rtSmDesc_t*>(nullptr),
           static_cast<rtStream_t>(nullptr), static_cast<const void*>(&kTags[1]));
    return rtKernelLaunchWithHandle(stub, tiling_key, 6, args, nullptr, nullptr, &kTags[1]);
  }
  if (kind == "cpu") {
    return rtCpuKernelLaunch("libprobe_kernels.so", "probe_kernel", 1, args_buffer, 16, nullptr,
                             nullptr);
  }
  if (kind == "cpu_flag") {
    auto* args = reinterpret_cast<const rtArgsEx_t*>(args_buffer);
    const char* so = "libprobe_kernels.so";
    const char* kernel = "probe_kernel";
    Record(static_cast<const void*>(so), static_cast<const void*>(kernel), 7u, args,
           static_cast<rtSmDesc_t*>(nullptr), static_cast<rtStream_t>(nullptr), 0x53u);
    return rtCpuKernelLaunchWithFlag(so, kernel, 7, args, nullptr, nullptr, 0x53);
  }
  if (kind == "ex") return rtKernelLaunchEx(args_buffer, 16, 0, nullptr);
  if (kind == "fwk") return rtKernelLaunchFwk("probe_op", args_buffer, 16, 0, nullptr);
  if (kind == "acl") return aclrtLaunchKernel(stub, 1, args_buffer, 16, nullptr);
  if (kind == "acl_cfg") {
    return aclrtLaunchKernelWithConfig(stub, 1, nullptr, nullptr, args_buffer, nullptr);
  }
  if (kind == "acl_host") {
    return aclrtLaunchKernelWithHostArgs(stub, 1, nullptr, nullptr, args_buffer, 16, nullptr, 0);
  }
  // The older lists, through the symbol the dynamic linker bound.
  if (kind == "aicpu_old") {
    auto launch = Retyped<OldAicpuFlagLaunch>(&rtAicpuKernelLaunchWithFlag);
    Record(names, 3u, static_cast<const void*>(args_buffer), 0x40u,
           static_cast<rtSmDesc_t*>(nullptr), SpareStream(), 0x61u);
    return launch(names, 3, args_buffer, 0x40, nullptr, SpareStream(), 0x61);
  }
  if (kind == "flag1_old") {
    auto launch = Retyped<OldFlagLaunch>(&rtKernelLaunchWithFlag);
    Record(stub, 5u, static_cast<void*>(args_buffer), 0x41u, static_cast<rtSmDesc_t*>(nullptr),
           SpareStream(), 0x62u);
    return launch(stub, 5, args_buffer, 0x41, nullptr, SpareStream(), 0x62);
  }
  if (kind == "handle1_old") {
    auto launch = Retyped<OldHandleLaunch>(&rtKernelLaunchWithHandle);
    const void* dev_func = &kTags[2];
    Record(stub, dev_func, 6u, static_cast<void*>(args_buffer), 0x42u,
           static_cast<rtSmDesc_t*>(nullptr), SpareStream(), static_cast<const void*>(&kTags[3]));
    return launch(stub, dev_func, 6, args_buffer, 0x42, nullptr, SpareStream(), &kTags[3]);
  }
  if (kind == "cpu_flag_old") {
    auto launch = Retyped<OldCpuFlagLaunch>(&rtCpuKernelLaunchWithFlag);
    const char* so = "libprobe_kernels.so";
    const char* kernel = "probe_kernel";
    Record(static_cast<const void*>(so), static_cast<const void*>(kernel), 7u,
           static_cast<const void*>(args_buffer), 0x43u, static_cast<rtSmDesc_t*>(nullptr),
           SpareStream(), 0x63u);
    return launch(so, kernel, 7, args_buffer, 0x43, nullptr, SpareStream(), 0x63);
  }
  std::fprintf(stderr, "probe: unknown launch kind %s\n", kind.c_str());
  return ACL_ERROR_RT_PARAM_INVALID;
}

std::string Hex(const std::uint64_t* words, const bool* narrow, int count) {
  std::string out;
  char buffer[24];
  for (int i = 0; i < count; ++i) {
    const std::uint64_t w = narrow[i] ? (words[i] & 0xFFFFFFFFull) : words[i];
    std::snprintf(buffer, sizeof buffer, "%s%llx", i == 0 ? "" : ",",
                  static_cast<unsigned long long>(w));
    out += buffer;
  }
  return out;
}

// DCMI, linked or looked up on the library's own handle.
struct Dcmi {
  decltype(&dcmi_get_card_num_list) card_list = &dcmi_get_card_num_list;
  decltype(&dcmi_get_device_resource_info) resource_info = &dcmi_get_device_resource_info;
  decltype(&dcmi_get_device_hbm_info) hbm_info = &dcmi_get_device_hbm_info;
};

bool DlsymDcmi(Dcmi* dcmi) {
  void* lib = dlopen("libdcmi.so", RTLD_NOW | RTLD_LOCAL);
  return Lookup(lib, "dcmi_get_card_num_list", &dcmi->card_list) &&
         Lookup(lib, "dcmi_get_device_resource_info", &dcmi->resource_info) &&
         Lookup(lib, "dcmi_get_device_hbm_info", &dcmi->hbm_info);
}

void DcmiStep(const Dcmi& dcmi, const std::string& step) {
  // WHAT[:N]: the N-th card (default the first).
  const auto colon = step.find(':');
  const std::string what = step.substr(0, colon);
  const int index = colon == std::string::npos ? 0 : std::atoi(step.c_str() + colon + 1);
  int cards[16] = {};
  int count = 0;
  int card = -1;
  if (dcmi.card_list(&count, cards, 16) == 0 && index < count) card = cards[index];
  const int bad_card = 4242;
  if (what == "hbm" || what == "hbm_null" || what == "hbm_badcard") {
    dcmi_hbm_info info{};
    const int r = dcmi.hbm_info(what == "hbm_badcard" ? bad_card : card, 0,
                                what == "hbm_null" ? nullptr : &info);
    if (what == "hbm") {
      std::printf("dcmi hbm size=%llu usage=%llu -> %d\n", info.memory_size, info.memory_usage,
                  r);
    } else {
      std::printf("dcmi %s -> %d\n", what.c_str(), r);
    }
    return;
  }
  dcmi_proc_mem_info procs[kDcmiMaxProcesses] = {};
  int n = -1;
  int r = 0;
  if (what == "procs_null") {
    r = dcmi.resource_info(card, 0, nullptr, &n);
  } else if (what == "procnum_null") {
    r = dcmi.resource_info(card, 0, procs, nullptr);
  } else {
    r = dcmi.resource_info(what == "procs_badcard" ? bad_card : card, 0, procs, &n);
  }
  if (what != "procs") {
    std::printf("dcmi %s -> %d\n", what.c_str(), r);
    return;
  }
  std::string pids, bytes;
  for (int i = 0; i < n && i < kDcmiMaxProcesses; ++i) {
    pids += (i == 0 ? "" : ",") + std::to_string(procs[i].proc_id);
    bytes += (i == 0 ? "" : ",") + std::to_string(procs[i].proc_mem_usage);
  }
  std::printf("dcmi procs n=%d pids=%s bytes=%s -> %d\n", n, pids.c_str(), bytes.c_str(), r);
}

void Churn(Probe& probe, long ms, unsigned long long seed) {
  std::mt19937_64 rng(seed);
  struct Live {
    void* ptr;
    bool acl;
  };
  std::vector<Live> live;
  unsigned long long ops = 0, refused = 0;
  const Api& api = probe.api();
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < end) {
    if (!live.empty() && (rng() % 2 == 0 || live.size() > 32)) {
      const std::size_t at = rng() % live.size();
      if (live[at].acl) {
        api.acl_free(live[at].ptr);
      } else {
        api.rt_free(live[at].ptr);
      }
      live[at] = live.back();
      live.pop_back();
    } else {
      void* p = nullptr;
      const std::size_t bytes = (1 + rng() % 64) << 20;
      const bool acl = ops % 2 == 0;
      const int r = acl ? api.acl_malloc(&p, bytes, ACL_MEM_MALLOC_HUGE_FIRST)
                        : api.rt_malloc(&p, bytes, RT_MEMORY_HBM, 0);
      if (r == ACL_SUCCESS) {
        live.push_back({p, acl});
      } else {
        ++refused;
      }
    }
    ++ops;
  }
  for (const Live& l : live) {
    if (l.acl) {
      api.acl_free(l.ptr);
    } else {
      api.rt_free(l.ptr);
    }
  }
  std::printf("churn ops=%llu refused=%llu\n", ops, refused);
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string route = "direct";
  bool device = true;
  int first = 1;
  for (;;) {
    if (argc > first + 1 && std::strcmp(argv[first], "--route") == 0) {
      route = argv[first + 1];
      first += 2;
    } else if (argc > first && std::strcmp(argv[first], "--no-device") == 0) {
      device = false;
      first += 1;
    } else {
      break;
    }
  }
  if (device) {
    int r = aclInit(nullptr);
    if (r == ACL_SUCCESS) r = aclrtSetDevice(0);
    if (r != ACL_SUCCESS) {
      std::printf("init -> %d\n", r);
      return 1;
    }
  }
  Api api = DirectApi();
  Dcmi dcmi;
  if (route == "dlsym") {
    if (!DlsymApi(&api) || !DlsymDcmi(&dcmi)) return 1;
  } else if (route != "direct") {
    std::fprintf(stderr, "probe: unknown route %s\n", route.c_str());
    return 1;
  }
  Probe probe(api);
  int failures = 0;

  for (int i = first; i < argc; ++i) {
    const std::string step = argv[i];
    const auto colon = step.find(':');
    const std::string verb = step.substr(0, colon);
    const std::string rest = colon == std::string::npos ? "" : step.substr(colon + 1);
    const auto c2 = rest.find(':');
    const std::string arg1 = rest.substr(0, c2);
    const std::string arg2 = c2 == std::string::npos ? "" : rest.substr(c2 + 1);
    unsigned long long n = 0;
    if (verb == "alloc" || verb == "fill") {
      if (!ParseSize(arg2, &n) || n == 0) {
        std::fprintf(stderr, "probe: bad step %s\n", step.c_str());
        return 1;
      }
      if (verb == "alloc") {
        const int ar = probe.Allocate(arg1, n);
        if (ar != ACL_SUCCESS) ++failures;
        std::printf("alloc %s %llu -> %d\n", arg1.c_str(), n, ar);
      } else {
        unsigned long long count = 0;
        int fr = ACL_SUCCESS;
        while ((fr = probe.Allocate(arg1, n)) == ACL_SUCCESS) ++count;
        std::printf("fill %s %llu blocks %llu bytes -> %d\n", arg1.c_str(), count, count * n,
                    fr);
      }
    } else if (verb == "free" || verb == "xfree") {
      const std::size_t at = std::strtoul(rest.c_str(), nullptr, 10);
      if (at >= probe.held().size()) {
        std::fprintf(stderr, "probe: no allocation %zu\n", at);
        return 1;
      }
      const int fr = probe.Free(probe.held()[at], verb == "xfree");
      if (fr != ACL_SUCCESS) ++failures;
      std::printf("%s %zu -> %d\n", verb.c_str(), at, fr);
    } else if (verb == "freeall") {
      int failures = 0;
      for (Held& h : probe.held()) {
        if (h.live && probe.Free(h, false) != ACL_SUCCESS) ++failures;
      }
      std::printf("freeall failures=%d\n", failures);
    } else if (verb == "info") {
      probe.Info(rest);
    } else if (verb == "churn") {
      Churn(probe, std::atol(arg1.c_str()), arg2.empty() ? 1 : std::stoull(arg2));
    } else if (verb == "launch") {
      const long count = std::atol(arg2.c_str());
      rtModel_t model = nullptr;
      if (arg1 == "model") rtModelCreate(&model, 0);
      const auto start = std::chrono::steady_clock::now();
      int lr = ACL_SUCCESS;
      for (long k = 0; k < count && lr == ACL_SUCCESS; ++k) lr = LaunchOnce(arg1, model);
      if (lr == ACL_SUCCESS) lr = aclrtSynchronizeStream(nullptr);
      const auto finish = std::chrono::steady_clock::now();
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(finish - start);
      const auto ns = [](auto t) {
        return static_cast<long long>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
      };
      if (model != nullptr) rtModelDestroy(model);
      std::printf("launch %s %ld -> %d elapsed_us=%lld start_ns=%lld end_ns=%lld\n",
                  arg1.c_str(), count, lr, static_cast<long long>(us.count()), ns(start),
                  ns(finish));
    } else if (verb == "spin") {
      const std::string kind = arg2.empty() ? "flag" : arg2;
      rtModel_t model = nullptr;
      if (kind == "model" && rtModelCreate(&model, 0) != ACL_SUCCESS) {
        std::fprintf(stderr, "probe: cannot create a model\n");
        return 1;
      }
      const auto start = std::chrono::steady_clock::now();
      const auto end = start + std::chrono::milliseconds(std::atol(arg1.c_str()));
      unsigned long long kernels = 0;
      while (std::chrono::steady_clock::now() < end) {
        if (const int lr = LaunchOnce(kind, model); lr != ACL_SUCCESS) {
          std::fprintf(stderr, "probe: launch failed: %d\n", lr);
          return 1;
        }
        ++kernels;
      }
      aclrtSynchronizeDevice();
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - start)
                          .count();
      if (model != nullptr) rtModelDestroy(model);
      std::printf("spin kernels=%llu elapsed_us=%lld kind=%s\n", kernels,
                  static_cast<long long>(us), kind.c_str());
    } else if (verb == "requests") {
      const auto parts = SplitColons(rest);
      if (parts.size() != 3 && parts.size() != 4) {
        std::fprintf(stderr, "probe: bad step %s (requests:COUNT:LAUNCHES:PERIOD_MS[:KIND])\n",
                     step.c_str());
        return 1;
      }
      const std::string kind = parts.size() == 4 ? parts[3] : "flag";
      const long launches = std::atol(parts[1].c_str());
      int rr = ACL_SUCCESS;
      const bool done = RunRequests(
          std::atol(parts[0].c_str()), std::chrono::milliseconds(std::atol(parts[2].c_str())),
          [&] {
            for (long k = 0; k < launches && rr == ACL_SUCCESS; ++k) rr = LaunchOnce(kind, nullptr);
            if (rr == ACL_SUCCESS) rr = aclrtSynchronizeStream(nullptr);
            return rr == ACL_SUCCESS;
          });
      if (!done) {
        std::fprintf(stderr, "probe: a request failed: %d\n", rr);
        return 1;
      }
    } else if (verb == "event" || verb == "devsync") {
      const long count = std::atol(rest.c_str());
      const auto start = std::chrono::steady_clock::now();
      int er = ACL_SUCCESS;
      if (verb == "event") {
        for (long k = 0; k < count && er == ACL_SUCCESS; ++k) er = LaunchOnce("flag", nullptr);
        rtEvent_t event = nullptr;
        if (er == ACL_SUCCESS) er = rtEventCreate(&event);
        if (er == ACL_SUCCESS) er = rtEventRecord(event, nullptr);
        if (er == ACL_SUCCESS) er = rtEventSynchronize(event);
        if (event != nullptr) rtEventDestroy(event);
      } else {
        rtStream_t stream = nullptr;
        er = rtStreamCreate(&stream, 0);
        static const char kStub = 0;
        for (long k = 0; k < count && er == ACL_SUCCESS; ++k) {
          er = rtKernelLaunchWithFlagV2(&kStub, 1, nullptr, nullptr, stream, 0, nullptr);
        }
        if (er == ACL_SUCCESS) er = rtStreamDestroy(stream);
        if (er == ACL_SUCCESS) er = aclrtSynchronizeDevice();
      }
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - start)
                          .count();
      std::printf("%s %ld -> %d elapsed_us=%lld\n", verb.c_str(), count, er,
                  static_cast<long long>(us));
    } else if (verb == "words") {
      std::uint64_t got[8] = {};
      const int wr = LaunchOnce(rest, nullptr);
      vsliceSimLastLaunchWords(got);
      if (wr == ACL_SUCCESS) aclrtSynchronizeStream(nullptr);
      std::printf("words %s -> %d sent=%s got=%s\n", rest.c_str(), wr,
                  Hex(g_sent.words, g_sent.narrow, g_sent.count).c_str(),
                  Hex(got, g_sent.narrow, g_sent.count).c_str());
    } else if (verb == "dcmi") {
      DcmiStep(dcmi, rest);
    } else if (verb == "pid") {
      std::printf("pid %d\n", static_cast<int>(getpid()));
    } else if (verb == "report") {
      std::printf("report failures=%d\n", failures);
    } else if (verb == "hold") {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(rest.c_str())));
    } else if (verb == "ready") {
      std::printf("ready\n");
      std::fflush(stdout);
    } else if (verb == "wait") {
      char buffer[64];
      while (read(0, buffer, sizeof buffer) > 0) {
      }
    } else {
      std::fprintf(stderr, "probe: unknown step %s\n", step.c_str());
      return 1;
    }
  }
  return 0;
}
