#include "scheduler/fit.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "hami/names.h"

namespace vslice::scheduler {
namespace {

using hami::RegisteredDevice;

constexpr int kPerGpuRefusals = static_cast<int>(Refusal::kCoresExhausted) + 1;

const char* RefusalText(Refusal r) {
  switch (r) {
    case Refusal::kUnhealthy: return "no healthy GPU";
    case Refusal::kTypeFiltered: return "no GPU of the selected type (nvidia.com/use-gputype, nouse-gputype)";
    case Refusal::kUuidFiltered: return "no GPU with a selected UUID (nvidia.com/use-gpuuuid, nouse-gpuuuid)";
    case Refusal::kNoShare: return "no free GPU share";
    case Refusal::kNoMemory: return "too little free memory";
    case Refusal::kNoCores: return "too little free compute";
    case Refusal::kNotExclusive: return "no idle GPU (100% cores asked)";
    case Refusal::kCoresExhausted: return "compute all taken (0 cores asked)";
    case Refusal::kNumaSplit: return "not enough GPUs on one NUMA node (nvidia.com/numa-bind)";
    case Refusal::kTooFewGpus: return "the node has fewer GPUs";
    case Refusal::kNoGpus: return "no GPU registered on the node";
    case Refusal::kNone: break;
  }
  return "fits";
}

bool ContainsNoCase(std::string_view haystack, std::string_view needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(), [](char a, char b) {
           return std::toupper(static_cast<unsigned char>(a)) == std::toupper(static_cast<unsigned char>(b));
         }) != haystack.end();
}

bool AnyOf(const std::vector<std::string>& list, auto&& pred) { return std::any_of(list.begin(), list.end(), pred); }

// The pod's choices that do not depend on use.
Refusal StaticRefusal(const RegisteredDevice& d, const PodRequest& pod) {
  if (!d.health) return Refusal::kUnhealthy;
  if (!pod.use_types.empty() && !AnyOf(pod.use_types, [&](const std::string& t) { return ContainsNoCase(d.type, t); }))
    return Refusal::kTypeFiltered;
  if (AnyOf(pod.nouse_types, [&](const std::string& t) { return ContainsNoCase(d.type, t); })) return Refusal::kTypeFiltered;
  if (!pod.use_uuids.empty() && !AnyOf(pod.use_uuids, [&](const std::string& u) { return u == d.id; }))
    return Refusal::kUuidFiltered;
  if (AnyOf(pod.nouse_uuids, [&](const std::string& u) { return u == d.id; })) return Refusal::kUuidFiltered;
  return Refusal::kNone;
}

Refusal UseRefusal(const RegisteredDevice& d, const GpuUse& u, const ContainerRequest& c) {
  if (u.shares >= d.count) return Refusal::kNoShare;
  if (d.devmem_mib - u.mem_mib < c.MemOn(d.devmem_mib)) return Refusal::kNoMemory;
  if (d.devcore - u.cores < c.cores) return Refusal::kNoCores;
  if (c.cores >= 100 && d.devcore <= 100 && u.shares > 0) return Refusal::kNotExclusive;
  if (c.cores == 0 && d.devcore > 0 && u.cores >= d.devcore) return Refusal::kCoresExhausted;
  return Refusal::kNone;
}

double Fraction(double used, double total) { return total > 0 ? std::min(1.0, used / total) : 1.0; }

// How full the GPU would be with the container on it: memory first, then
// compute, then shares, as one sortable number.
double GpuFullnessWith(const RegisteredDevice& d, const GpuUse& u, const ContainerRequest& c) {
  return Fraction(u.mem_mib + c.MemOn(d.devmem_mib), d.devmem_mib) * 1e6 +
         Fraction(u.cores + c.cores, d.devcore) * 1e3 + Fraction(u.shares + 1, d.count);
}

struct Candidate {
  double fullness;
  int device;
};

// Buffers reused across calls (filter judges a thousand nodes per request).
struct Scratch {
  std::vector<Refusal> static_refusal;
  std::vector<GpuUse> work;
  std::vector<Candidate> candidates;
  std::vector<int> chosen, group;
};

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

// Picks c.count devices for one container into s.chosen and charges them
// to s.work; false with the dominant refusal when it cannot.
bool PlaceContainer(std::span<const RegisteredDevice> devices, Scratch& s, const PodRequest& pod,
                    const ContainerRequest& c, Policy policy, Refusal* refusal) {
  std::array<int, kPerGpuRefusals> refusals{};
  s.candidates.clear();
  for (std::size_t i = 0; i < devices.size(); ++i) {
    Refusal why = s.static_refusal[i] != Refusal::kNone ? s.static_refusal[i] : UseRefusal(devices[i], s.work[i], c);
    if (why != Refusal::kNone) {
      ++refusals[static_cast<int>(why)];
      continue;
    }
    s.candidates.push_back({GpuFullnessWith(devices[i], s.work[i], c), static_cast<int>(i)});
  }
  const int wanted = c.count;
  auto better = [policy](const Candidate& a, const Candidate& b) {
    if (a.fullness != b.fullness) return policy == Policy::kBinpack ? a.fullness > b.fullness : a.fullness < b.fullness;
    return a.device < b.device;
  };
  std::sort(s.candidates.begin(), s.candidates.end(), better);
  s.chosen.clear();
  if (!pod.numa_bind) {
    for (int k = 0; k < wanted && k < static_cast<int>(s.candidates.size()); ++k) s.chosen.push_back(s.candidates[k].device);
  } else {
    // The best NUMA node is the one holding the best-ranked candidate among
    // the nodes with enough of them.
    for (const Candidate& lead : s.candidates) {
      const int numa = devices[lead.device].numa;
      s.group.clear();
      for (const Candidate& x : s.candidates) {
        if (devices[x.device].numa == numa && static_cast<int>(s.group.size()) < wanted) s.group.push_back(x.device);
      }
      if (static_cast<int>(s.group.size()) == wanted) {
        s.chosen.swap(s.group);
        break;
      }
    }
    if (static_cast<int>(s.chosen.size()) < wanted && static_cast<int>(s.candidates.size()) >= wanted) {
      *refusal = Refusal::kNumaSplit;  // enough GPUs, but not on one NUMA node
      return false;
    }
  }
  if (static_cast<int>(s.chosen.size()) < wanted) {
    // Ties go to the later category: use (memory, compute) over health
    // and filters, the reason closest to fitting.
    int most = -1;
    for (int r = 0; r < kPerGpuRefusals; ++r) {
      if (refusals[r] > 0 && refusals[r] >= most) {
        most = refusals[r];
        *refusal = static_cast<Refusal>(r);
      }
    }
    return false;
  }
  for (int i : s.chosen) {
    s.work[i].shares += 1;
    s.work[i].mem_mib += c.MemOn(devices[i].devmem_mib);
    s.work[i].cores += c.cores;
  }
  return true;
}

// Could the container fit on this node with nothing else on it?
bool CouldEverFit(std::span<const RegisteredDevice> devices, const Scratch& s, const PodRequest& pod,
                  const ContainerRequest& c) {
  int fitting = 0;
  std::array<int, 64> per_numa{};
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const RegisteredDevice& d = devices[i];
    if (s.static_refusal[i] != Refusal::kNone || d.count < 1 || d.devmem_mib < c.MemOn(d.devmem_mib) ||
        d.devcore < c.cores) {
      continue;
    }
    ++fitting;
    if (d.numa >= 0 && d.numa < 64) ++per_numa[d.numa];
  }
  if (!pod.numa_bind) return fitting >= c.count;
  return *std::max_element(per_numa.begin(), per_numa.end()) >= c.count;
}

}  // namespace

FitResult FitPod(std::span<const RegisteredDevice> devices, std::span<const GpuUse> use, const PodRequest& pod,
                 Policy gpu_policy, FitDetail detail) {
  FitResult result;
  if (devices.empty()) {
    result.refusal = Refusal::kNoGpus;
    result.unresolvable = true;
    return result;
  }
  Scratch& s = ThreadScratch();
  s.work.assign(use.begin(), use.end());
  s.work.resize(devices.size());
  s.static_refusal.resize(devices.size());
  for (std::size_t i = 0; i < devices.size(); ++i) s.static_refusal[i] = StaticRefusal(devices[i], pod);
  for (std::size_t k = 0; k < pod.containers.size(); ++k) {
    const ContainerRequest& c = pod.containers[k];
    if (detail == FitDetail::kShares) result.shares.emplace_back();
    if (c.count <= 0) continue;
    Refusal why = Refusal::kNone;
    if (c.count > static_cast<int>(devices.size())) why = Refusal::kTooFewGpus;
    if (why != Refusal::kNone || !PlaceContainer(devices, s, pod, c, gpu_policy, &why)) {
      result.failed_container = static_cast<int>(k);
      result.refusal = why;
      result.unresolvable = why == Refusal::kTooFewGpus || !CouldEverFit(devices, s, pod, c);
      result.shares.clear();
      return result;
    }
    if (detail == FitDetail::kShares) {
      for (int i : s.chosen) result.shares.back().push_back({devices[i].id, std::string(hami::kNvidiaVendor), c.MemOn(devices[i].devmem_mib), c.cores});
    }
  }
  result.fits = true;
  double mem = 0, mem_total = 0, cores = 0, cores_total = 0;
  for (std::size_t i = 0; i < devices.size(); ++i) {
    mem += static_cast<double>(s.work[i].mem_mib);
    mem_total += static_cast<double>(devices[i].devmem_mib);
    cores += s.work[i].cores;
    cores_total += devices[i].devcore;
  }
  result.fullness_after = (Fraction(mem, mem_total) + Fraction(cores, cores_total)) / 2;
  return result;
}

std::string ExplainRefusal(const PodRequest& pod, const FitResult& fit) {
  if (fit.refusal == Refusal::kNoGpus || fit.failed_container < 0 ||
      fit.failed_container >= static_cast<int>(pod.containers.size())) {
    return RefusalText(fit.refusal);
  }
  const ContainerRequest& c = pod.containers[fit.failed_container];
  const std::string memory =
      c.mem_mib > 0 ? std::to_string(c.mem_mib) + " MiB" : std::to_string(c.mem_percent) + "% of memory";
  return std::string(c.init ? "init container '" : "container '") + c.name + "' asks " + std::to_string(c.count) +
         " GPU(s) with " + memory + " and " + std::to_string(c.cores) + "% cores each: " + RefusalText(fit.refusal);
}

double NodePreference(const FitResult& fit, Policy node_policy) {
  if (!fit.fits) return 0;
  return node_policy == Policy::kBinpack ? fit.fullness_after : 1.0 - fit.fullness_after;
}

void ApplyShares(std::span<const RegisteredDevice> devices, std::span<GpuUse> use, const hami::PodShares& shares,
                 int sign) {
  for (const hami::ContainerShares& group : shares) {
    for (const hami::DeviceShare& s : group) {
      for (std::size_t i = 0; i < devices.size() && i < use.size(); ++i) {
        if (devices[i].id != s.uuid) continue;
        use[i].shares += sign;
        use[i].mem_mib += sign * s.mem_mib;
        use[i].cores += sign * s.cores;
        break;
      }
    }
  }
}

}  // namespace vslice::scheduler
