// The pod's metrics in the Prometheus text exposition format (version
// 0.0.4), read from the pod region. Every metric is listed, with its type,
// labels and meaning, in docs/METRICS.md; keep the two in step.
//
// Almost everything is a plain read of the region's counters at scrape
// time. The exception is the pod's kernel launches: the region counts them
// per process slot, and a slot's count goes with the process, so Sample()
// (called every ~100 ms by the metrics thread) remembers the last count of
// each live slot and adds it to a per-device total when the slot goes away.
// That keeps vslice_launches_total a counter that never goes down while the
// limiter lives.
//
// Not thread-safe: one thread (the metrics server's) calls Sample() and
// Render().
#ifndef VSLICE_LIMITER_METRICS_H_
#define VSLICE_LIMITER_METRICS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/region_layout.h"

namespace vslice::limiter {

class MetricsCollector {
 public:
  // `pod` becomes the `pod` label of every metric.
  MetricsCollector(const RegionLayout& layout, std::string pod, std::string region_path,
                   std::string version);

  // Remembers the launch counts of live slots (see above).
  void Sample();

  // The exposition text (Sample()s first). False, with one line naming the
  // region and the value in `text` instead, when a value of the region is
  // out of what vslice writes (core/layout_checks.h): nothing is shown then.
  bool Render(std::string* text);

 private:
  struct SlotSeen {
    bool active = false;
    std::uint64_t started = 0;
    std::uint64_t launches[kMaxDevices] = {};
  };

  std::string Exposition();

  const RegionLayout& layout_;
  std::string pod_;  // label value, escaped
  std::string region_path_;
  std::string version_;
  std::vector<SlotSeen> seen_;
  std::uint64_t retired_launches_[kMaxDevices] = {};
};

// `value` escaped for a label value: backslash, double quote and newline
// escaped, other control and non-ASCII bytes replaced by '_'.
std::string EscapeLabelValue(const std::string& value);

}  // namespace vslice::limiter

#endif  // VSLICE_LIMITER_METRICS_H_
