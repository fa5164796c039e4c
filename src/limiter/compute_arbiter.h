// ComputeArbiter: decides when the pod may submit work to each device.
//
// It runs on its own thread in the pod's limiter, a pass every
// kPassInterval, and drives the pod's gates (DeviceGate in the pod region):
//
// - Device time is handed out in slots. At most one pod of the node holds a
//   device at a time (NodeRegistry's holder), so the device time a pod is
//   charged is exactly its own: from opening its gate until its work has
//   drained after closing it (each process's drainer acknowledges).
// - A hard cap is a token bucket of device time, refilled at cap% of wall
//   time: the gate closes when the tokens run out and reopens once a minimum
//   slot's worth has come back.
// - Among pods that want a device, the one with the least virtual time
//   (device time / weight) goes next, so contended time splits by weight. A
//   pod that comes back from idling starts at the least virtual time of the
//   others, so it neither banks credit nor starves.
// - A pod alone on a device, without a cap, keeps it open for as long as no
//   other pod wants it: no gate, no bounding, native speed. It gives the
//   device up at the end of its slot once another pod wants it, or as soon
//   as it idles.
//
// Without a registry (no VSLICE_REGISTRY / NPU_GLOBAL_SHM_PATH) the pod
// arbitrates alone: only its cap applies.
#ifndef VSLICE_LIMITER_COMPUTE_ARBITER_H_
#define VSLICE_LIMITER_COMPUTE_ARBITER_H_

#include <atomic>
#include <cstdint>

#include "core/node_registry.h"
#include "core/pod_region.h"

namespace vslice::limiter {

struct ArbiterSettings {
  int compute_limit = 0;  // percent; 0 = none
  int weight = 1;
  std::uint64_t slot_ns = 50'000'000;      // a contended slot
  std::uint64_t min_slot_ns = 10'000'000;  // a capped pod reopens with this much
  std::uint64_t burst_ns = 100'000'000;    // a cap's bucket holds cap% of this
};

class ComputeArbiter {
 public:
  // `registry` may be null (no node-wide arbitration); `pod` is this pod's
  // entry in it.
  ComputeArbiter(PodRegion& region, NodeRegistry* registry, int pod,
                 const ArbiterSettings& settings);

  // Runs passes until `stop` is set, then opens every gate and hands the
  // pod's processes back to ungated running.
  void Run(const std::atomic<bool>& stop);

 private:
  struct DeviceState {
    bool holding = false;
    bool wanted = false;            // the pod wanted the device last pass
    bool shared = false;            // contested or capped: frequent passes
    std::uint64_t slot_start = 0;   // when the gate opened
    // When another pod first wanted the device during this slot (0: nobody
    // did). Only contended time counts towards virtual time: running alone
    // on an otherwise idle device costs a pod nothing in the next contest.
    std::uint64_t contended_since = 0;
    std::uint64_t last_launches = 0;
    std::uint64_t last_activity = 0;  // last pass that saw launches or waiters
    double tokens_ns = 0;             // cap bucket
    std::uint64_t virtual_time = 0;
    int registry_device = -1;
  };

  void Pass(std::uint64_t now, std::uint64_t elapsed);
  // How long to sleep before the next pass.
  std::uint64_t NextPassIn() const;
  void PassDevice(int device, DeviceState& state, std::uint64_t now, std::uint64_t elapsed);
  bool InUse(int device) const;
  // Whether a live process of the pod has a thread waiting at `device`'s gate.
  bool Waiting(int device) const;
  std::uint64_t Launches(int device) const;
  // Other pods wanting (wants) or merely present on the registry device.
  void Neighbours(int registry_device, bool* wanted, bool* present,
                  std::uint64_t* least_virtual_time) const;
  bool TakeDevice(int device, DeviceState& state);
  // Whether pod entry `p`'s limiter lives, checked at most every 100 ms.
  bool PeerAlive(int p) const;
  void Open(int device, DeviceState& state, std::uint64_t now, bool bounded);
  void Close(int device, DeviceState& state, int weight);
  void ChargeDeviceTime(int device, const DeviceState& state, std::uint64_t ns);
  void Publish(int device, const DeviceState& state, bool wants, int cap, int weight);
  void ReleaseAll();

  PodRegion& region_;
  NodeRegistry* registry_;
  int pod_;
  ArbiterSettings settings_;
  DeviceState devices_[kMaxDevices];
  mutable std::uint64_t peer_checked_at_[kRegistryPods] = {};
  mutable bool peer_alive_[kRegistryPods] = {};
};

}  // namespace vslice::limiter

#endif  // VSLICE_LIMITER_COMPUTE_ARBITER_H_
