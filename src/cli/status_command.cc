#include "cli/status_command.h"

#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "cli/cli_error.h"
#include "core/human_units.h"
#include "cli/option_reader.h"
#include "cli/paths.h"
#include "cli/node_pods.h"
#include "cli/status_format.h"
#include "cli/status_source.h"
#include "cli/usage.h"
#include "core/options.h"
#include "core/size_parse.h"

namespace vslice::cli {
namespace {

constexpr int kDefaultIntervalMs = 1000;
constexpr int kMaxIntervalMs = 60000;
constexpr int kMinTopIntervalMs = 100;

// The options both commands share (--help sets `help`); `extra` handles the
// rest (returns false for an unknown option).
template <typename Extra>
StatusSettings ReadCommonOptions(OptionReader& r, const char* command, int* interval_ms,
                                 int min_interval_ms, bool* help, Extra extra) {
  StatusSettings s;
  std::string region, pod;
  while (r.Next()) {
    if (r.Is("--help") || r.Is("-h")) {
      r.NoValue();
      *help = true;
    } else if (r.Is("--region")) {
      region = r.Value();
      if (region.empty()) throw UsageError("bad value '' for --region (expected a file path)");
    } else if (r.Is("--pod")) {
      pod = r.Value();
      CheckPodName("--pod", pod);
    } else if (r.Is("--registry")) {
      s.registry_path = r.Value();
      if (s.registry_path.empty()) {
        throw UsageError("bad value '' for --registry (expected a file path)");
      }
      s.registry_given = true;
    } else if (r.Is("--interval")) {
      *interval_ms = static_cast<int>(IntOption("--interval", r.Value(), min_interval_ms,
                                                kMaxIntervalMs, "a whole number of milliseconds"));
    } else if (!extra(r)) {
      r.Unknown();
    }
  }
  const std::vector<std::string> rest = r.rest();
  if (!rest.empty() || r.saw_double_dash()) {
    throw UsageError("unexpected argument '" + (rest.empty() ? std::string("--") : rest[0]) +
                     "' (" + command + " takes only options)");
  }
  s.env = LoadOptionsFromEnvironment();
  s.region_path = NamedPodRegion(s.env, region, pod);
  s.registry_path = s.registry_given ? AbsolutePath(s.registry_path) : NodeRegistryPath(s.env);
  return s;
}

// The errors of a reading: pods whose regions could not be read, and the
// registry's. One line each.
std::vector<std::string> Errors(const StatusView& view) {
  std::vector<std::string> errors;
  for (const PodView& p : view.pods) {
    if (!p.error.empty()) errors.push_back(p.error);
  }
  if (!view.registry_error.empty()) errors.push_back(view.registry_error);
  return errors;
}

void SleepMs(int ms) {
  timespec ts{ms / 1000, static_cast<long>(ms % 1000) * 1'000'000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

// Cuts every line of `text` to `width` columns (a cut line ends in '>'),
// and keeps at most `height` lines (0: all).
std::string FitScreen(const std::string& text, std::size_t width, std::size_t height) {
  std::string out;
  std::size_t lines = 0, start = 0, total = 0;
  for (char c : text) total += c == '\n';
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (height != 0 && lines + 1 == height && total > height) {
      out += "... " + std::to_string(total - lines) + " more lines\n";
      break;
    }
    std::string line = text.substr(start, end - start);
    if (line.size() > width) line = line.substr(0, width - 1) + ">";
    out += line + "\n";
    ++lines;
    start = end + 1;
  }
  return out;
}

}  // namespace

int StatusCommand(const std::vector<std::string>& args) {
  bool json = false;
  int interval_ms = kDefaultIntervalMs;
  OptionReader r(args, "--region, --pod, --registry, --interval, --json or --help");
  bool help = false;
  const StatusSettings settings =
      ReadCommonOptions(r, "status", &interval_ms, 0, &help, [&](OptionReader& o) {
        if (!o.Is("--json")) return false;
        o.NoValue();
        json = true;
        return true;
      });
  if (help) {
    std::fputs(StatusUsage(), stdout);
    return 0;
  }
  StatusSource source;
  source.Open(settings);
  StatusView view = source.Take();
  if (interval_ms > 0) {
    SleepMs(interval_ms);
    view = source.Take();
  }
  const std::string out = json ? StatusJson(view) : StatusText(view, TextLayout::kWide);
  std::fwrite(out.data(), 1, out.size(), stdout);
  // What could not be shown is said on stderr, and in the exit status.
  const std::vector<std::string> errors = Errors(view);
  for (const std::string& e : errors) std::fprintf(stderr, "vslice status: %s\n", e.c_str());
  return errors.empty() ? 0 : kExitFailure;
}

int TopCommand(const std::vector<std::string>& args) {
  int interval_ms = kDefaultIntervalMs;
  long iterations = 0;
  bool help = false;
  OptionReader r(args, "--region, --pod, --registry, --interval, --iterations or --help");
  const StatusSettings settings =
      ReadCommonOptions(r, "top", &interval_ms, kMinTopIntervalMs, &help, [&](OptionReader& o) {
        if (!o.Is("--iterations")) return false;
        iterations = IntOption("--iterations", o.Value(), 0, 1'000'000'000, "a count");
        return true;
      });
  if (help) {
    std::fputs(TopUsage(), stdout);
    return 0;
  }
  StatusSource source;
  source.Open(settings);

  const bool tty = isatty(STDOUT_FILENO) == 1;
  std::size_t width = 80, height = 0;
  for (long frame = 0; iterations == 0 || frame < iterations; ++frame) {
    if (frame > 0) SleepMs(interval_ms);
    const StatusView view = source.Take();
    if (tty) {
      winsize ws{};
      if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
        width = ws.ws_col;
        height = ws.ws_row;
      }
    }
    char clock[32] = "";
    const time_t now = static_cast<time_t>(view.now_unix_ns / 1'000'000'000ull);
    tm local{};
    if (localtime_r(&now, &local) != nullptr) std::strftime(clock, sizeof clock, "%H:%M:%S", &local);
    std::string text = "vslice top  " + std::string(clock) + ", every " +
                       FormatSeconds(static_cast<std::uint64_t>(interval_ms) * 1'000'000ull) +
                       (tty ? " (Ctrl-C quits)" : "") + "\n";
    text += StatusText(view, TextLayout::kCompact);
    for (const std::string& e : Errors(view)) text += "error:      " + e + "\n";
    text = FitScreen(text, width < 20 ? 20 : width, height);
    // Home the cursor and clear the screen on a terminal; frames written to
    // a pipe or a file are separated by a blank line instead.
    if (tty) {
      text = "\033[H\033[2J" + text;
    } else if (frame > 0) {
      text = "\n" + text;
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace vslice::cli
