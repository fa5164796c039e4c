#include "core/node_registry.h"

#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "core/admission.h"
#include "core/clock.h"
#include "core/shared_file.h"

namespace vslice {
namespace {

constexpr std::size_t kLayoutBytes = sizeof(RegistryLayout);

void InitialiseRegistry(void* map, const void*) {
  auto* layout = static_cast<RegistryLayout*>(map);
  RegistryHeader& h = layout->header;
  h.version = kRegistryVersion;
  h.header_bytes = sizeof(RegistryHeader);
  h.total_bytes = kLayoutBytes;
  h.max_pods = kRegistryPods;
  h.max_devices = kRegistryDevices;
  h.created_unix_ns.store(UnixNowNs());
  std::atomic_thread_fence(std::memory_order_release);
  h.magic = kRegistryMagic;  // last: a registry with a magic is complete
}

constexpr SharedFileFormat kRegistryFormat{"registry", kLayoutBytes, &InitialiseRegistry,
                                           &NodeRegistry::Validate};

}  // namespace

NodeRegistry::~NodeRegistry() { Close(); }

void NodeRegistry::Close() {
  if (layout_ != nullptr) munmap(layout_, kLayoutBytes);
  if (fd_ >= 0) close(fd_);
  layout_ = nullptr;
  fd_ = -1;
}

bool NodeRegistry::Validate(const void* data, std::size_t size, char* error,
                            std::size_t error_size) {
  const auto* h = static_cast<const RegistryHeader*>(data);
  if (data == nullptr || size < sizeof(RegistryHeader)) {
    std::snprintf(error, error_size, "%zu bytes is too short for a registry header", size);
    return false;
  }
  if (reinterpret_cast<std::uintptr_t>(data) % alignof(RegistryHeader) != 0) {
    std::snprintf(error, error_size,
                  "registry bytes at %p are not aligned to %zu bytes (a mapped file is)", data,
                  alignof(RegistryHeader));
    return false;
  }
  if (h->magic != kRegistryMagic) {
    std::snprintf(error, error_size, "not a vslice registry (magic %#llx, expected %#llx)",
                  static_cast<unsigned long long>(h->magic),
                  static_cast<unsigned long long>(kRegistryMagic));
    return false;
  }
  if (h->version != kRegistryVersion) {
    std::snprintf(error, error_size,
                  "registry version %u, this vslice reads version %u: pods of another vslice "
                  "version use it; upgrade every pod of the node, or give the new pods a "
                  "registry of their own",
                  h->version, kRegistryVersion);
    return false;
  }
  if (h->header_bytes != sizeof(RegistryHeader) || h->total_bytes != kLayoutBytes ||
      h->max_pods != static_cast<std::uint32_t>(kRegistryPods) ||
      h->max_devices != static_cast<std::uint32_t>(kRegistryDevices) || size != kLayoutBytes) {
    std::snprintf(error, error_size,
                  "registry geometry does not match (file %zu bytes, expected %zu, %d pods, "
                  "%d devices)",
                  size, kLayoutBytes, kRegistryPods, kRegistryDevices);
    return false;
  }
  return true;
}

bool NodeRegistry::Map(const char* path, bool create, char* error, std::size_t error_size) {
  Close();
  void* map = nullptr;
  if (!MapSharedFile(path, kRegistryFormat, create, nullptr, &fd_, &map, error, error_size)) {
    fd_ = -1;
    return false;
  }
  layout_ = static_cast<RegistryLayout*>(map);
  return true;
}

bool NodeRegistry::Open(const char* path, char* error, std::size_t error_size) {
  return Map(path, /*create=*/true, error, error_size);
}

bool NodeRegistry::OpenExisting(const char* path, char* error, std::size_t error_size) {
  return Map(path, /*create=*/false, error, error_size);
}

bool NodeRegistry::Identity(std::uint64_t* dev, std::uint64_t* ino) const {
  struct stat st {};
  if (fd_ < 0 || fstat(fd_, &st) != 0) return false;
  *dev = static_cast<std::uint64_t>(st.st_dev);
  *ino = static_cast<std::uint64_t>(st.st_ino);
  return true;
}

namespace {

// Hands every device `pod` holds to nobody (its limiter is gone or leaving).
void DropHolds(RegistryLayout& layout, int pod) {
  for (RegistryDevice& d : layout.devices) {
    const std::uint32_t word = d.holder.load();
    if (Holder::Decode(word).pod == pod) ChangeHolder(d, word, Holder{});
  }
}

}  // namespace

int NodeRegistry::Join(const char* name) {
  for (int i = 0; i < kRegistryPods; ++i) {
    // The lock decides: whoever holds entry i's byte owns the entry; an
    // entry whose lock is free belongs to a limiter that died.
    if (!TryLockByte(fd_, kRegistryLockBase + i)) continue;
    RegistryPod& pod = layout_->pods[i];
    pod.state.store(static_cast<std::uint32_t>(RegistryPodState::kFree));
    for (RegistryPodDevice& d : pod.devices) {
      d.wants.store(0);
      d.weight.store(1);
      d.virtual_time.store(0);
      d.device_time_ns.store(0);
      d.present.store(0);
      d.cap.store(0);
      d.priority.store(static_cast<std::uint32_t>(kDefaultPriorityClass));
      d.preempted.store(0);
      d.takeovers.store(0);
    }
    std::snprintf(pod.name, sizeof pod.name, "%s", name);
    pod.limiter_pid.store(static_cast<std::int32_t>(getpid()));
    // A dead predecessor may still be named the holder of a device.
    DropHolds(*layout_, i);
    pod.state.store(static_cast<std::uint32_t>(RegistryPodState::kActive));
    return i;
  }
  return -1;
}

void NodeRegistry::Leave(int pod) {
  if (layout_ == nullptr || pod < 0 || pod >= kRegistryPods) return;
  DropHolds(*layout_, pod);
  for (RegistryPodDevice& d : layout_->pods[pod].devices) d.wants.store(0);
  layout_->pods[pod].state.store(static_cast<std::uint32_t>(RegistryPodState::kFree));
  UnlockByte(fd_, kRegistryLockBase + pod);
}

int NodeRegistry::FreeDeadEntries() {
  if (layout_ == nullptr) return 0;
  constexpr auto kFree = static_cast<std::uint32_t>(RegistryPodState::kFree);
  int freed = 0;
  for (int i = 0; i < kRegistryPods; ++i) {
    if (layout_->pods[i].state.load() == kFree) continue;
    if (!TryLockByte(fd_, kRegistryLockBase + i)) continue;  // alive, or joining
    Leave(i);  // as its limiter would have, lock included
    ++freed;
  }
  return freed;
}

int NodeRegistry::DeviceIndex(const std::uint8_t (&uuid)[16]) {
  constexpr auto kUnused = static_cast<std::uint32_t>(RegistryDeviceState::kUnused);
  constexpr auto kClaiming = static_cast<std::uint32_t>(RegistryDeviceState::kClaiming);
  constexpr auto kValid = static_cast<std::uint32_t>(RegistryDeviceState::kValid);
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < kRegistryDevices; ++i) {
      RegistryDevice& d = layout_->devices[i];
      std::uint32_t state = d.state.load(std::memory_order_acquire);
      // Another limiter is adding a device: it may be this one, and two
      // entries for one device would let two pods hold it at once. Wait for
      // the claim to complete (a claimer that died leaves it unfinished:
      // give up after a while and pass it over).
      for (int spins = 0; state == kClaiming && spins < 10'000; ++spins) {
        sched_yield();
        state = d.state.load(std::memory_order_acquire);
      }
      if (state == kValid && std::memcmp(d.uuid, uuid, sizeof uuid) == 0) return i;
      if (pass == 1 && state == kUnused) {
        if (d.state.compare_exchange_strong(state, kClaiming)) {
          std::memcpy(d.uuid, uuid, sizeof uuid);
          d.holder.store(0);
          for (auto& clock : d.virtual_clock) clock.store(0);
          d.state.store(kValid, std::memory_order_release);
          return i;
        }
        --i;  // another limiter claimed it just now: look at what it holds
      }
    }
  }
  return -1;
}

bool NodeRegistry::PodAlive(int pod) const {
  if (layout_ == nullptr || pod < 0 || pod >= kRegistryPods) return false;
  return layout_->pods[pod].state.load() ==
             static_cast<std::uint32_t>(RegistryPodState::kActive) &&
         ByteHeldElsewhere(fd_, kRegistryLockBase + pod);
}

}  // namespace vslice
