// The scheduling rules (limiter/compute_policy.h) against a fake clock: what
// one pod's policy decides, pass by pass, from what it observes.
#include "limiter/compute_policy.h"

#include <gtest/gtest.h>

namespace vslice::limiter {
namespace {

constexpr std::uint64_t kMs = 1'000'000;
constexpr std::uint64_t kUs = 1'000;

// One pod's observations, advanced by the test.
struct Pod {
  DevicePolicy policy;
  DeviceObservation o;

  explicit Pod(PriorityClass priority = PriorityClass::kNormal, int entry = 0) {
    o.now = 1'000 * kMs;
    o.priority = priority;
    o.registry = true;
    o.entry = entry;
  }
  // One pass; the holder word changes as a driver's compare-and-swap would.
  Decision Pass(std::uint64_t advance_ns = 0) {
    o.now += advance_ns;
    const Decision d = policy.Decide(o);
    if (d.take) o.holder = Holder{o.entry, o.priority};
    if (d.hand_over) {
      o.holder = o.best_other.valid ? Holder{o.best_other.entry, o.best_other.priority} : Holder{};
    }
    return d;
  }
  // The pod launched `n` more kernels since the last pass.
  void Launch(std::uint64_t n = 1) {
    o.launches += n;
    o.drained = false;
  }
  // Every launch so far finished at `at`.
  void Drained(std::uint64_t at) {
    o.drained = true;
    o.drained_at = at;
  }
  void HeldBy(int entry, PriorityClass c, std::uint64_t vt = 0) {
    o.holder = Holder{entry, c};
    o.holder_virtual_time = vt;
  }
  void Holds() { o.holder = Holder{o.entry, o.priority}; }
  void Wanted(int entry, PriorityClass c, std::uint64_t vt = 0) {
    o.best_other = Candidate{true, c, vt, entry};
    o.others_present = true;
    o.peers_present = o.peers_present || !Outranks(o.priority, c);
  }
};

TEST(ComputePolicy, AFreeDeviceGoesToTheBusyPod) {
  Pod pod;
  pod.Launch();
  const Decision d = pod.Pass();
  EXPECT_TRUE(d.take);
  EXPECT_FALSE(d.takeover);
  EXPECT_TRUE(d.open);
  EXPECT_TRUE(d.wants);
  EXPECT_EQ(d.admission, GateAdmission::kExclusive);
  EXPECT_EQ(d.inflight_launches, 0u) << "alone on the node: unbounded";
  EXPECT_TRUE(pod.policy.holding());
  // Alone on the device, but with other pods on the node: a pod that arrives
  // waits for at most the solo budget of queued work.
  pod.o.node_has_others = true;
  EXPECT_EQ(pod.Pass(1 * kMs).inflight_launches, kDefaultSoloInflightLaunches);
}

TEST(ComputePolicy, AnIdlePodTakesNothing) {
  Pod pod;
  const Decision d = pod.Pass();
  EXPECT_FALSE(d.take);
  EXPECT_FALSE(d.open);
  EXPECT_FALSE(d.wants);
}

TEST(ComputePolicy, AFreeDeviceGoesToWhoGoesNext) {
  Pod pod(PriorityClass::kNormal, /*entry=*/3);
  pod.Launch();
  // A pod of the same class with less virtual time wants it too.
  pod.Wanted(1, PriorityClass::kNormal, /*vt=*/0);
  pod.o.virtual_clock = 0;
  EXPECT_FALSE(pod.Pass().take) << "the other pod has no more virtual time and a lower entry";
  // A best-effort pod wanting it does not stop a normal one.
  Pod normal(PriorityClass::kNormal, 3);
  normal.Launch();
  normal.Wanted(1, PriorityClass::kBestEffort, 0);
  EXPECT_TRUE(normal.Pass().take);
}

TEST(ComputePolicy, HighPriorityPodsAreAdmittedByTakeover) {
  Pod high(PriorityClass::kHigh);
  const Decision idle = high.Pass();
  EXPECT_EQ(idle.admission, GateAdmission::kTakeover);
  EXPECT_TRUE(idle.open) << "open between requests: a request takes the device itself";
  EXPECT_FALSE(idle.take);
  // Its process took the device over from a best-effort holder.
  high.Launch(4);
  high.Holds();
  high.Wanted(5, PriorityClass::kBestEffort);
  const Decision d = high.Pass(100 * kUs);
  EXPECT_TRUE(high.policy.holding());
  EXPECT_TRUE(d.open);
  EXPECT_EQ(d.track_idle, IdleTracking::kFast) << "another pod waits: report the end of the work";
  EXPECT_EQ(d.inflight_launches, 0u) << "nobody outranks or equals it: unbounded";
}

TEST(ComputePolicy, AHighPodHandsTheDeviceOnAfterItsWorkDrainedAndTheHold) {
  Pod high(PriorityClass::kHigh);
  high.policy.settings().hold_ns = 1 * kMs;
  high.Launch(8);
  high.Holds();
  high.Wanted(5, PriorityClass::kBestEffort);
  high.Pass();
  ASSERT_TRUE(high.policy.holding());
  // Its work finished 0.4 ms later: held on for the hold.
  high.Drained(high.o.now + 400 * kUs);
  Decision d = high.Pass(500 * kUs);
  EXPECT_TRUE(high.policy.holding());
  EXPECT_FALSE(d.hand_over);
  EXPECT_FALSE(d.wants) << "drained: it does not want the device";
  EXPECT_LE(d.next_pass_at, high.o.drained_at + 1 * kMs) << "wakes at the end of the hold";
  d = high.Pass(1 * kMs);
  EXPECT_TRUE(d.hand_over);
  EXPECT_FALSE(d.request_drain) << "nothing queued: no drain needed";
  EXPECT_FALSE(high.policy.holding());
  EXPECT_TRUE(d.open) << "the gate stays open for the next request";
  // Charged only while its work ran, not for the hold.
  EXPECT_GT(high.policy.virtual_time(), 0u);
}

TEST(ComputePolicy, NewWorkDuringTheHoldKeepsTheDevice) {
  Pod high(PriorityClass::kHigh);
  high.Launch(8);
  high.Holds();
  high.Wanted(5, PriorityClass::kBestEffort);
  high.Pass();
  high.Drained(high.o.now + 200 * kUs);
  high.Pass(300 * kUs);
  high.Launch(8);  // the next phase of the request
  const Decision d = high.Pass(1 * kMs);
  EXPECT_FALSE(d.hand_over);
  EXPECT_TRUE(high.policy.holding());
}

TEST(ComputePolicy, ALowerClassHolderIsTakenOverAtOnce) {
  Pod normal(PriorityClass::kNormal, 2);
  normal.HeldBy(7, PriorityClass::kBestEffort);
  normal.o.waiting = true;
  const Decision d = normal.Pass();
  EXPECT_TRUE(d.take);
  EXPECT_TRUE(d.takeover);
  EXPECT_TRUE(d.open);
}

TEST(ComputePolicy, AHigherClassHolderIsNeverTakenOver) {
  Pod be(PriorityClass::kBestEffort, 2);
  be.HeldBy(7, PriorityClass::kNormal);
  be.o.waiting = true;
  for (int i = 0; i < 10; ++i) {
    const Decision d = be.Pass(10 * kMs);
    EXPECT_FALSE(d.take);
    EXPECT_FALSE(d.open);
    EXPECT_TRUE(d.wants);
  }
}

TEST(ComputePolicy, ATakenOverHolderDrainsAndChargesItsQueuedWork) {
  Pod be(PriorityClass::kBestEffort, 2);
  be.Launch(100);
  be.Pass();
  ASSERT_TRUE(be.policy.holding());
  be.Launch(100);
  be.Pass(2 * kMs);
  // A high-priority pod's process took it.
  be.HeldBy(9, PriorityClass::kHigh);
  Decision d = be.Pass(100 * kUs);
  EXPECT_TRUE(d.lost);
  EXPECT_TRUE(d.request_drain);
  EXPECT_FALSE(d.open);
  EXPECT_EQ(be.policy.phase(), Phase::kDraining);
  // Acknowledged 300 us later: that time is charged.
  be.o.drain_acknowledged = true;
  d = be.Pass(300 * kUs);
  EXPECT_EQ(d.charge_ns, 300 * kUs);
  EXPECT_FALSE(d.hand_over) << "it no longer holds the device";
  EXPECT_EQ(be.policy.phase(), Phase::kIdle);
}

TEST(ComputePolicy, BoundedInFlightFollowsTheTimePerLaunch) {
  Pod be(PriorityClass::kBestEffort, 2);
  be.policy.settings().inflight_ns = 500 * kUs;
  be.Wanted(9, PriorityClass::kHigh);  // present; here also wanting, but high takes over itself
  be.o.best_other.valid = false;       // ... so: present, not wanting
  be.Launch(1);
  Decision d = be.Pass();
  ASSERT_TRUE(be.policy.holding());
  EXPECT_EQ(d.inflight_launches, kDefaultInflightLaunches) << "time per launch not known yet";
  // 200 us per launch: 10 launches in each 2 ms pass.
  for (int i = 0; i < 10; ++i) {
    be.Launch(10);
    d = be.Pass(2 * kMs);
  }
  EXPECT_NEAR(static_cast<double>(d.launch_ns), 200'000.0, 1'000.0);
  EXPECT_EQ(d.inflight_launches, 2u) << "0.5 ms of 0.2 ms launches";
  // Long launches: never fewer than one.
  for (int i = 0; i < 20; ++i) {
    be.Launch(1);
    d = be.Pass(5 * kMs);
  }
  EXPECT_EQ(d.inflight_launches, 1u);
}

TEST(ComputePolicy, SameClassSlotsEndWhenAnotherWaits) {
  Pod a(PriorityClass::kNormal, 0);
  a.policy.settings().slot_ns = 50 * kMs;
  a.Launch();
  a.Pass();
  ASSERT_TRUE(a.policy.holding());
  a.Wanted(1, PriorityClass::kNormal, 0);
  Decision d;
  for (int i = 0; i < 9; ++i) {
    a.Launch();
    d = a.Pass(5 * kMs);
    EXPECT_FALSE(d.request_drain) << "pass " << i;
  }
  a.Launch();
  d = a.Pass(5 * kMs);
  EXPECT_TRUE(d.request_drain) << "50 ms slot over";
  EXPECT_FALSE(d.open);
  a.o.drain_acknowledged = true;
  d = a.Pass(200 * kUs);
  EXPECT_TRUE(d.hand_over);
}

TEST(ComputePolicy, ALowerClassWaitingDoesNotEndTheSlot) {
  Pod a(PriorityClass::kNormal, 0);
  a.Launch();
  a.Pass();
  a.Wanted(1, PriorityClass::kBestEffort, 0);
  for (int i = 0; i < 100; ++i) {
    a.Launch();
    const Decision d = a.Pass(5 * kMs);
    ASSERT_FALSE(d.request_drain) << "strict classes: best-effort waits for idle time";
    ASSERT_FALSE(d.hand_over);
  }
}

TEST(ComputePolicy, ALightPodTakesOverFromAHeavyOneOfItsClass) {
  // The heavy pod has run a lot; the device's clock is its virtual time.
  Pod light(PriorityClass::kNormal, 1);
  light.policy.settings().credit_ns = 50 * kMs;
  light.o.weight = 100;
  const std::uint64_t heavy_vt = 10'000 * kMs * kVirtualTimeScale;  // 10 s at weight 1
  light.HeldBy(0, PriorityClass::kNormal, heavy_vt);
  light.o.virtual_clock = heavy_vt;
  light.o.waiting = true;  // a request arrived
  const Decision d = light.Pass();
  EXPECT_TRUE(d.take);
  EXPECT_TRUE(d.takeover);
  // Its virtual time was lifted to the clock minus its credit: no banking.
  EXPECT_EQ(light.policy.virtual_time(), heavy_vt - 50 * kMs * kVirtualTimeScale / 100);
}

TEST(ComputePolicy, APodAheadOfItsShareWaitsForTheSlot) {
  // Weight 1: it holds the device alone for 30 ms of work.
  Pod p(PriorityClass::kNormal, 1);
  p.o.weight = 1;
  p.Launch();
  p.Pass();
  for (int i = 0; i < 15; ++i) {
    p.Launch();
    p.Pass(2 * kMs);
  }
  const std::uint64_t used = p.policy.virtual_time();
  ASSERT_GE(used, 29 * kMs * kVirtualTimeScale);
  // Its work drained; a weight-100 pod wants the device and gets it.
  p.Drained(p.o.now);
  p.Wanted(0, PriorityClass::kNormal, 0);
  const Decision handed = p.Pass(2 * kMs);
  ASSERT_TRUE(handed.hand_over);
  // That pod has since run 1 s: 10 ms of virtual time at weight 100.
  const std::uint64_t holder_vt = 1'000 * kMs * kVirtualTimeScale / 100;
  p.HeldBy(0, PriorityClass::kNormal, holder_vt);
  p.o.virtual_clock = holder_vt;
  // Back with a request: it has used more than its weighted share, so it
  // waits for the holder's slot instead of taking over.
  p.Launch();
  p.o.waiting = true;
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(p.Pass(1 * kMs).take) << i;
  EXPECT_EQ(p.policy.virtual_time(), used) << "not lifted: it was ahead of the clock";
}

TEST(ComputePolicy, ACapIsATokenBucketOfDeviceTime) {
  Pod pod;
  pod.o.registry = false;
  pod.o.cap = 30;
  std::uint64_t charged = 0;
  std::uint64_t start = pod.o.now;
  pod.Launch();
  for (int i = 0; i < 4000; ++i) {  // 2 s of 0.5 ms passes, always busy
    pod.Launch();
    const Decision d = pod.Pass(500 * kUs);
    if (pod.policy.phase() == Phase::kDraining) pod.o.drain_acknowledged = true;
    charged += d.charge_ns;
  }
  const double share = static_cast<double>(charged) / static_cast<double>(pod.o.now - start);
  EXPECT_NEAR(share, 0.30, 0.02);
}

// How long a capped pod that idled runs before its gate first closes: its
// bucket holds cap % of the burst, and refills at cap % while it runs, so
// it runs for cap × burst ÷ (1 − cap).
std::uint64_t FirstRunAfterIdling(std::uint64_t burst_ns) {
  Pod pod;
  pod.o.registry = false;
  pod.o.cap = 30;
  pod.policy.settings().burst_ns = burst_ns;
  pod.Pass();
  pod.Pass(60'000 * kMs);  // a minute idle: the bucket is full
  std::uint64_t ran = 0;
  for (int i = 0; i < 10'000 && pod.policy.phase() != Phase::kDraining; ++i) {
    pod.Launch();
    ran += pod.Pass(500 * kUs).charge_ns;
  }
  return ran;
}

TEST(ComputePolicy, TheCapBurstIsWhatAnIdleCappedPodMayRunAtOnce) {
  // 100 ms (the default): 30 ms of tokens, about 43 ms at full speed.
  EXPECT_NEAR(static_cast<double>(FirstRunAfterIdling(100 * kMs)), 30.0 * kMs / 0.7, 1.0 * kMs);
  // 1 s: ten times as long.
  EXPECT_NEAR(static_cast<double>(FirstRunAfterIdling(1'000 * kMs)), 300.0 * kMs / 0.7,
              1.0 * kMs);
}

TEST(ComputePolicy, ACapHoldsForAHighPriorityPodToo) {
  Pod high(PriorityClass::kHigh);
  high.o.cap = 20;
  std::uint64_t charged = 0;
  const std::uint64_t start = high.o.now;
  for (int i = 0; i < 4000; ++i) {
    high.Launch();
    // Its processes take the device whenever the gate is open.
    const Decision d = high.Pass(500 * kUs);
    if (d.open && high.policy.phase() == Phase::kIdle) high.Holds();
    if (high.policy.phase() == Phase::kDraining) high.o.drain_acknowledged = true;
    if (d.hand_over) high.o.holder = Holder{};
    charged += d.charge_ns;
  }
  const double share = static_cast<double>(charged) / static_cast<double>(high.o.now - start);
  EXPECT_NEAR(share, 0.20, 0.03);
}

TEST(ComputePolicy, CapPolicyIsResolvedByTheDriver) {
  // A pod with no cap is never bounded alone and never closes.
  Pod pod;
  pod.o.registry = false;
  pod.Launch();
  for (int i = 0; i < 100; ++i) {
    pod.Launch();
    const Decision d = pod.Pass(1 * kMs);
    ASSERT_TRUE(d.open);
    ASSERT_FALSE(d.request_drain);
    ASSERT_EQ(d.inflight_launches, 0u);
  }
}

TEST(ComputePolicy, AnIdleHolderWithoutReportsDrainsThenHandsOver) {
  Pod a;
  a.policy.settings().idle_ns = 5 * kMs;
  a.Launch();
  a.Pass();
  a.Wanted(1, PriorityClass::kNormal);
  Decision d = a.Pass(6 * kMs);  // no launch for 6 ms, no report
  EXPECT_TRUE(d.request_drain);
  a.o.drain_acknowledged = true;
  d = a.Pass(100 * kUs);
  EXPECT_TRUE(d.hand_over);
}

TEST(ComputePolicy, ADrainThatNeverEndsTimesOut) {
  Pod a;
  a.policy.settings().drain_timeout_ns = 2'000 * kMs;
  a.Launch();
  a.Pass();
  a.HeldBy(4, PriorityClass::kHigh);
  a.Pass(1 * kMs);
  ASSERT_EQ(a.policy.phase(), Phase::kDraining);
  a.Pass(1'999 * kMs);
  EXPECT_EQ(a.policy.phase(), Phase::kDraining);
  const Decision d = a.Pass(2 * kMs);
  EXPECT_EQ(a.policy.phase(), Phase::kIdle);
  EXPECT_GT(d.charge_ns, 0u);
}

}  // namespace
}  // namespace vslice::limiter
