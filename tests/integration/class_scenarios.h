// The priority tests' scenarios, for either backend's pod (compute_pod.h,
// tests/ascend/ascend_pod.h), whose limiters the caller starts.
#ifndef VSLICE_TESTS_INTEGRATION_CLASS_SCENARIOS_H_
#define VSLICE_TESTS_INTEGRATION_CLASS_SCENARIOS_H_

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "process_harness.h"

namespace vslice::testing {

struct Contended {
  RequestLatency requests;   // the requesting pod's latencies
  ProcessResult saturating;  // the saturating pod's spin (SpinRate)
};

// One pod saturates the device for 2.5 s; 0.2 s in, when its queue is full,
// another sends `requests` (a probe's steps ending in a requests step).
template <typename Pod>
Contended RequestsBesideASaturatingPod(Pod& saturating, Pod& requesting,
                                       const std::vector<std::string>& requests) {
  auto spin = saturating.Spin(2500);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  Contended c;
  c.requests = Latencies(requesting.Start(requests)->Wait());
  c.saturating = spin->Wait();
  return c;
}

struct Overlapped {
  ProcessResult first;  // 3 s of spinning
  ProcessResult later;  // 2 s, from 0.3 s in
};

// One pod spins for 3 s; 0.3 s in, another spins for 2 s.
template <typename Pod>
Overlapped ALaterPodSpinsBeside(Pod& first, Pod& later) {
  auto f = first.Spin(3000);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Overlapped o;
  o.later = later.Spin(2000)->Wait();
  o.first = f->Wait();
  return o;
}

}  // namespace vslice::testing

#endif  // VSLICE_TESTS_INTEGRATION_CLASS_SCENARIOS_H_
