// Memory queries report the pod's quota as the device's memory: total is the
// quota, free is the quota less what the whole pod holds, and neither is ever
// more than the runtime reports (a kind of memory the hardware lacks stays at
// 0, and free never exceeds what the device really has free).
//
// Every kind of memory is clamped (HBM, DDR, huge, normal, P2P): they are all
// device memory the pod's allocations come out of. Clamping is idempotent, so
// aclrtGetMemInfo calling rtMemGetInfoEx underneath is harmless.
#include <algorithm>

#include "ascend/charge.h"
#include "ascend/entry_points.h"
#include "ascend/wrappers.h"

using namespace vslice::ascend;

namespace {

void ClampToQuota(std::size_t* free_bytes, std::size_t* total_bytes) {
  vslice::QuotaClient* quota = vslice::QuotaClient::Get();
  if (quota == nullptr || free_bytes == nullptr || total_bytes == nullptr) return;
  const auto view = quota->View(CurrentDevice());
  if (!view.limited) return;
  const std::uint64_t total = std::min<std::uint64_t>(view.quota, *total_bytes);
  const std::uint64_t free = total > view.used ? total - view.used : 0;
  *total_bytes = total;
  *free_bytes = std::min<std::uint64_t>(free, *free_bytes);
}

}  // namespace

extern "C" {

rtError_t rtMemGetInfoEx(rtMemInfoType_t type, std::size_t* free_bytes,
                         std::size_t* total_bytes) {
  auto real = Real<rtMemGetInfoEx_t>(Entry::rtMemGetInfoEx);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  const rtError_t result = real(type, free_bytes, total_bytes);
  if (result == ACL_SUCCESS) ClampToQuota(free_bytes, total_bytes);
  return result;
}

rtError_t rtMemGetInfo(std::size_t* free_bytes, std::size_t* total_bytes) {
  auto real = Real<rtMemGetInfo_t>(Entry::rtMemGetInfo);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  const rtError_t result = real(free_bytes, total_bytes);
  if (result == ACL_SUCCESS) ClampToQuota(free_bytes, total_bytes);
  return result;
}

aclError aclrtGetMemInfo(aclrtMemAttr attr, std::size_t* free_bytes, std::size_t* total_bytes) {
  auto real = Real<aclrtGetMemInfo_t>(Entry::aclrtGetMemInfo);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  const aclError result = real(attr, free_bytes, total_bytes);
  if (result == ACL_SUCCESS) ClampToQuota(free_bytes, total_bytes);
  return result;
}

}  // extern "C"
