#include "cli/registry_snapshot.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli/region_snapshot.h"
#include "core/admission.h"
#include "core/clock.h"
#include "core/layout_checks.h"
#include "core/node_registry.h"
#include "core/shared_file.h"

namespace vslice::cli {

std::string RegistrySnapshot::PodName(int entry) const {
  for (const RegistryPodSnapshot& p : pods) {
    if (p.entry == entry) return p.name;
  }
  return "";
}

RegistryReader::~RegistryReader() {
  if (layout_ != nullptr) munmap(const_cast<RegistryLayout*>(layout_), sizeof(RegistryLayout));
  if (fd_ >= 0) close(fd_);
}

bool RegistryReader::Open(const std::string& path, std::string* error) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = "cannot open node registry " + path + ": " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    *error = "node registry " + path + " is not a regular file";
    close(fd);
    return false;
  }
  const std::size_t size = static_cast<std::size_t>(st.st_size);
  if (size != sizeof(RegistryLayout)) {
    char why[256];
    std::snprintf(why, sizeof why, "has %zu bytes, expected %zu (not a vslice registry of "
                  "this version)", size, sizeof(RegistryLayout));
    *error = "node registry " + path + " " + why;
    close(fd);
    return false;
  }
  void* map = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) {
    *error = "cannot map node registry " + path + ": " + std::strerror(errno);
    close(fd);
    return false;
  }
  char why[512];
  if (!NodeRegistry::Validate(map, size, why, sizeof why)) {
    *error = "node registry " + path + ": " + why;
    munmap(map, size);
    close(fd);
    return false;
  }
  path_ = path;
  fd_ = fd;
  layout_ = static_cast<const RegistryLayout*>(map);
  return true;
}

bool RegistryReader::Snapshot(RegistrySnapshot* out, std::string* error) const {
  RegistrySnapshot s;
  s.path = path_;
  s.now_unix_ns = UnixNowNs();
  s.now_mono_ns = MonotonicNowNs();
  const RegistryLayout& reg = *layout_;
  char why[512];
  if (!CheckRegistryValues(reg, s.now_unix_ns, why, sizeof why)) {
    *error = "node registry " + path_ + ": " + why;
    return false;
  }
  s.created_unix_ns = reg.header.created_unix_ns.load();
  for (int i = 0; i < kRegistryDevices; ++i) {
    const RegistryDevice& d = reg.devices[i];
    if (d.state.load(std::memory_order_acquire) !=
        static_cast<std::uint32_t>(RegistryDeviceState::kValid)) {
      continue;
    }
    RegistryDeviceSnapshot dev;
    dev.index = i;
    std::memcpy(dev.uuid, d.uuid, sizeof dev.uuid);
    dev.holder = Holder::Decode(d.holder.load());
    dev.handoffs = d.handoffs.load();
    dev.takeovers = d.takeovers.load();
    s.devices.push_back(dev);
  }
  for (int i = 0; i < kRegistryPods; ++i) {
    const RegistryPod& p = reg.pods[i];
    if (p.state.load() != static_cast<std::uint32_t>(RegistryPodState::kActive)) continue;
    RegistryPodSnapshot pod;
    pod.entry = i;
    // Untrusted: the name may lack its terminating NUL.
    pod.name.assign(p.name, strnlen(p.name, sizeof p.name));
    pod.limiter_pid = p.limiter_pid.load();
    pod.alive = ByteHeldElsewhere(fd_, kRegistryLockBase + static_cast<std::uint64_t>(i));
    pod.heartbeat_unix_ns = p.heartbeat_unix_ns.load();
    for (int d = 0; d < kRegistryDevices; ++d) {
      const RegistryPodDevice& e = p.devices[d];
      RegistryPodDeviceSnapshot dev;
      dev.device = d;
      dev.present = e.present.load() != 0;
      dev.wants = e.wants.load() != 0;
      dev.cap = e.cap.load();
      if (dev.cap == 100) dev.cap = 0;
      dev.weight = e.weight.load();
      if (dev.weight == 0) dev.weight = 1;
      dev.priority = PriorityClassFromWord(e.priority.load());
      dev.virtual_time = e.virtual_time.load();
      dev.preempted = e.preempted.load();
      dev.device_time_ns = e.device_time_ns.load();
      if (dev.present || dev.wants || dev.device_time_ns != 0) pod.devices.push_back(dev);
    }
    s.pods.push_back(std::move(pod));
  }
  *out = std::move(s);
  return true;
}

void ComputeRegistryRates(const RegistrySnapshot& before, RegistrySnapshot* after) {
  if (after->now_mono_ns <= before.now_mono_ns) return;
  const std::uint64_t interval = after->now_mono_ns - before.now_mono_ns;
  after->interval_ns = interval;
  for (RegistryPodSnapshot& pod : after->pods) {
    const RegistryPodSnapshot* was = nullptr;
    for (const RegistryPodSnapshot& b : before.pods) {
      if (b.entry == pod.entry && b.limiter_pid == pod.limiter_pid && b.name == pod.name) was = &b;
    }
    if (was == nullptr) continue;
    for (RegistryPodDeviceSnapshot& d : pod.devices) {
      std::uint64_t earlier = 0;
      for (const RegistryPodDeviceSnapshot& b : was->devices) {
        if (b.device == d.device) earlier = b.device_time_ns;
      }
      if (d.device_time_ns < earlier) continue;  // the entry was rejoined
      const double share = static_cast<double>(d.device_time_ns - earlier) / interval;
      d.share = share > 1.0 ? 1.0 : share;
    }
  }
}

std::string FormatUuid(const std::uint8_t (&uuid)[16]) {
  char text[48];
  std::snprintf(text, sizeof text,
                "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                uuid[0], uuid[1], uuid[2], uuid[3], uuid[4], uuid[5], uuid[6], uuid[7], uuid[8],
                uuid[9], uuid[10], uuid[11], uuid[12], uuid[13], uuid[14], uuid[15]);
  return text;
}

}  // namespace vslice::cli
