// libFuzzer target: node registry files with arbitrary bytes
// (core/node_registry.h), made as in fuzz_pod_region.cc (raw input, a valid
// registry with patches, cut or extended, or created empty and patched).
// Whatever validated is used as a limiter uses it: Join, DeviceIndex with a
// UUID from the input, PodAlive on every entry, Leave. Checks: a refused file
// says why; a validated one validates; indices stay in range; no garbage
// entry counts as alive (only a limiter's lock makes an entry alive); after
// Leave the entry holds no device; the values check readers run before they
// show anything (core/layout_checks.h) either refuses in one line or passes
// only values in the ranges checked here independently.
#include <unistd.h>

#include <cstdint>
#include <vector>

#include "core/admission.h"
#include "core/clock.h"
#include "core/layout_checks.h"
#include "core/node_registry.h"
#include "fuzz_shared_file.h"

namespace {

using vslice::fuzz::Fail;
constexpr const char* kTarget = "fuzz_node_registry";
constexpr std::size_t kBytes = sizeof(vslice::RegistryLayout);

std::vector<std::uint8_t> ValidRegistry() {
  const std::string path = vslice::fuzz::ScratchPath("registry-template");
  unlink(path.c_str());
  std::vector<std::uint8_t> bytes(kBytes);
  {
    vslice::NodeRegistry registry;
    char error[256];
    if (!registry.Open(path.c_str(), error, sizeof error)) Fail(kTarget, error);
    std::memcpy(bytes.data(), registry.layout(), kBytes);
  }
  unlink(path.c_str());
  return bytes;
}

// What a reader may show, checked without the table: holders, and the name
// and settings of every active entry.
void CheckValues(const vslice::RegistryLayout& layout) {
  char error[256] = {};
  if (!vslice::CheckRegistryValues(layout, vslice::UnixNowNs(), error, sizeof error)) {
    vslice::fuzz::CheckRefusalLine(kTarget, error);
    return;
  }
  for (const vslice::RegistryDevice& d : layout.devices) {
    const std::uint32_t word = d.holder.load();
    const std::uint32_t entry = word & 0xffffu;
    const bool holder_word =
        word == 0 || (entry >= 1 && entry <= vslice::kRegistryPods && (word >> 16) < 3);
    if (d.state.load() == 2 && !holder_word) {
      Fail(kTarget, "a holder word out of range passed the values check");
    }
  }
  for (const vslice::RegistryPod& p : layout.pods) {
    if (p.state.load() != 1) continue;
    const void* end = std::memchr(p.name, '\0', sizeof p.name);
    if (end == nullptr) Fail(kTarget, "a name without its NUL passed the values check");
    for (const char* c = p.name; c != end; ++c) {
      if (static_cast<unsigned char>(*c) < 0x20 || *c == 0x7f) {
        Fail(kTarget, "a name with a control character passed the values check");
      }
    }
    for (const vslice::RegistryPodDevice& e : p.devices) {
      if (e.weight.load() > 1000 || e.cap.load() > 100 || e.wants.load() > 1 ||
          e.priority.load() > 2) {
        Fail(kTarget, "a pod's setting out of range passed the values check");
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<std::uint8_t> valid = ValidRegistry();
  static const std::string path = vslice::fuzz::ScratchPath("registry");
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  ++data;
  --size;

  vslice::fuzz::CheckValidate(kTarget, &vslice::NodeRegistry::Validate,
                              alignof(vslice::RegistryHeader), data, size);
  char error[512] = {};

  vslice::fuzz::Patches input(data, size);
  const std::vector<std::uint8_t> file =
      vslice::fuzz::FileForMode(mode, data, size, valid, input);
  vslice::fuzz::WriteAll(path, file.data(), file.size());

  vslice::NodeRegistry registry;
  if (!registry.Open(path.c_str(), error, sizeof error)) {
    if (error[0] == '\0') Fail(kTarget, "a refused file without a reason");
    if (mode % 4 == 3) Fail(kTarget, "an empty file was not created as a registry");
    return 0;
  }
  if (!vslice::NodeRegistry::Validate(registry.layout(), kBytes, error, sizeof error)) {
    Fail(kTarget, "an opened registry does not validate");
  }
  // Garbage in a registry just created (behind its header).
  if (mode % 4 == 3) {
    vslice::fuzz::PatchBehindHeader(input, registry.layout(), kBytes,
                                    sizeof(vslice::RegistryHeader));
  }
  CheckValues(*registry.layout());
  const int entry = registry.Join("fuzz");
  if (entry < -1 || entry >= vslice::kRegistryPods)
    Fail(kTarget, "Join returned an entry out of range");
  std::uint8_t uuid[16];
  for (auto& b : uuid) b = input.Byte();
  const int device = registry.DeviceIndex(uuid);
  if (device < -1 || device >= vslice::kRegistryDevices)
    Fail(kTarget, "a device index out of range");
  if (device >= 0 && registry.DeviceIndex(uuid) != device) Fail(kTarget, "a device changed index");
  for (int p = -2; p <= vslice::kRegistryPods + 1; ++p) {
    // Nobody else holds an entry's lock: no garbage makes an entry alive.
    // (This process's own entry is alive only to others.)
    if (registry.PodAlive(p)) Fail(kTarget, "an entry without a live limiter counts as alive");
  }
  if (entry >= 0) {
    registry.Leave(entry);
    for (const vslice::RegistryDevice& d : registry.layout()->devices) {
      if (vslice::Holder::Decode(d.holder.load()).pod == entry) {
        Fail(kTarget, "a left entry still holds a device");
      }
    }
  }
  CheckValues(*registry.layout());
  return 0;
}
