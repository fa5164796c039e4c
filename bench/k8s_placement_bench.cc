// Scheduling simulation at cluster scale: vslice-scheduler's extender
// (filter + prioritize + bind on the cluster view, JSON included) against
// HAMi's published placement rules, re-implemented below, on one stream of
// pod arrivals and departures. Prints a table (docs/PERFORMANCE.md,
// "Kubernetes scheduling").
//
//   k8s_placement_bench [--nodes 1000] [--gpus 8] [--events 20000] [--seed 1]
//
// Cluster: N nodes x G GPUs of 80 GiB, 10 shares and 100 % compute each.
// Pods: 4, 10, 24 or 40 GiB of one GPU (15 % each), 1, 2 or 4 whole GPUs
// (20/12/8 %); half of them ask compute in proportion to their memory.
// Until the first pod that fits nowhere, 3 of 4 events are arrivals; then
// arrivals and departures are even. A departure removes a random live pod.
//
// Both run with node policy binpack, once with GPU policy binpack and once
// with spread (HAMi's default). Reported per scheduler: filter latency
// p50/p99 over every arrival (the whole request: JSON in, every node judged,
// JSON out; HAMi's: the decision only), in wall-clock time and in the
// thread's CPU time (on a shared machine the wall-clock tail is mostly other
// programs' turns on the CPU), and the GPU memory in use when the first pod
// is refused, as a share of the cluster's GPU memory (the bound: no
// placement can hold more), plus refusals over the whole run.
//
// kube-scheduler is modelled as: among the nodes the extender keeps, the
// highest prioritize score wins, ties broken at random (its own plugins
// are taken as neutral). HAMi's scheduler picks the node itself.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "hami/allocation_codec.h"
#include "hami/names.h"
#include "hami/register_codec.h"
#include "scheduler/cluster_view.h"
#include "scheduler/extender.h"

namespace {

using nlohmann::json;
using namespace vslice;
using Clock = std::chrono::steady_clock;

constexpr long long kGpuMem = 81920;

struct PodSpec {
  int gpus;
  long long mem;  // per GPU
  int cores;  // per GPU
};

struct Event {
  PodSpec pod;
  bool arrive_early;  // an arrival while nothing has been refused yet (3 of 4)
  bool arrive_late;  // an arrival after the first refusal (1 of 2)
  std::uint64_t pick;  // which live pod departs
};

// Memory sizes users ask for (MiB per GPU), with their shares of arrivals;
// most do not divide 80 GiB evenly, so placement quality shows.
struct Size {
  int gpus;
  long long mem;
  double share;
};
constexpr Size kSizes[] = {{1, 4096, 0.15},   {1, 10240, 0.15}, {1, 24576, 0.15}, {1, 40960, 0.15},
                           {1, kGpuMem, 0.20}, {2, kGpuMem, 0.12}, {4, kGpuMem, 0.08}};

std::vector<Event> MakeEvents(int count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<Event> events;
  for (int i = 0; i < count; ++i) {
    Event e{};
    double r = u(rng);
    for (const Size& s : kSizes) {
      e.pod = {s.gpus, s.mem, 0};
      if ((r -= s.share) < 0) break;
    }
    // Half the pods also ask compute in proportion to their memory.
    if (u(rng) < 0.5) e.pod.cores = static_cast<int>((e.pod.mem * 100 + kGpuMem - 1) / kGpuMem);
    e.arrive_early = u(rng) < 0.75;
    e.arrive_late = u(rng) < 0.5;
    e.pick = rng();
    events.push_back(e);
  }
  return events;
}

bool Arrives(const Event& e, bool full) { return full ? e.arrive_late : e.arrive_early; }

double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5))];
}

struct Outcome {
  std::vector<double> filter_ms, prioritize_ms;
  // The same filters in the thread's CPU time: what the request costs,
  // without the time other programs on the machine took the CPU meanwhile.
  std::vector<double> filter_cpu_ms;
  double placed_share_at_first_refusal = 0;  // of all GPU memory
  long long placed_at_first_refusal = 0;
  int first_refusal_event = -1;
  int refused = 0, arrivals = 0;
};

// Plays the events against one scheduler: `place` tries an arrival and
// returns what to keep for its departure (nullopt: refused), `remove` gives
// a departed pod's shares back. Keeps the books both runs share.
template <class Live>
Outcome Replay(const std::vector<Event>& events, long long capacity,
               const std::function<std::optional<Live>(std::size_t, const PodSpec&, Outcome&)>& place,
               const std::function<void(Live&)>& remove) {
  Outcome out;
  std::vector<std::pair<Live, long long>> live;  // with its memory
  long long placed = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    if (!Arrives(e, out.first_refusal_event >= 0)) {
      if (live.empty()) continue;
      const std::size_t k = e.pick % live.size();
      remove(live[k].first);
      placed -= live[k].second;
      live[k] = std::move(live.back());
      live.pop_back();
      continue;
    }
    ++out.arrivals;
    std::optional<Live> kept = place(i, e.pod, out);
    if (!kept) {
      if (out.first_refusal_event < 0) {
        out.first_refusal_event = static_cast<int>(i);
        out.placed_at_first_refusal = placed;
        out.placed_share_at_first_refusal = static_cast<double>(placed) / capacity;
      }
      ++out.refused;
      continue;
    }
    placed += e.pod.mem * e.pod.gpus;
    live.emplace_back(std::move(*kept), e.pod.mem * e.pod.gpus);
  }
  return out;
}

// ---- vslice: the extender itself, driven as kube-scheduler drives it.

json PodObject(int id, const PodSpec& s) {
  json limits = {{"nvidia.com/gpu", std::to_string(s.gpus)}, {"nvidia.com/gpumem", std::to_string(s.mem)}};
  if (s.cores > 0) limits["nvidia.com/gpucores"] = std::to_string(s.cores);
  return json{{"metadata", {{"name", "p" + std::to_string(id)}, {"namespace", "bench"}, {"uid", "u" + std::to_string(id)}}},
              {"spec", {{"containers", {{{"name", "main"}, {"resources", {{"limits", limits}}}}}}}},
              {"status", {{"phase", "Pending"}}}};
}

Outcome RunVslice(int nodes, int gpus, const std::vector<Event>& events, std::uint64_t seed,
                  vslice::scheduler::Policy gpu_policy) {
  using namespace vslice::scheduler;
  ClusterView view;
  std::vector<std::string> names;
  for (int n = 0; n < nodes; ++n) {
    std::vector<hami::RegisteredDevice> devs;
    for (int g = 0; g < gpus; ++g) {
      devs.push_back({"GPU-" + std::to_string(n) + "-" + std::to_string(g), g, 10, kGpuMem, 100, "NVIDIA-H100", g / 4,
                      "hami-core", true});
    }
    names.push_back("node-" + std::to_string(n));
    view.UpsertNode(json{{"metadata",
                          {{"name", names.back()},
                           {"annotations", {{std::string(hami::kNodeRegister), hami::EncodeRegisterAnnotation(devs)}}}}}});
  }
  Extender extender(&view, PlacementDefaults{Policy::kBinpack, gpu_policy});
  std::mt19937_64 rng(seed);
  auto place = [&](std::size_t i, const PodSpec& spec, Outcome& out) -> std::optional<json> {
    json pod = PodObject(static_cast<int>(i), spec);
    const std::string request = json{{"Pod", pod}, {"Nodes", nullptr}, {"NodeNames", names}}.dump();
    // filter: the whole request as the server handles it.
    const double cpu0 = ThreadCpuMs();
    auto t0 = Clock::now();
    ExtenderArgs args;
    std::string error;
    DecodeExtenderArgs(json::parse(request), &args, &error);
    ExtenderFilterResult filtered = extender.Filter(args);
    double wall = std::chrono::duration<double, std::milli>(Clock::now() - t0).count(), cpu = ThreadCpuMs() - cpu0;
    // The names kube-scheduler will get (copied outside the timing: the
    // server moves them into its answer).
    ExtenderArgs kept;
    kept.pod = pod;
    kept.node_names = *filtered.node_names;
    t0 = Clock::now();
    const double cpu1 = ThreadCpuMs();
    const std::string reply = Encode(std::move(filtered)).dump();
    out.filter_ms.push_back(wall + std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    out.filter_cpu_ms.push_back(cpu + ThreadCpuMs() - cpu1);
    if (kept.node_names->empty()) return std::nullopt;
    // prioritize over the nodes filter kept; kube-scheduler picks the best.
    t0 = Clock::now();
    HostPriorityList scores = extender.Prioritize(kept);
    const std::string scored = Encode(scores).dump();
    out.prioritize_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    std::int64_t best = -1;
    std::string chosen;
    int ties = 0;
    for (const HostPriority& h : scores) {
      if (h.score > best) {
        best = h.score;
        chosen = h.host;
        ties = 1;
      } else if (h.score == best && std::uniform_int_distribution<int>(0, ties++)(rng) == 0) {
        chosen = h.host;
      }
    }
    // bind: reserve, then the pod's annotations arrive as WATCH would bring them.
    PodRequest req;
    ParsePodRequest(pod, &req, &error);
    FitResult fit = view.ReserveOn(chosen, req.uid, req.pod_namespace, req.pod_name, Clock::now() + std::chrono::hours(1),
                                   [&](const NodeRecord& n) { return FitPod(n.devices, n.use, req, gpu_policy); });
    if (!fit.fits) {
      std::fprintf(stderr, "bind refused after filter kept the node: %s\n", ExplainRefusal(req, fit).c_str());
      std::exit(1);
    }
    pod["spec"]["nodeName"] = chosen;
    pod["metadata"]["annotations"] = {{std::string(hami::kAssignedNode), chosen},
                                      {std::string(hami::kDevicesAllocated), hami::EncodePodShares(fit.shares)},
                                      {std::string(hami::kBindPhase), "success"}};
    view.UpsertPod(pod);
    return pod;
  };
  return Replay<json>(events, static_cast<long long>(nodes) * gpus * kGpuMem, place,
                      [&](json& pod) { view.DeletePod(pod); });
}

// ---- HAMi's placement rules (pkg/scheduler/score.go, policy/*.go,
// pkg/device/nvidia/device.go Fit), re-implemented from their description:
// every node is scored on its use before placement,
// 10 x (shares used/shares + cores used/cores + memory used/memory), and
// binpack takes the highest; on the node, each GPU is scored with the
// request added, 10 x (same three fractions), GPUs sorted by that score
// (binpack: ascending) and taken from the end of the list.

struct HamiGpu {
  int used = 0;
  long long usedmem = 0;
  int usedcores = 0;
};

struct HamiNode {
  std::vector<HamiGpu> gpus;
};

bool HamiFits(const HamiGpu& g, const PodSpec& s) {
  if (g.used >= 10) return false;
  if (kGpuMem - g.usedmem < s.mem) return false;
  if (100 - g.usedcores < s.cores) return false;
  if (s.cores == 100 && g.used > 0) return false;
  if (g.usedcores == 100 && s.cores == 0) return false;
  return true;
}

// The GPUs HAMi's Fit would choose on `node`, or empty.
std::vector<int> HamiChoose(const HamiNode& node, const PodSpec& s, bool binpack) {
  std::vector<std::pair<float, int>> order;
  for (int i = 0; i < static_cast<int>(node.gpus.size()); ++i) {
    const HamiGpu& g = node.gpus[i];
    const float score = 10.0f * (static_cast<float>(1 + g.used) / 10 + static_cast<float>(s.cores + g.usedcores) / 100 +
                                 static_cast<float>(s.mem + g.usedmem) / kGpuMem);
    order.push_back({score, i});
  }
  // binpack: ascending, spread: descending; Fit takes from the end.
  std::sort(order.begin(), order.end(), [binpack](auto& a, auto& b) { return binpack ? a.first < b.first : a.first > b.first; });
  std::vector<int> chosen;
  for (int k = static_cast<int>(order.size()) - 1; k >= 0 && static_cast<int>(chosen.size()) < s.gpus; --k) {
    if (HamiFits(node.gpus[order[k].second], s)) chosen.push_back(order[k].second);
  }
  if (static_cast<int>(chosen.size()) < s.gpus) chosen.clear();
  return chosen;
}

float HamiNodeScore(const HamiNode& node) {
  double used = 0, cores = 0, mem = 0;
  for (const HamiGpu& g : node.gpus) {
    used += g.used;
    cores += g.usedcores;
    mem += static_cast<double>(g.usedmem);
  }
  const double n = static_cast<double>(node.gpus.size());
  return static_cast<float>(10.0 * (used / (10 * n) + cores / (100 * n) + mem / (kGpuMem * n)));
}

Outcome RunHami(int nodes, int gpus, const std::vector<Event>& events, std::uint64_t seed, bool gpu_binpack) {
  std::vector<HamiNode> cluster(nodes, HamiNode{std::vector<HamiGpu>(gpus)});
  std::mt19937_64 rng(seed);
  struct Placed {
    int node;
    std::vector<int> gpus;
    PodSpec spec;
  };
  auto charge = [&](const Placed& p, int sign) {
    for (int g : p.gpus) {
      HamiGpu& gpu = cluster[p.node].gpus[g];
      gpu.used += sign;
      gpu.usedmem += sign * p.spec.mem;
      gpu.usedcores += sign * p.spec.cores;
    }
  };
  auto place = [&](std::size_t, const PodSpec& spec, Outcome& out) -> std::optional<Placed> {
    const double cpu0 = ThreadCpuMs();
    auto t0 = Clock::now();
    int best = -1;
    float best_score = -1;
    int ties = 0;
    std::vector<int> best_gpus;
    for (int n = 0; n < nodes; ++n) {
      std::vector<int> chosen = HamiChoose(cluster[n], spec, gpu_binpack);
      if (chosen.empty()) continue;
      const float score = HamiNodeScore(cluster[n]);
      if (score > best_score) {
        best_score = score;
        best = n;
        best_gpus = std::move(chosen);
        ties = 1;
      } else if (score == best_score && std::uniform_int_distribution<int>(0, ties++)(rng) == 0) {
        best = n;
        best_gpus = std::move(chosen);
      }
    }
    out.filter_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    out.filter_cpu_ms.push_back(ThreadCpuMs() - cpu0);
    if (best < 0) return std::nullopt;
    Placed p{best, std::move(best_gpus), spec};
    charge(p, +1);
    return p;
  };
  return Replay<Placed>(events, static_cast<long long>(nodes) * gpus * kGpuMem, place,
                        [&](Placed& p) { charge(p, -1); });
}

long ArgValue(int argc, char** argv, const char* name, long fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return std::strtol(argv[i + 1], nullptr, 10);
  }
  return fallback;
}

void Row(const char* who, const Outcome& o, long long capacity, bool has_prioritize) {
  std::printf("| %-34s | %6.3f / %6.3f | %6.3f / %6.3f | %s | %5.1f %% (%lld of %lld GiB) | %6d | %5d of %5d |\n", who,
              Percentile(o.filter_ms, 0.5), Percentile(o.filter_ms, 0.99), Percentile(o.filter_cpu_ms, 0.5),
              Percentile(o.filter_cpu_ms, 0.99),
              has_prioritize ? (std::to_string(Percentile(o.prioritize_ms, 0.99)).substr(0, 5) + " ms").c_str() : "  n/a   ",
              100.0 * o.placed_share_at_first_refusal, o.placed_at_first_refusal / 1024, capacity / 1024,
              o.first_refusal_event, o.refused, o.arrivals);
}

}  // namespace

int main(int argc, char** argv) {
  const int nodes = static_cast<int>(ArgValue(argc, argv, "--nodes", 1000));
  const int gpus = static_cast<int>(ArgValue(argc, argv, "--gpus", 8));
  const int count = static_cast<int>(ArgValue(argc, argv, "--events", 20000));
  const std::uint64_t seed = static_cast<std::uint64_t>(ArgValue(argc, argv, "--seed", 1));
  const std::vector<Event> events = MakeEvents(count, seed);
  const long long capacity = static_cast<long long>(nodes) * gpus * kGpuMem;
  std::printf("%d nodes x %d GPUs of 80 GiB, %d events (seed %llu); node policy binpack\n\n", nodes, gpus, count,
              static_cast<unsigned long long>(seed));
  using vslice::scheduler::Policy;
  const Outcome ours = RunVslice(nodes, gpus, events, seed, Policy::kBinpack);
  const Outcome hami = RunHami(nodes, gpus, events, seed, true);
  const Outcome ours_spread = RunVslice(nodes, gpus, events, seed, Policy::kSpread);
  const Outcome hami_spread = RunHami(nodes, gpus, events, seed, false);
  std::printf("| scheduler | filter p50 / p99 ms (wall) | filter p50 / p99 ms (CPU) | prioritize p99 (wall) | GPU memory in use at the first refusal (bound: all of it) | at event | refused of arrivals |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  Row("vslice-scheduler, GPU binpack", ours, capacity, true);
  Row("HAMi's rules, GPU binpack", hami, capacity, false);
  Row("vslice-scheduler, GPU spread", ours_spread, capacity, true);
  Row("HAMi's rules, GPU spread (default)", hami_spread, capacity, false);
  return 0;
}
