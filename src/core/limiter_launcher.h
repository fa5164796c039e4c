// Starting the pod's limiter from inside an application.
//
// vslice run starts a limiter for its pod, and so does an Ascend pod that
// follows HAMi-vnpu-core's recipe. HAMi's NVIDIA device plugin starts none: it
// only sets the environment and preloads the library. So when a process finds
// that its pod asks for compute control (a cap, or a node registry) and no
// limiter serves the pod region, it starts one: detached, in a session of its
// own, logging next to the region, and exiting once the pod has had no
// process for a while. Concurrent starters are harmless: the limiter lock
// lets one limiter serve a region.
#ifndef VSLICE_CORE_LIMITER_LAUNCHER_H_
#define VSLICE_CORE_LIMITER_LAUNCHER_H_

#include "core/options.h"
#include "core/pod_region.h"

namespace vslice {

// Seconds a limiter started this way lives on without any process.
inline constexpr int kAutoLimiterIdleSeconds = 30;

void StartLimiterIfNeeded(const Options& options, PodRegion& region);

}  // namespace vslice

#endif  // VSLICE_CORE_LIMITER_LAUNCHER_H_
