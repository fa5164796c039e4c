#include "device_plugin/device_health.h"

#include <algorithm>

namespace vslice::dp {

bool IsApplicationXid(unsigned long long xid) {
  for (unsigned long long x : {13ull, 31ull, 43ull, 45ull, 68ull, 109ull}) {
    if (x == xid) return true;
  }
  return false;
}

std::vector<PhysicalDevice> MergeHealth(const std::vector<PhysicalDevice>& known,
                                        const std::vector<PhysicalDevice>& found,
                                        const std::set<std::string>& failed) {
  std::vector<PhysicalDevice> out;
  for (PhysicalDevice d : found) {
    const auto before = std::find_if(known.begin(), known.end(),
                                     [&](const PhysicalDevice& k) { return k.uuid == d.uuid; });
    if (before != known.end()) {
      if (!before->healthy) d.healthy = false;
      // A lost GPU no longer reports its size or model: keep what it had.
      if (d.memory_bytes == 0) d.memory_bytes = before->memory_bytes;
      if (d.model.empty()) d.model = before->model;
    }
    if (failed.count(d.uuid) != 0) d.healthy = false;
    out.push_back(d);
  }
  for (const PhysicalDevice& k : known) {
    const bool present = std::any_of(out.begin(), out.end(),
                                     [&](const PhysicalDevice& d) { return d.uuid == k.uuid; });
    if (!present) {
      PhysicalDevice gone = k;
      gone.healthy = false;
      out.push_back(gone);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const PhysicalDevice& a, const PhysicalDevice& b) { return a.index < b.index; });
  return out;
}

}  // namespace vslice::dp
