// libFuzzer target: pod region files with arbitrary bytes
// (core/pod_region.h). The input's first byte picks how the file is made:
//   0: the input itself (any size: truncated, oversized, garbage);
//   1: a valid region with the input's patches applied (garbage behind, or
//      in, a valid header);
//   2: as 1, then cut or extended to a length the input chooses;
//   3: an empty file (a region being created), with the input's patches
//      applied to it once created.
// The file is opened with Open or OpenExisting; whatever validated is then
// used as the pod's processes use it: ledger reads, ClaimSlot, Reserve and
// Release with sizes from the input, the context reserve, ReapDeadProcesses,
// ReleaseSlot. Checks: a refused file says why; a validated one validates;
// no charge ever takes the ledger past the quota; after a reap that found
// the dead, the ledger is exactly what the live slot (ours) holds; the values
// check readers run before they show anything (core/layout_checks.h) either
// refuses in one line or passes only values in the ranges checked here
// independently, before the file is used and after.
#include <unistd.h>

#include <cstdint>
#include <vector>

#include "core/clock.h"
#include "core/layout_checks.h"
#include "core/pod_region.h"
#include "fuzz_shared_file.h"

namespace {

using vslice::fuzz::Fail;
constexpr const char* kTarget = "fuzz_pod_region";
constexpr std::size_t kBytes = sizeof(vslice::RegionLayout);

std::vector<std::uint8_t> ValidRegion() {
  const std::string path = vslice::fuzz::ScratchPath("region-template");
  unlink(path.c_str());
  std::uint64_t quota[vslice::kMaxDevices];
  for (int d = 0; d < vslice::kMaxDevices; ++d) quota[d] = (d + 1ull) << 30;
  std::vector<std::uint8_t> bytes(kBytes);
  {
    vslice::PodRegion region;
    char error[256];
    if (!region.Open(path.c_str(), quota, error, sizeof error)) Fail(kTarget, error);
    std::memcpy(bytes.data(), region.layout(), kBytes);
  }
  unlink(path.c_str());
  return bytes;
}

// What a reader may show, checked without the table: the settings of every
// gate and the identity of every active slot.
void CheckValues(const vslice::RegionLayout& layout) {
  char error[256] = {};
  if (!vslice::CheckRegionValues(layout, vslice::UnixNowNs(), error, sizeof error)) {
    vslice::fuzz::CheckRefusalLine(kTarget, error);
    return;
  }
  for (int d = 0; d < vslice::kMaxDevices; ++d) {
    const vslice::DeviceGate& gate = layout.gates[d];
    if (gate.weight.load() > 1000 || gate.compute_limit.load() > 100 || gate.open.load() > 1 ||
        gate.priority.load() > 2) {
      Fail(kTarget, "a gate setting out of range passed the values check");
    }
    if (layout.devices[d].peak.load() >= vslice::kLedgerFrozen) {
      Fail(kTarget, "a peak beyond the ledger passed the values check");
    }
  }
  for (const vslice::ProcessSlot& slot : layout.slots) {
    const std::uint32_t state = slot.state.load();
    if (state > 1) Fail(kTarget, "a slot state out of range passed the values check");
    if (state == 1 && (slot.pid.load() < 0 || slot.pid.load() > (1 << 22))) {
      Fail(kTarget, "an active slot's pid out of range passed the values check");
    }
  }
}

void Use(vslice::PodRegion& region, vslice::fuzz::Patches& input) {
  using vslice::kMaxDevices;
  for (int d = 0; d < kMaxDevices; ++d) {
    if (region.used(d) & vslice::kLedgerFrozen) Fail(kTarget, "used() shows the frozen flag");
    (void)region.quota(d);
  }
  int slot = region.ClaimSlot();
  if (slot < 0) {
    // Garbage slots are reaped (nobody holds their locks), then one is free.
    region.ReapDeadProcesses();
    slot = region.ClaimSlot();
  }
  if (slot < 0) return;
  if (slot >= vslice::kMaxProcesses) Fail(kTarget, "ClaimSlot returned a slot out of range");
  for (int op = 0; op < 8; ++op) {
    const int device = input.Byte() % kMaxDevices;
    const std::uint64_t bytes = input.Word() >> (input.Byte() % 64);
    const int kind = input.Byte() % 4;
    switch (kind) {
      case 0:
        if (region.Reserve(slot, device, bytes) && region.used(device) > region.quota(device)) {
          Fail(kTarget, "a charge took the ledger past the quota");
        }
        break;
      case 1: {
        const std::uint64_t before = region.used(device);
        region.Release(slot, device, bytes);
        if (region.used(device) > before) Fail(kTarget, "a release raised the ledger");
        break;
      }
      case 2:
        region.ChargeContextOnce(slot, device, bytes);
        break;
      default:
        region.ReleaseContext(slot, device, bytes);
        break;
    }
    // No reaper is at work here, and a charge or release waits out (and
    // clears) a frozen flag found in the file: after one, the ledger word
    // carries the flag only if arithmetic put it there.
    if (kind < 2 && (region.layout()->devices[device].used.load() & vslice::kLedgerFrozen)) {
      Fail(kTarget, "a charge or release set a ledger word's frozen flag");
    }
  }
  if (region.ReapDeadProcesses() > 0) {
    const vslice::ProcessSlot& mine = region.layout()->slots[slot];
    for (int d = 0; d < kMaxDevices; ++d) {
      const std::uint64_t held = mine.used[d].load();
      const std::uint64_t expected =
          held >= vslice::kLedgerFrozen ? vslice::kLedgerFrozen - 1 : held;
      if (region.used(d) != expected)
        Fail(kTarget, "after a reap the ledger is not the live slot's");
    }
  }
  region.ReleaseSlot(slot);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<std::uint8_t> valid = ValidRegion();
  static const std::string path = vslice::fuzz::ScratchPath("region");
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  ++data;
  --size;

  vslice::fuzz::CheckValidate(kTarget, &vslice::PodRegion::Validate, alignof(vslice::RegionHeader),
                              data, size);
  char error[512] = {};

  vslice::fuzz::Patches input(data, size);
  const std::vector<std::uint8_t> file =
      vslice::fuzz::FileForMode(mode, data, size, valid, input);
  vslice::fuzz::WriteAll(path, file.data(), file.size());

  vslice::PodRegion region;
  std::uint64_t quota[vslice::kMaxDevices];
  for (auto& q : quota) q = input.Word();
  const bool create = (mode & 4) != 0 || mode % 4 == 3;
  const bool ok = create ? region.Open(path.c_str(), quota, error, sizeof error)
                         : region.OpenExisting(path.c_str(), error, sizeof error);
  if (!ok) {
    if (error[0] == '\0') Fail(kTarget, "a refused file without a reason");
    if (mode % 4 == 3) Fail(kTarget, "an empty file was not created as a region");
    return 0;
  }
  if (!vslice::PodRegion::Validate(region.layout(), kBytes, error, sizeof error)) {
    Fail(kTarget, "an opened region does not validate");
  }
  // Garbage in a region just created (behind its header).
  if (mode % 4 == 3) {
    vslice::fuzz::PatchBehindHeader(input, region.layout(), kBytes,
                                    sizeof(vslice::RegionHeader));
  }
  CheckValues(*region.layout());
  Use(region, input);
  CheckValues(*region.layout());
  return 0;
}
