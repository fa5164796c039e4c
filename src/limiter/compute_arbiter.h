// ComputeArbiter: drives the pod's compute gates (docs/DESIGN.md, "Compute
// sharing").
//
// It runs on its own thread in the pod's limiter. Each pass it observes, per
// device the pod uses, the pod's processes (launches, waiting threads, drain
// acknowledgements and idle reports in the pod region) and the node (the
// registry: who holds the device, who else wants it), asks the device's
// DevicePolicy (compute_policy.h) what to do, and carries that out: opens or
// closes the gate, asks for drains, takes the device or hands it on,
// publishes the pod's standing, charges device time. Nothing here blocks: a
// drain is a state that later passes check, so one slow process never stalls
// the pod's other devices.
//
// Between passes it sleeps on the pod's doorbell (RegionHeader::
// limiter_wake, rung by processes when a thread starts waiting or a drain is
// acknowledged), or, while it waits for a device another pod holds, on that
// device's registry word, so hand-overs cost a wake-up, not a pass interval.
//
// Without a registry the pod arbitrates alone: only its cap applies.
#ifndef VSLICE_LIMITER_COMPUTE_ARBITER_H_
#define VSLICE_LIMITER_COMPUTE_ARBITER_H_

#include <atomic>
#include <bitset>
#include <cstdint>

#include "core/node_registry.h"
#include "core/pod_region.h"
#include "core/priority_class.h"
#include "limiter/arbiter_settings.h"
#include "limiter/compute_policy.h"

namespace vslice::limiter {

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
    DevicePolicy policy;
    int registry_device = -1;
    bool active = false;          // the pod uses (or used) the device
    std::uint64_t next_pass_at = 0;
    // The registry word to sleep on while waiting for the device.
    std::uint32_t changes_seen = 0;
    // The drain in progress: its epoch, and the slots passed over because
    // their process is gone (it never acknowledges).
    std::uint64_t drain_epoch = 0;
    std::uint64_t owners_checked_at = 0;
    std::bitset<kMaxProcesses> gone;
  };

  // The pod's processes on one device, as this pass sees them.
  struct PodView {
    std::uint64_t launches = 0;
    bool waiting = false;
    bool drained = false;
    std::uint64_t drained_at = 0;
  };

  // Returns the earliest time a device wants its next pass.
  std::uint64_t Pass(std::uint64_t now);
  void PassDevice(int device, DeviceState& state, const PodView& view, std::uint64_t now);
  PodView ViewPod(int device) const;
  bool DrainAcknowledged(int device, DeviceState& state, std::uint64_t now);
  // The node's side of the observation (holder, neighbours, clocks).
  void ViewNode(DeviceState& state, PriorityClass mine, DeviceObservation& o);
  std::uint32_t EffectiveCap(const DeviceGate& gate, bool others_present) const;
  void Apply(int device, DeviceState& state, const DeviceObservation& o, Decision& d);
  void HandOver(DeviceState& state, const DeviceObservation& o);
  void AdvanceClock(DeviceState& state, PriorityClass mine, const Decision& d,
                    const DeviceObservation& o);
  void ResolveRegistryDevice(int device, DeviceState& state);
  bool PeerAlive(int p) const;
  void NudgeDrainers();
  void Sleep(std::uint64_t until, std::uint32_t doorbell_seen);
  void ReleaseAll();

  PodRegion& region_;
  NodeRegistry* registry_;
  int pod_;
  ArbiterSettings settings_;
  DeviceState devices_[kMaxDevices];
  int slot_limit_ = kMaxProcesses;  // slots at or beyond this index are free
  mutable std::uint64_t peer_checked_at_[kRegistryPods] = {};
  mutable bool peer_alive_[kRegistryPods] = {};
};

}  // namespace vslice::limiter

#endif  // VSLICE_LIMITER_COMPUTE_ARBITER_H_
