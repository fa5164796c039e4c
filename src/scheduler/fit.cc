#include "scheduler/fit.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "scheduler/extender_types.h"

namespace vslice::scheduler {
namespace {

using hami::RegisteredDevice;

// Why a GPU cannot take a container; the order is the order of the checks.
enum Refusal : int {
  kUnhealthy,
  kTypeFiltered,
  kUuidFiltered,
  kNoShare,
  kNoMemory,
  kNoCores,
  kNotExclusive,
  kCoresExhausted,
  kNumaSplit,
  kRefusalCount
};
constexpr std::array<const char*, kRefusalCount> kRefusalText = {
    "unhealthy",         "type not selected",        "UUID not selected",
    "no free share",     "too little free memory",   "too little free compute",
    "in use (100% cores asked)", "all compute taken (0 cores asked)", "on another NUMA node"};

bool ContainsNoCase(std::string_view haystack, std::string_view needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(), [](char a, char b) {
           return std::toupper(static_cast<unsigned char>(a)) == std::toupper(static_cast<unsigned char>(b));
         }) != haystack.end();
}

bool AnyOf(const std::vector<std::string>& list, auto&& pred) { return std::any_of(list.begin(), list.end(), pred); }

// The pod's choices that do not depend on use.
int StaticRefusal(const RegisteredDevice& d, const PodRequest& pod) {
  if (!d.health) return kUnhealthy;
  if (!pod.use_types.empty() && !AnyOf(pod.use_types, [&](const std::string& t) { return ContainsNoCase(d.type, t); }))
    return kTypeFiltered;
  if (AnyOf(pod.nouse_types, [&](const std::string& t) { return ContainsNoCase(d.type, t); })) return kTypeFiltered;
  if (!pod.use_uuids.empty() && !AnyOf(pod.use_uuids, [&](const std::string& u) { return u == d.id; }))
    return kUuidFiltered;
  if (AnyOf(pod.nouse_uuids, [&](const std::string& u) { return u == d.id; })) return kUuidFiltered;
  return -1;
}

int UseRefusal(const RegisteredDevice& d, const GpuUse& u, const ContainerRequest& c) {
  if (u.shares >= d.count) return kNoShare;
  if (d.devmem_mib - u.mem_mib < c.MemOn(d.devmem_mib)) return kNoMemory;
  if (d.devcore - u.cores < c.cores) return kNoCores;
  if (c.cores >= 100 && d.devcore <= 100 && u.shares > 0) return kNotExclusive;
  if (c.cores == 0 && d.devcore > 0 && u.cores >= d.devcore) return kCoresExhausted;
  return -1;
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

// Picks c.count devices for one container; false with refusal counts when
// it cannot.
bool PlaceContainer(std::span<const RegisteredDevice> devices, std::vector<GpuUse>& use,
                    const std::vector<int>& static_refusal, const PodRequest& pod, const ContainerRequest& c,
                    Policy policy, std::vector<int>* chosen, std::array<int, kRefusalCount>* refusals) {
  std::vector<Candidate> candidates;
  candidates.reserve(devices.size());
  for (std::size_t i = 0; i < devices.size(); ++i) {
    int why = static_refusal[i] >= 0 ? static_refusal[i] : UseRefusal(devices[i], use[i], c);
    if (why >= 0) {
      ++(*refusals)[why];
      continue;
    }
    candidates.push_back({GpuFullnessWith(devices[i], use[i], c), static_cast<int>(i)});
  }
  auto better = [policy](const Candidate& a, const Candidate& b) {
    if (a.fullness != b.fullness) return policy == Policy::kBinpack ? a.fullness > b.fullness : a.fullness < b.fullness;
    return a.device < b.device;
  };
  std::sort(candidates.begin(), candidates.end(), better);
  chosen->clear();
  if (!pod.numa_bind) {
    for (int k = 0; k < c.count && k < static_cast<int>(candidates.size()); ++k) chosen->push_back(candidates[k].device);
  } else {
    // The best NUMA node is the one holding the best-ranked candidate among
    // the nodes with enough of them.
    for (const Candidate& lead : candidates) {
      const int numa = devices[lead.device].numa;
      std::vector<int> group;
      for (const Candidate& x : candidates) {
        if (devices[x.device].numa == numa && static_cast<int>(group.size()) < c.count) group.push_back(x.device);
      }
      if (static_cast<int>(group.size()) == c.count) {
        *chosen = std::move(group);
        break;
      }
    }
    if (static_cast<int>(chosen->size()) < c.count && !candidates.empty()) (*refusals)[kNumaSplit] += 1;
  }
  if (static_cast<int>(chosen->size()) < c.count) return false;
  for (int i : *chosen) {
    use[i].shares += 1;
    use[i].mem_mib += c.MemOn(devices[i].devmem_mib);
    use[i].cores += c.cores;
  }
  return true;
}

std::string DescribeContainer(const ContainerRequest& c) {
  std::string what = std::to_string(c.count) + " GPU(s) with " +
                     (c.mem_mib > 0 ? std::to_string(c.mem_mib) + " MiB" : std::to_string(c.mem_percent) + "% of memory") +
                     " and " + std::to_string(c.cores) + "% cores each";
  return (c.init ? "init container '" : "container '") + c.name + "' asks " + what;
}

// Places every container on `use` (updated). Sets reason on failure.
bool PlaceAll(std::span<const RegisteredDevice> devices, std::vector<GpuUse>& use, const PodRequest& pod,
              Policy policy, hami::PodShares* shares, std::string* reason) {
  std::vector<int> static_refusal(devices.size());
  for (std::size_t i = 0; i < devices.size(); ++i) static_refusal[i] = StaticRefusal(devices[i], pod);
  std::vector<int> chosen;
  shares->clear();
  for (const ContainerRequest& c : pod.containers) {
    hami::ContainerShares group;
    if (c.count > 0) {
      std::array<int, kRefusalCount> refusals{};
      if (c.count > static_cast<int>(devices.size())) {
        *reason = DescribeContainer(c) + "; the node has " + std::to_string(devices.size()) + " GPU(s)";
        return false;
      }
      if (!PlaceContainer(devices, use, static_refusal, pod, c, policy, &chosen, &refusals)) {
        std::string counts;
        for (int r = 0; r < kRefusalCount; ++r) {
          if (refusals[r] == 0) continue;
          counts += (counts.empty() ? "" : ", ") + std::to_string(refusals[r]) + " " + kRefusalText[r];
        }
        *reason = DescribeContainer(c) + "; of " + std::to_string(devices.size()) + " GPU(s): " +
                  (counts.empty() ? "too few fit" : counts);
        return false;
      }
      for (int i : chosen) {
        group.push_back({devices[i].id, "NVIDIA", c.MemOn(devices[i].devmem_mib), c.cores});
      }
    }
    shares->push_back(std::move(group));
  }
  return true;
}

}  // namespace

FitResult FitPod(std::span<const RegisteredDevice> devices, std::span<const GpuUse> use, const PodRequest& pod,
                 Policy gpu_policy) {
  FitResult result;
  std::vector<GpuUse> work(use.begin(), use.end());
  work.resize(devices.size());
  if (devices.empty()) {
    result.reason = "no GPU registered on the node";
    result.unresolvable = true;
    return result;
  }
  if (!PlaceAll(devices, work, pod, gpu_policy, &result.shares, &result.reason)) {
    std::vector<GpuUse> empty(devices.size());
    hami::PodShares unused;
    std::string unused_reason;
    result.unresolvable = !PlaceAll(devices, empty, pod, gpu_policy, &unused, &unused_reason);
    result.shares.clear();
    return result;
  }
  result.fits = true;
  double mem = 0, mem_total = 0, cores = 0, cores_total = 0;
  for (std::size_t i = 0; i < devices.size(); ++i) {
    mem += static_cast<double>(work[i].mem_mib);
    mem_total += static_cast<double>(devices[i].devmem_mib);
    cores += work[i].cores;
    cores_total += devices[i].devcore;
  }
  result.fullness_after = (Fraction(mem, mem_total) + Fraction(cores, cores_total)) / 2;
  return result;
}

std::int64_t NodeScore(const FitResult& fit, Policy node_policy) {
  if (!fit.fits) return 0;
  const double f = node_policy == Policy::kBinpack ? fit.fullness_after : 1.0 - fit.fullness_after;
  return std::clamp<std::int64_t>(static_cast<std::int64_t>(f * kMaxExtenderPriority + 0.5), 0, kMaxExtenderPriority);
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
