#include "cli/status_command.h"

#include <cstdio>

#include "cli/cli_error.h"
#include "cli/option_reader.h"
#include "cli/paths.h"
#include "cli/region_snapshot.h"
#include "cli/status_format.h"
#include "cli/usage.h"
#include "core/options.h"
#include "core/pod_region.h"

namespace vslice::cli {

int StatusCommand(const std::vector<std::string>& args) {
  std::string region_path;
  bool json = false;
  OptionReader r(args, "--region, --json or --help");
  while (r.Next()) {
    if (r.Is("--region")) {
      region_path = r.Value();
      if (region_path.empty()) throw UsageError("bad value '' for --region (expected a file path)");
    } else if (r.Is("--json")) {
      r.NoValue();
      json = true;
    } else if (r.Is("--help") || r.Is("-h")) {
      r.NoValue();
      std::fputs(StatusUsage(), stdout);
      return 0;
    } else {
      r.Unknown();
    }
  }
  const std::vector<std::string> rest = r.rest();
  if (!rest.empty() || r.saw_double_dash()) {
    throw UsageError("unexpected argument '" + (rest.empty() ? std::string("--") : rest[0]) +
                     "' (status takes only --region PATH and --json)");
  }

  if (region_path.empty()) {
    region_path = LoadOptionsFromEnvironment().region_path;
  } else {
    region_path = AbsolutePath(region_path);
  }

  PodRegion region;
  char error[768];
  if (!region.OpenExisting(region_path.c_str(), error, sizeof error)) throw Failure(error);
  const int reaped = region.ReapDeadProcesses();
  RegionSnapshot snapshot = TakeSnapshot(region, region_path);
  snapshot.reaped_now = reaped;

  const std::string out = json ? StatusJson(snapshot) : StatusText(snapshot);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace vslice::cli
