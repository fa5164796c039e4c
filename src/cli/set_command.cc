#include "cli/set_command.h"

#include <cstdint>
#include <cstdio>
#include <optional>
#include <vector>

#include "cli/cli_error.h"
#include "core/human_units.h"
#include "cli/node_pods.h"
#include "cli/option_reader.h"
#include "cli/paths.h"
#include "cli/usage.h"
#include "core/options.h"
#include "core/pod_name.h"
#include "core/pod_region.h"
#include "core/priority_class.h"
#include "core/size_parse.h"

namespace vslice::cli {
namespace {

// The pod to change: --region, --pod, else the one pod on this host.
std::string ChosenRegion(const std::string& region, const std::string& pod) {
  const Options env = LoadOptionsFromEnvironment();
  const std::string named = NamedPodRegion(env, region, pod);
  if (!named.empty()) return named;
  const std::vector<std::string> here = NodeRegionPaths(env);
  if (here.empty()) throw Failure(NoPodsMessage(env, ""));
  if (here.size() > 1) {
    throw UsageError(std::to_string(here.size()) + " pods here (" + PodNames(here) +
                     "): pick one with --pod NAME or --region PATH");
  }
  return here[0];
}

std::string CapText(std::uint32_t cap) {
  return cap == 0 || cap >= 100 ? std::string("none") : std::to_string(cap) + "%";
}

}  // namespace

int SetCommand(const std::vector<std::string>& args) {
  std::string region_path, pod;
  std::optional<int> device, compute, weight;
  std::optional<std::uint64_t> memory;
  std::optional<PriorityClass> priority;
  OptionReader r(args,
                 "--region, --pod, --device, --compute, --weight, --priority, --memory or --help");
  while (r.Next()) {
    if (r.Is("--region")) {
      region_path = r.Value();
      if (region_path.empty()) throw UsageError("bad value '' for --region (expected a file path)");
    } else if (r.Is("--pod")) {
      pod = r.Value();
      CheckPodName("--pod", pod);
    } else if (r.Is("--device")) {
      device = static_cast<int>(IntOption("--device", r.Value(), 0, kMaxDevices - 1));
    } else if (r.Is("--compute")) {
      compute = static_cast<int>(IntOption("--compute", r.Value(), 0, 100));
    } else if (r.Is("--weight")) {
      weight = static_cast<int>(IntOption("--weight", r.Value(), 1, 1000));
    } else if (r.Is("--priority")) {
      priority = PriorityOption("--priority", r.Value());
    } else if (r.Is("--memory")) {
      const std::string value = r.Value();
      const SizeResult size = ParseByteSizeWithReason(value);
      if (!size.ok) {
        throw UsageError("bad value '" + value + "' for --memory (" + size.why +
                         "): expected a size such as 1g, 512m or 1073741824");
      }
      memory = size.bytes;
    } else if (r.Is("--help") || r.Is("-h")) {
      r.NoValue();
      std::fputs(SetUsage(), stdout);
      return 0;
    } else {
      r.Unknown();
    }
  }
  if (!r.rest().empty() || r.saw_double_dash()) {
    throw UsageError("unexpected argument '" + (r.rest().empty() ? std::string("--") : r.rest()[0]) +
                     "' (set takes only options)");
  }
  if (!compute && !weight && !priority && !memory) {
    throw UsageError("nothing to set: give --compute, --weight, --priority or --memory");
  }
  region_path = ChosenRegion(region_path, pod);
  PodRegion region;
  char error[768];
  if (!region.OpenExisting(region_path.c_str(), error, sizeof error)) throw Failure(error);
  RegionLayout& layout = *region.layout();

  const int first = device.value_or(0);
  const int last = device.value_or(kMaxDevices - 1);
  // A quota below what the pod holds would strand memory it cannot free by
  // being refused; check every device before changing any.
  if (memory) {
    region.ReapDeadProcesses();
    for (int d = first; d <= last; ++d) {
      if (*memory < region.used(d)) {
        throw Failure("device " + std::to_string(d) + " holds " + FormatBytes(region.used(d)) +
                      ", more than the new quota of " + FormatBytes(*memory) +
                      "; free memory first or choose a quota of at least that");
      }
    }
  }
  std::uint64_t old_quota[kMaxDevices];
  for (int d = first; d <= last; ++d) old_quota[d] = region.quota(d);
  if (memory) {
    for (int d = first; d <= last; ++d) region.set_quota(d, *memory);
    // A charge that slipped in between the check and the change can leave a
    // device above its new quota: then nothing is changed after all.
    for (int d = first; d <= last; ++d) {
      const std::uint64_t used = region.used(d);
      if (used <= *memory) continue;
      for (int u = first; u <= last; ++u) {
        if (region.quota(u) == *memory) region.set_quota(u, old_quota[u]);
      }
      throw Failure("device " + std::to_string(d) + " holds " + FormatBytes(used) +
                    ", more than the new quota of " + FormatBytes(*memory) +
                    "; free memory first or choose a quota of at least that");
    }
  }
  std::printf("pod %s (%s)\n", PodNameOfRegion(region_path).c_str(), region_path.c_str());
  for (int d = first; d <= last; ++d) {
    DeviceGate& gate = layout.gates[d];
    std::string line = "device " + std::to_string(d) + ":";
    if (compute) {
      const std::uint32_t was = gate.compute_limit.exchange(static_cast<std::uint32_t>(*compute));
      line += " compute cap " + CapText(static_cast<std::uint32_t>(*compute)) + " (was " +
              CapText(was) + ")";
    }
    if (weight) {
      const std::uint32_t was = gate.weight.exchange(static_cast<std::uint32_t>(*weight));
      line += " weight " + std::to_string(*weight) + " (was " + std::to_string(was == 0 ? 1 : was) +
              ")";
    }
    if (priority) {
      const PriorityClass was =
          PriorityClassFromWord(gate.priority.exchange(static_cast<std::uint32_t>(*priority)));
      line += std::string(" priority ") + PriorityClassName(*priority) + " (was " +
              PriorityClassName(was) + ")";
    }
    if (memory) {
      const std::uint64_t was = old_quota[d];
      line += " memory quota " + FormatBytes(*memory) + " (was " +
              (was == kNoLimit ? std::string("unlimited") : FormatBytes(was)) + ")";
    }
    if (device || d == 0) std::printf("%s\n", line.c_str());
  }
  if (!device) std::printf("(the other devices likewise)\n");
  if ((compute || weight || priority) && layout.header.limiter_pid.load() == 0) {
    std::fprintf(stderr, "vslice set: note: no limiter serves %s; compute settings apply once "
                         "one runs\n", region_path.c_str());
  }
  return 0;
}

}  // namespace vslice::cli
