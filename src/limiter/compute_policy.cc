#include "limiter/compute_policy.h"

#include <algorithm>

namespace vslice::limiter {
namespace {

std::uint64_t SaturatingAdd(std::uint64_t a, std::uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

std::uint64_t ToVirtual(std::uint64_t ns, std::uint32_t weight) {
  const std::uint64_t w = std::clamp<std::uint32_t>(weight, kMinWeight, kMaxWeight);
  return ns > UINT64_MAX / kVirtualTimeScale ? UINT64_MAX / w : ns * kVirtualTimeScale / w;
}

}  // namespace

bool GoesBefore(PriorityClass a_class, std::uint64_t a_vt, int a_entry, const Candidate& b) {
  if (!b.valid) return true;
  if (a_class != b.priority) return Outranks(a_class, b.priority);
  if (a_vt != b.virtual_time) return a_vt < b.virtual_time;
  return a_entry < b.entry;
}

bool DevicePolicy::Busy(const DeviceObservation& o) {
  // Launches of live processes only grow; a total that drops means a process
  // was reaped, which is no sign of activity.
  if (o.launches > last_launches_ || o.waiting) last_activity_ = o.now;
  last_launches_ = o.launches;
  if (o.waiting) return true;
  // Every process reported its launches finished: idle now, however recently
  // the limiter noticed them (a short request fits between two passes).
  if (o.drained) return false;
  // Reporting, a process has unfinished work until it says otherwise: a
  // long kernel or graph is busy, however long no launch follows it.
  if (o.reports && o.launches != 0) return true;
  return last_activity_ != 0 && o.now - last_activity_ < settings_.idle_ns;
}

void DevicePolicy::Refill(const DeviceObservation& o, std::uint64_t elapsed) {
  if (o.cap == 0) {
    tokens_ns_ = 0;
    return;
  }
  const double share = o.cap / 100.0;
  const double most = std::max<double>(settings_.burst_ns * share, settings_.min_slot_ns);
  tokens_ns_ = std::min(most, tokens_ns_ + elapsed * share);
}

std::uint64_t DevicePolicy::Charge(const DeviceObservation& o) {
  // Device time is the time the pod held the device with work on it: up to
  // now while busy, up to the reported end of its work once it drained.
  const std::uint64_t from = std::max(charged_until_, held_since_);
  std::uint64_t until = o.now;
  const bool busy = o.waiting || (o.reports && o.launches != 0) ||
                    o.now - last_activity_ < settings_.idle_ns;
  if (o.drained) until = std::max(from, std::min(o.now, o.drained_at));
  const std::uint64_t charged = (busy || o.drained) && until > from ? until - from : 0;
  charged_until_ = o.drained ? o.now : std::max(from, until);
  if (!busy && !o.drained) charged_until_ = o.now;
  return charged;
}

void DevicePolicy::EstimateLaunchTime(std::uint64_t charged, std::uint64_t launches) {
  const std::uint64_t new_launches =
      launches > launches_at_sample_ ? launches - launches_at_sample_ : 0;
  launches_at_sample_ = launches;
  sample_ns_ += charged;
  sample_launches_ += new_launches;
  // A sample spans enough launches or time to mean something.
  if (sample_launches_ < kLaunchSampleLaunches && sample_ns_ < kLaunchSampleNs) return;
  if (sample_launches_ == 0) return;  // one long launch: keep accumulating
  const double sample = static_cast<double>(sample_ns_) / static_cast<double>(sample_launches_);
  launch_ns_ = launch_ns_ == 0
                   ? sample
                   : (1 - kLaunchSampleWeight) * launch_ns_ + kLaunchSampleWeight * sample;
  sample_ns_ = 0;
  sample_launches_ = 0;
}

void DevicePolicy::AddVirtualTime(std::uint64_t ns, std::uint32_t weight) {
  virtual_time_ = SaturatingAdd(virtual_time_, ToVirtual(ns, weight));
}

bool DevicePolicy::MayTake(const DeviceObservation& o, bool newly) const {
  if (!o.registry) return true;
  const Holder& h = o.holder;
  if (h.none()) {
    // A free device goes to the pod that goes next.
    return GoesBefore(o.priority, virtual_time_, o.entry, o.best_other);
  }
  if (Outranks(o.priority, h.priority)) return true;
  if (h.priority != o.priority || !newly) return false;
  // Same class, just back with work: take over if clearly behind the holder.
  const std::uint64_t margin = ToVirtual(settings_.takeover_margin_ns, o.weight);
  return SaturatingAdd(virtual_time_, margin) < o.holder_virtual_time;
}

void DevicePolicy::Hold(const DeviceObservation& o) {
  phase_ = Phase::kHolding;
  held_since_ = o.now;
  charged_until_ = o.now;
  launches_at_sample_ = o.launches;
  sample_ns_ = 0;
  sample_launches_ = 0;
}

void DevicePolicy::StartDrain(const DeviceObservation& o, bool hand_over_after, Decision& d) {
  phase_ = Phase::kDraining;
  hand_over_after_drain_ = hand_over_after;
  drain_started_ = o.now;
  charged_until_ = std::max(charged_until_, o.now);
  d.request_drain = true;
}

bool DevicePolicy::CapAllows(const DeviceObservation& o) const {
  if (o.cap == 0) return true;
  // Holding, the pod runs until its tokens are gone; otherwise it comes back
  // with a minimum slot's worth, so a capped pod is not switched in and out
  // for crumbs.
  return phase_ == Phase::kHolding ? tokens_ns_ > 0
                                   : tokens_ns_ >= static_cast<double>(settings_.min_slot_ns);
}

void DevicePolicy::TakeFailed() {
  if (phase_ == Phase::kHolding) phase_ = Phase::kIdle;
}

Decision DevicePolicy::Decide(const DeviceObservation& o) {
  Decision d;
  const std::uint64_t elapsed = last_pass_ == 0 || o.now < last_pass_ ? 0 : o.now - last_pass_;
  last_pass_ = o.now;
  const bool busy = Busy(o);
  const bool capped = o.cap > 0;
  Refill(o, elapsed);

  // Charge what the pod used while it held the device.
  if (phase_ == Phase::kHolding) {
    d.charge_ns = Charge(o);
    EstimateLaunchTime(d.charge_ns, o.launches);
  }

  const bool others_want = o.registry && o.best_other.valid;
  const bool holder_is_me = !o.registry || o.holder.pod == o.entry;

  switch (phase_) {
    case Phase::kDraining:
      // The drain is device time too: the pod's work runs until it ends.
      // Charged as it goes, so the virtual time others compare with is
      // current even while a long queue drains.
      if (o.now > charged_until_) {
        d.charge_ns += o.now - std::max(charged_until_, drain_started_);
        charged_until_ = o.now;
      }
      if (o.drain_acknowledged || o.now - drain_started_ >= settings_.drain_timeout_ns) {
        phase_ = Phase::kIdle;
        d.hand_over = hand_over_after_drain_ && holder_is_me && o.registry;
        hand_over_after_drain_ = false;
      }
      break;
    case Phase::kHolding:
      if (!holder_is_me) {
        // Taken over: stop at once (the processes already do) and charge
        // the work still queued until it has drained.
        d.lost = true;
        StartDrain(o, /*hand_over_after=*/false, d);
      } else if (capped && tokens_ns_ - static_cast<double>(d.charge_ns) <= 0) {
        StartDrain(o, /*hand_over_after=*/true, d);
      } else if (others_want && o.best_other.priority == o.priority &&
                 o.now - held_since_ >= settings_.slot_ns &&
                 !GoesBefore(o.priority, virtual_time_ + ToVirtual(d.charge_ns, o.weight),
                             o.entry, o.best_other)) {
        // The slot is over and a pod of the same class with less virtual time
        // waits (with more, it waits for another slot).
        StartDrain(o, /*hand_over_after=*/true, d);
      } else if (others_want && o.drained && !o.waiting &&
                 o.now - std::max(o.drained_at, held_since_) >= settings_.hold_ns) {
        // (A report from before the pod took the device is no news: its
        // threads may be about to launch; the hold counts from the take.)
        // The work drained, and the hold is over: hand the device on at
        // once; nothing is queued, so no drain is needed.
        phase_ = Phase::kIdle;
        d.hand_over = true;
      } else if (others_want && !busy && !o.drained) {
        // Idle without reports (the processes do not report, e.g. no
        // drainer): drain to be sure, then hand over.
        StartDrain(o, /*hand_over_after=*/true, d);
      }
      break;
    case Phase::kIdle:
      break;
  }

  // The cap's tokens pay for the device time charged.
  if (capped) tokens_ns_ -= static_cast<double>(d.charge_ns);
  AddVirtualTime(d.charge_ns, o.weight);

  const bool wants = busy && CapAllows(o);
  const bool newly = wants && !wanted_;
  wanted_ = wants;
  // Back from idling: no further behind the device's virtual clock than one
  // credit, so idle time is not banked (and not held against the pod).
  if (newly && o.registry) {
    const std::uint64_t credit = ToVirtual(settings_.credit_ns, o.weight);
    const std::uint64_t floor = o.virtual_clock > credit ? o.virtual_clock - credit : 0;
    virtual_time_ = std::max(virtual_time_, floor);
  }

  if (phase_ == Phase::kIdle && !d.hand_over) {
    if (o.registry && holder_is_me && !o.holder.none()) {
      // The pod's processes took the device over (high priority), or
      // another pod handed it to this one.
      Hold(o);
    } else if (wants && MayTake(o, newly)) {
      Hold(o);
      d.take = o.registry;
      d.takeover = o.registry && !o.holder.none();
    }
  }

  d.wants = wants;
  d.virtual_time = virtual_time_;
  d.launch_ns = static_cast<std::uint64_t>(launch_ns_);
  FillGate(o, d);

  // The next pass: soon while the device is contested, capped or being
  // drained; at the end of the hold when the work has drained; rarely
  // otherwise (the doorbell wakes the limiter on demand).
  std::uint64_t in = kIdlePassNs;
  if (phase_ == Phase::kDraining || (phase_ == Phase::kHolding && (others_want || capped)) ||
      (wants && phase_ != Phase::kHolding)) {
    in = kBusyPassNs;
  } else if (phase_ == Phase::kHolding) {
    in = kHoldingPassNs;
  }
  if (phase_ == Phase::kHolding && others_want && o.drained) {
    const std::uint64_t end = std::max(o.drained_at, held_since_) + settings_.hold_ns;
    if (end > o.now) in = std::min(in, end - o.now);
  }
  d.next_pass_at = o.now + in;
  return d;
}

void DevicePolicy::FillGate(const DeviceObservation& o, Decision& d) const {
  const bool capped = o.cap > 0;
  const bool high = o.priority == PriorityClass::kHigh;
  d.admission = !o.registry ? GateAdmission::kGateOnly
                : high     ? GateAdmission::kTakeover
                           : GateAdmission::kExclusive;
  const bool cap_allows = CapAllows(o);
  if (d.admission == GateAdmission::kTakeover) {
    // Open between requests: a request takes the device over by itself.
    d.open = cap_allows && !(phase_ == Phase::kDraining && hand_over_after_drain_);
  } else {
    d.open = phase_ == Phase::kHolding;
  }
  // Tightly bounded while a pod that may need the device soon shares it, or
  // capped; loosely while other pods live on the node (one may arrive on the
  // device and must not wait for seconds of queued work); not at all
  // otherwise.
  const bool shared = capped || (high ? o.peers_present : o.others_present);
  if (shared || o.node_has_others) {
    const std::uint64_t budget = shared ? settings_.inflight_ns : settings_.solo_inflight_ns;
    std::uint64_t n = shared ? kDefaultInflightLaunches : kDefaultSoloInflightLaunches;
    if (launch_ns_ > 0) n = static_cast<std::uint64_t>(static_cast<double>(budget) / launch_ns_);
    d.inflight_launches = static_cast<std::uint32_t>(
        std::clamp<std::uint64_t>(n, 1, kMaxInflightLaunches));
  }
  if (phase_ == Phase::kHolding) {
    d.track_idle = o.registry && o.best_other.valid ? IdleTracking::kFast : IdleTracking::kSlow;
  }
}

}  // namespace vslice::limiter
