// NVML memory queries (nvidia-smi, PyTorch, vLLM) report the pod's quota as
// the device's memory, like cuMemGetInfo. NVML numbers devices differently
// from CUDA (it ignores CUDA_VISIBLE_DEVICES), so the NVML device is mapped
// to the CUDA ordinal its quota was set for through its UUID, which the
// pod's CUDA processes record in the region.
#include <algorithm>
#include <cstdint>

#include "core/quota_client.h"
#include "cuda/entry_points.h"
#include "cuda/wrappers.h"

using namespace vslice::cuda;
using namespace vslice::nvml;

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (any prefix before the
// first '-', dashes anywhere) into 16 bytes.
bool ParseUuid(const char* text, std::uint8_t (&out)[16]) {
  const char* p = text;
  while (*p != '\0' && *p != '-') ++p;
  if (*p == '\0') return false;
  int nibbles = 0;
  for (++p; *p != '\0' && nibbles < 32; ++p) {
    if (*p == '-') continue;
    const int v = HexDigit(*p);
    if (v < 0) return false;
    out[nibbles / 2] = static_cast<std::uint8_t>((nibbles % 2 == 0) ? v << 4 : out[nibbles / 2] | v);
    ++nibbles;
  }
  return nibbles == 32;
}

// The CUDA ordinal of an NVML device, or -1.
int CudaOrdinal(vslice::QuotaClient& quota, nvmlDevice_t device) {
  if (auto get_uuid = Real<nvmlDeviceGetUUID_t>(Entry::nvmlDeviceGetUUID)) {
    char text[NVML_DEVICE_UUID_V2_BUFFER_SIZE] = {};
    std::uint8_t uuid[16];
    if (get_uuid(device, text, sizeof text) == NVML_SUCCESS && ParseUuid(text, uuid)) {
      const int ordinal = quota.DeviceWithUuid(uuid);
      if (ordinal >= 0) return ordinal;
    }
  }
  // No CUDA process of the pod has recorded this device yet: fall back to
  // the NVML index, which is the CUDA ordinal when all devices are visible.
  unsigned index = 0;
  auto get_index = Real<nvmlDeviceGetIndex_t>(Entry::nvmlDeviceGetIndex);
  if (get_index == nullptr || get_index(device, &index) != NVML_SUCCESS) return -1;
  return static_cast<int>(index);
}

// Rewrites total/used/free for the pod; false when the device is not limited.
bool PodMemory(nvmlDevice_t device, unsigned long long* total, unsigned long long* used,
               unsigned long long* free) {
  vslice::QuotaClient* quota = vslice::QuotaClient::Get();
  if (quota == nullptr || !quota->enforcing()) return false;
  const auto view = quota->View(CudaOrdinal(*quota, device));
  if (!view.limited) return false;
  *total = std::min<unsigned long long>(view.quota, *total);
  *used = std::min<unsigned long long>(view.used, *total);
  *free = std::min<unsigned long long>(*total - *used, *free);
  return true;
}

}  // namespace

extern "C" {

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t* memory) {
  auto real = Real<nvmlDeviceGetMemoryInfo_t>(Entry::nvmlDeviceGetMemoryInfo);
  if (real == nullptr) return NVML_ERROR_UNINITIALIZED;
  const nvmlReturn_t result = real(device, memory);
  if (result == NVML_SUCCESS && memory != nullptr) {
    PodMemory(device, &memory->total, &memory->used, &memory->free);
  }
  return result;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device, nvmlMemory_v2_t* memory) {
  auto real = Real<nvmlDeviceGetMemoryInfo_v2_t>(Entry::nvmlDeviceGetMemoryInfo_v2);
  if (real == nullptr) return NVML_ERROR_UNINITIALIZED;
  const nvmlReturn_t result = real(device, memory);
  if (result == NVML_SUCCESS && memory != nullptr &&
      PodMemory(device, &memory->total, &memory->used, &memory->free)) {
    // The driver's reservation is part of the card, not of the pod.
    memory->reserved = 0;
  }
  return result;
}

}  // extern "C"
