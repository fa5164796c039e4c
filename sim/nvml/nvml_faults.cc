#include "nvml/nvml_faults.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

namespace vslice::sim {

std::vector<DeviceFault> ParseFaults(const std::string& text, std::string* bad_line) {
  std::vector<DeviceFault> faults;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string device, kind, extra;
    if (!(words >> device) || device[0] == '#') continue;
    DeviceFault f;
    char* end = nullptr;
    const long d = std::strtol(device.c_str(), &end, 10);
    bool ok = *end == '\0' && d >= 0 && d < 16 && (words >> kind);
    if (ok && kind == "lost") {
      f.lost = true;
      f.xid = 79;
    } else if (ok && kind == "xid") {
      std::string code;
      ok = static_cast<bool>(words >> code);
      if (ok) {
        const unsigned long long x = std::strtoull(code.c_str(), &end, 10);
        ok = *end == '\0' && !code.empty() && code[0] != '-';
        f.xid = x;
      }
    } else {
      ok = false;
    }
    if (!ok || (words >> extra)) {
      if (bad_line != nullptr && bad_line->empty()) *bad_line = line;
      continue;
    }
    f.device = static_cast<int>(d);
    faults.push_back(f);
  }
  return faults;
}

std::vector<DeviceFault> ReadFaults() {
  const char* path = std::getenv("VSLICE_SIM_FAULTS");
  if (path == nullptr || *path == '\0') return {};
  std::ifstream in(path);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  std::string bad;
  std::vector<DeviceFault> faults = ParseFaults(text.str(), &bad);
  if (!bad.empty()) {
    static std::mutex mu;
    static std::set<std::string> reported;
    std::lock_guard<std::mutex> lock(mu);
    if (reported.insert(bad).second) {
      std::fprintf(stderr,
                   "vslice-sim (libnvidia-ml): ignoring line \"%.60s\" of VSLICE_SIM_FAULTS: expected "
                   "\"<device> xid <code>\" or \"<device> lost\"\n",
                   bad.c_str());
    }
  }
  return faults;
}

bool DeviceLost(int device) {
  for (const DeviceFault& f : ReadFaults()) {
    if (f.lost && f.device == device) return true;
  }
  return false;
}

}  // namespace vslice::sim
