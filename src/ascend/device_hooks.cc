// Device selection: where vslice learns the identity of the devices a process
// uses (devices.h), so that the limiters of all pods arbitrate each physical
// NPU through the node registry, whatever number each pod gives it.
//
// aclrtSetDevice calls rtSetDevice underneath; both are wrapped (an
// application may call either, and AscendCL may reach the runtime by another
// entry point), and the identity is recorded once per process and device.
#include <atomic>
#include <cstring>

#include "ascend/charge.h"
#include "ascend/devices.h"
#include "ascend/entry_points.h"
#include "ascend/wrappers.h"
#include "core/compute_gate.h"
#include "core/log.h"
#include "core/region_layout.h"

using namespace vslice::ascend;

namespace vslice::ascend {
namespace {

// Per device: 0 not yet recorded, 1 being recorded, 2 done (or given up).
constinit std::atomic<std::uint8_t> g_recorded[kMaxDevices] = {};
constinit std::atomic<bool> g_warned{false};

constexpr char kPhysicalPrefix[12] = {'v', 's', 'l', 'i', 'c', 'e', 'N', 'P', 'U', 'p', 'h', 'y'};

}  // namespace

bool DeviceIdentity(int device, std::uint8_t (&uuid)[16]) {
  if (auto get_uuid = Real<rtGetDeviceUuid_t>(Entry::rtGetDeviceUuid)) {
    rtUuid_t id{};
    if (get_uuid(device, &id) == ACL_SUCCESS) {
      std::memcpy(uuid, id.bytes, sizeof uuid);
      for (std::uint8_t b : uuid) {
        if (b != 0) return true;
      }
    }
  }
  // Older runtimes, or a driver without the UUID feature (ACL_ERROR_RT_
  // FEATURE_NOT_SUPPORT): the chip's physical id, unique on the node. The
  // application's device number is a user id; the runtime maps it to a logical
  // id (ASCEND_RT_VISIBLE_DEVICES), and the logical id to the physical chip.
  auto physical = Real<rtGetDevicePhyIdByIndex_t>(Entry::rtGetDevicePhyIdByIndex);
  if (physical == nullptr) return false;
  std::int32_t logic = device;
  if (auto to_logic = Real<rtGetLogicDevIdByUserDevId_t>(Entry::rtGetLogicDevIdByUserDevId)) {
    std::int32_t l = -1;
    if (to_logic(device, &l) == ACL_SUCCESS && l >= 0) logic = l;
  }
  std::uint32_t id = 0;
  if (physical(static_cast<std::uint32_t>(logic), &id) != ACL_SUCCESS) return false;
  std::memcpy(uuid, kPhysicalPrefix, sizeof kPhysicalPrefix);
  uuid[12] = static_cast<std::uint8_t>(id >> 24);
  uuid[13] = static_cast<std::uint8_t>(id >> 16);
  uuid[14] = static_cast<std::uint8_t>(id >> 8);
  uuid[15] = static_cast<std::uint8_t>(id);
  return true;
}

void RecordDeviceIdentity(int device) {
  if (device < 0 || device >= kMaxDevices) return;
  std::atomic<std::uint8_t>& state = g_recorded[device];
  if (state.load(std::memory_order_acquire) == 2) return;
  QuotaClient* quota = QuotaClient::Get();
  if (quota == nullptr) return;  // initialising on this thread: next time
  std::uint8_t expected = 0;
  if (!state.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) return;
  if (quota->enforcing()) {
    std::uint8_t uuid[16] = {};
    if (DeviceIdentity(device, uuid)) {
      quota->RecordDeviceUuid(device, uuid);
    } else if (!g_warned.exchange(true)) {
      Log(LogLevel::kWarning,
          "the runtime names no identity for device %d (no rtGetDeviceUuid, no "
          "rtGetDevicePhyIdByIndex): other pods on the node cannot arbitrate it with this one",
          device);
    }
  }
  state.store(2, std::memory_order_release);
}

}  // namespace vslice::ascend

extern "C" {

rtError_t rtSetDevice(std::int32_t device) {
  auto real = Real<rtSetDevice_t>(Entry::rtSetDevice);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  const rtError_t result = real(device);
  if (result == ACL_SUCCESS) RecordDeviceIdentity(device);
  return result;
}

aclError aclrtSetDevice(std::int32_t device) {
  auto real = Real<aclrtSetDevice_t>(Entry::aclrtSetDevice);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  const aclError result = real(device);
  if (result == ACL_SUCCESS) RecordDeviceIdentity(device);
  return result;
}

// Resetting a device destroys its context and the events in it, the
// compute gate's queue markers among them: they are retired first.
rtError_t rtDeviceReset(std::int32_t device) {
  auto real = Real<rtDeviceReset_t>(Entry::rtDeviceReset);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  vslice::ComputeGate::RetireMarkers(nullptr, device);
  return real(device);
}

aclError aclrtResetDevice(std::int32_t device) {
  auto real = Real<aclrtResetDevice_t>(Entry::aclrtResetDevice);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  vslice::ComputeGate::RetireMarkers(nullptr, device);
  return real(device);
}

}  // extern "C"
