// Simulated driver: device memory. Nothing here touches real memory: an
// allocation charges the shared device counter (exactly the bytes requested,
// or pitch*height, or the array footprint) and returns a fresh fake address.
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "common/sim_clock.h"
#include "cuda/cuda_state.h"
#include "cuda/sim_cuda_exports.h"

namespace vslice::sim::cudasim {
namespace {

// Charges `charge` bytes on `device` and records a live allocation of
// `size` bytes. With Globals::mu held.
CUresult AllocLocked(Ctx* ctx, int device, std::uint64_t size, std::uint64_t charge,
                     AllocKind kind, std::shared_ptr<Pool> pool, CUdeviceptr* out) {
  Globals& g = G();
  if (device >= 0) {
    if (const CUresult r = ChargeLocked(device, charge); r != CUDA_SUCCESS) return r;
  }
  CUdeviceptr ptr = 0;
  if (kind == AllocKind::kLegacy32) {
    const std::uint64_t span = RoundUp(size, kDeviceAlignment);
    if (span > kLegacyVaEnd - g.legacy_va_next) {
      if (device >= 0) UnchargeLocked(device, charge);
      return CUDA_ERROR_OUT_OF_MEMORY;
    }
    ptr = g.legacy_va_next;
    g.legacy_va_next += span;
  } else {
    ptr = g.shared.ReserveAddressRange(size, kDeviceAlignment);
    if (ptr == 0) {
      if (device >= 0) UnchargeLocked(device, charge);
      return CUDA_ERROR_OUT_OF_MEMORY;
    }
  }
  if (pool) {
    pool->used += size;
    if (pool->used > pool->used_high) pool->used_high = pool->used;
  }
  Alloc a;
  a.size = size;
  a.charged = device >= 0 ? charge : 0;
  a.device = device;
  a.ctx = ctx;
  a.kind = kind;
  a.pool = std::move(pool);
  g.allocs.emplace(ptr, std::move(a));
  *out = ptr;
  return CUDA_SUCCESS;
}

void EraseAllocLocked(std::map<CUdeviceptr, Alloc>::iterator it) {
  Alloc& a = it->second;
  if (a.device >= 0) UnchargeLocked(a.device, a.charged);
  if (a.pool) a.pool->used -= std::min(a.pool->used, a.size);
  G().allocs.erase(it);
}

CUresult AllocImpl(CUdeviceptr* dptr, std::uint64_t size, AllocKind kind) {
  SIM_CHECK_INIT();
  if (dptr == nullptr || size == 0) return CUDA_ERROR_INVALID_VALUE;
  Ctx* c = nullptr;
  if (const CUresult r = CurrentContext(&c); r != CUDA_SUCCESS) return r;
  if (const CUresult r = CheckUnsafeCall(); r != CUDA_SUCCESS) return r;  // synchronous
  std::lock_guard<std::mutex> lock(G().mu);
  return AllocLocked(c, c->device, size, size, kind, nullptr, dptr);
}

CUresult FreeImpl(CUdeviceptr dptr) {
  SIM_CHECK_INIT();
  Ctx* c = nullptr;
  if (const CUresult r = CurrentContext(&c); r != CUDA_SUCCESS) return r;
  Globals& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  auto it = g.allocs.find(dptr);
  if (it == g.allocs.end()) return CUDA_ERROR_INVALID_VALUE;
  EraseAllocLocked(it);
  return CUDA_SUCCESS;
}

CUresult MemInfo(std::uint64_t* free_bytes, std::uint64_t* total_bytes) {
  SIM_CHECK_INIT();
  Ctx* c = nullptr;
  if (const CUresult r = CurrentContext(&c); r != CUDA_SUCCESS) return r;
  SharedState& s = G().shared;
  s.ReclaimDead();
  const std::uint64_t total = s.Total(c->device);
  const std::uint64_t used = s.Used(c->device);
  *total_bytes = total;
  *free_bytes = total - std::min(total, used);
  return CUDA_SUCCESS;
}

// ---- Stream-ordered allocator ----

std::shared_ptr<Pool> FindPoolLocked(CUmemoryPool handle) {
  Globals& g = G();
  auto it = g.pools.find(handle);
  return it == g.pools.end() ? nullptr : it->second;
}

CUresult AllocAsyncImpl(CUdeviceptr* dptr, std::size_t size, CUmemoryPool pool_handle,
                        bool explicit_pool, CUstream stream, bool per_thread) {
  SIM_CHECK_INIT();
  if (dptr == nullptr || size == 0) return CUDA_ERROR_INVALID_VALUE;
  std::shared_ptr<Stream> s;
  if (const CUresult r = ResolveStream(stream, per_thread, &s); r != CUDA_SUCCESS) return r;
  Globals& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  std::shared_ptr<Pool> pool =
      FindPoolLocked(explicit_pool ? pool_handle : g.current_pool[s->ctx->device]);
  if (!pool) return CUDA_ERROR_INVALID_VALUE;
  return AllocLocked(s->ctx, pool->device, size, size, AllocKind::kAsync, pool, dptr);
}

CUresult FreeAsyncImpl(CUdeviceptr dptr, CUstream stream, bool per_thread) {
  SIM_CHECK_INIT();
  std::shared_ptr<Stream> s;
  if (const CUresult r = ResolveStream(stream, per_thread, &s); r != CUDA_SUCCESS) return r;
  Globals& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  auto it = g.allocs.find(dptr);
  if (it == g.allocs.end()) return CUDA_ERROR_INVALID_VALUE;
  EraseAllocLocked(it);  // returned at once (see docs/SIMULATOR.md)
  return CUDA_SUCCESS;
}

// ---- Arrays ----

std::uint64_t FormatBytes(unsigned format) {
  switch (format) {
    case CU_AD_FORMAT_UNSIGNED_INT8:
    case CU_AD_FORMAT_SIGNED_INT8: return 1;
    case CU_AD_FORMAT_UNSIGNED_INT16:
    case CU_AD_FORMAT_SIGNED_INT16:
    case CU_AD_FORMAT_HALF: return 2;
    case CU_AD_FORMAT_UNSIGNED_INT32:
    case CU_AD_FORMAT_SIGNED_INT32:
    case CU_AD_FORMAT_FLOAT: return 4;
    default: return 0;
  }
}

// Footprint of one array level; 0 when the description is invalid or absurd.
std::uint64_t ArrayBytes(std::uint64_t w, std::uint64_t h, std::uint64_t d, unsigned format,
                         unsigned channels) {
  const std::uint64_t element = FormatBytes(format);
  if (w == 0 || element == 0 || (channels != 1 && channels != 2 && channels != 4)) return 0;
  std::uint64_t bytes = element * channels;
  for (std::uint64_t dim : {w, h == 0 ? 1 : h, d == 0 ? 1 : d}) {
    if (__builtin_mul_overflow(bytes, dim, &bytes)) return 0;
  }
  return bytes;
}

CUresult CreateArrayLocked(std::uint64_t bytes, Ctx* c, std::unique_ptr<ArrayRec>* out) {
  if (const CUresult r = ChargeLocked(c->device, bytes); r != CUDA_SUCCESS) return r;
  auto rec = std::make_unique<ArrayRec>();
  rec->bytes = bytes;
  rec->device = c->device;
  rec->ctx = c;
  *out = std::move(rec);
  return CUDA_SUCCESS;
}

CUresult Array3DBytes(const CUDA_ARRAY3D_DESCRIPTOR* desc, std::uint64_t* bytes) {
  if (desc->Flags & CUDA_ARRAY3D_CUBEMAP) {
    const bool layered = desc->Flags & CUDA_ARRAY3D_LAYERED;
    if (desc->Width != desc->Height || desc->Depth == 0 ||
        (layered ? desc->Depth % 6 != 0 : desc->Depth != 6)) {
      return CUDA_ERROR_INVALID_VALUE;
    }
  }
  *bytes = ArrayBytes(desc->Width, desc->Height, desc->Depth, desc->Format, desc->NumChannels);
  return *bytes == 0 ? CUDA_ERROR_INVALID_VALUE : CUDA_SUCCESS;
}

// ---- Copies ----

// Where a pointer given to a unified-addressing copy points.
enum class PtrKind { kHost, kDevice, kInvalid };

PtrKind ClassifyLocked(CUdeviceptr p, std::uint64_t n) {
  if (LiveDeviceRangeLocked(p, n)) return PtrKind::kDevice;
  const std::uint64_t lo = kDeviceVaBase;
  const std::uint64_t hi = G().shared.AddressHighWater();
  if (p >= lo && p < hi) return PtrKind::kInvalid;  // a device address not (fully) live
  return p == 0 ? PtrKind::kInvalid : PtrKind::kHost;
}

// Synchronous copies wait for the work already queued in the stream they are
// ordered with (legacy stream, or the per-thread stream for _ptds).
CUresult WaitForStreamOrder(bool per_thread) {
  std::shared_ptr<Stream> s;
  if (const CUresult r = ResolveStream(nullptr, per_thread, &s); r != CUDA_SUCCESS) return r;
  SleepUntilNs(StreamCompletion(*s));
  return CUDA_SUCCESS;
}

enum class Side { kUnified, kHost, kDevice };

PtrKind ResolveSideLocked(CUdeviceptr p, Side side, std::uint64_t n) {
  switch (side) {
    case Side::kHost: return p != 0 ? PtrKind::kHost : PtrKind::kInvalid;
    case Side::kDevice: return LiveDeviceRangeLocked(p, n) ? PtrKind::kDevice : PtrKind::kInvalid;
    case Side::kUnified: break;
  }
  return ClassifyLocked(p, n);
}

// Validates a copy (no data moves). `synchronous` copies that touch host
// memory return only after the work queued before them has completed.
CUresult CopyImpl(CUdeviceptr dst, Side dst_side, CUdeviceptr src, Side src_side, std::size_t n,
                  bool synchronous, bool per_thread, CUstream stream) {
  SIM_CHECK_INIT();
  Ctx* c = nullptr;
  if (const CUresult r = CurrentContext(&c); r != CUDA_SUCCESS) return r;
  if (!synchronous) {
    std::shared_ptr<Stream> s;
    if (const CUresult r = ResolveStream(stream, per_thread, &s); r != CUDA_SUCCESS) return r;
  }
  if (n == 0) return CUDA_SUCCESS;
  PtrKind dk = PtrKind::kInvalid;
  PtrKind sk = PtrKind::kInvalid;
  {
    std::lock_guard<std::mutex> lock(G().mu);
    dk = ResolveSideLocked(dst, dst_side, n);
    sk = ResolveSideLocked(src, src_side, n);
  }
  if (dk == PtrKind::kInvalid || sk == PtrKind::kInvalid) return CUDA_ERROR_INVALID_VALUE;
  // Device-to-device copies never block the host.
  if (synchronous && !(dk == PtrKind::kDevice && sk == PtrKind::kDevice)) {
    return WaitForStreamOrder(per_thread);
  }
  return CUDA_SUCCESS;
}

CUresult MemsetImpl(CUdeviceptr dst, std::uint64_t bytes, std::uint64_t alignment) {
  SIM_CHECK_INIT();
  Ctx* c = nullptr;
  if (const CUresult r = CurrentContext(&c); r != CUDA_SUCCESS) return r;
  if (dst % alignment != 0) return CUDA_ERROR_INVALID_VALUE;
  if (bytes == 0) return CUDA_SUCCESS;
  std::lock_guard<std::mutex> lock(G().mu);
  return LiveDeviceRangeLocked(dst, bytes) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

CUresult HostAllocImpl(void** pp, std::size_t size, unsigned flags) {
  SIM_CHECK_INIT();
  if (pp == nullptr || size == 0) return CUDA_ERROR_INVALID_VALUE;
  if ((flags & ~(CU_MEMHOSTALLOC_PORTABLE | CU_MEMHOSTALLOC_DEVICEMAP |
                 CU_MEMHOSTALLOC_WRITECOMBINED)) != 0) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  Ctx* c = nullptr;
  if (const CUresult r = CurrentContext(&c); r != CUDA_SUCCESS) return r;
  void* p = nullptr;
  if (posix_memalign(&p, 4096, size) != 0 || p == nullptr) return CUDA_ERROR_OUT_OF_MEMORY;
  std::lock_guard<std::mutex> lock(G().mu);
  G().host_allocs.insert(p);
  *pp = p;
  return CUDA_SUCCESS;
}

void DropMappingLocked(std::map<CUdeviceptr, Mapping>::iterator it) {
  Globals& g = G();
  auto ph = g.phys.find(it->second.handle);
  if (ph != g.phys.end()) {
    --ph->second.mappings;
    if (ph->second.released && ph->second.mappings == 0) {
      if (ph->second.device >= 0) UnchargeLocked(ph->second.device, ph->second.size);
      g.phys.erase(ph);
    }
  }
  g.mappings.erase(it);
}

bool ValidLocation(const CUmemLocation& loc, int* device) {
  switch (loc.type) {
    case CU_MEM_LOCATION_TYPE_DEVICE:
      if (CheckDevice(loc.id) != CUDA_SUCCESS) return false;
      *device = loc.id;
      return true;
    case CU_MEM_LOCATION_TYPE_HOST:
    case CU_MEM_LOCATION_TYPE_HOST_NUMA:
    case CU_MEM_LOCATION_TYPE_HOST_NUMA_CURRENT:
      *device = -1;
      return true;
    default:
      return false;
  }
}

}  // namespace

namespace {

// [p, p+n) inside one live allocation.
bool AllocatedRangeLocked(CUdeviceptr p, std::uint64_t n) {
  Globals& g = G();
  auto a = g.allocs.upper_bound(p);
  if (a == g.allocs.begin()) return false;
  --a;
  const std::uint64_t off = p - a->first;
  return off < a->second.size && n <= a->second.size - off;
}

// [p, p+n) covered by virtual-memory mappings (possibly several adjacent ones).
bool MappedRangeLocked(CUdeviceptr p, std::uint64_t n) {
  Globals& g = G();
  auto m = g.mappings.upper_bound(p);
  if (m == g.mappings.begin()) return false;
  --m;
  if (p - m->first >= m->second.size) return false;
  std::uint64_t end = m->first + m->second.size;
  const std::uint64_t want = p + n;
  for (auto next = std::next(m); end < want && next != g.mappings.end() && next->first == end;
       ++next) {
    end += next->second.size;
  }
  return want <= end;
}

}  // namespace

bool LiveDeviceRangeLocked(CUdeviceptr p, std::uint64_t n) {
  if (n == 0 || p + n < p) return false;
  return AllocatedRangeLocked(p, n) || MappedRangeLocked(p, n);
}

void ReleaseContextResourcesLocked(Ctx* ctx) {
  Globals& g = G();
  for (auto it = g.allocs.begin(); it != g.allocs.end();) {
    auto cur = it++;
    if (cur->second.ctx == ctx) EraseAllocLocked(cur);
  }
  for (auto it = g.arrays.begin(); it != g.arrays.end();) {
    if (it->second->ctx == ctx) {
      UnchargeLocked(it->second->device, it->second->bytes);
      it = g.arrays.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = g.mipmaps.begin(); it != g.mipmaps.end();) {
    if (it->second->ctx == ctx) {
      UnchargeLocked(it->second->device, it->second->bytes);
      it = g.mipmaps.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace vslice::sim::cudasim

namespace vslice::cuda {
using namespace vslice::sim::cudasim;  // NOLINT
using vslice::sim::MonoNs;
using vslice::sim::SleepUntilNs;

extern "C" {

// ---- Information ----

CUresult cuMemGetInfo_v2(std::size_t* free, std::size_t* total) {
  if (free == nullptr || total == nullptr) return CUDA_ERROR_INVALID_VALUE;
  std::uint64_t f = 0, t = 0;
  const CUresult r = MemInfo(&f, &t);
  if (r == CUDA_SUCCESS) {
    *free = f;
    *total = t;
  }
  return r;
}

CUresult cuMemGetInfo(unsigned int* free, unsigned int* total) {
  if (free == nullptr || total == nullptr) return CUDA_ERROR_INVALID_VALUE;
  std::uint64_t f = 0, t = 0;
  const CUresult r = MemInfo(&f, &t);
  if (r == CUDA_SUCCESS) {
    *free = f > UINT32_MAX ? UINT32_MAX : static_cast<unsigned>(f);
    *total = t > UINT32_MAX ? UINT32_MAX : static_cast<unsigned>(t);
  }
  return r;
}

CUresult cuMemGetAddressRange_v2(CUdeviceptr* pbase, std::size_t* psize, CUdeviceptr dptr) {
  SIM_CHECK_INIT();
  Ctx* c = nullptr;
  if (const CUresult r = CurrentContext(&c); r != CUDA_SUCCESS) return r;
  Globals& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  auto a = g.allocs.upper_bound(dptr);
  if (a != g.allocs.begin() && dptr - std::prev(a)->first < std::prev(a)->second.size) {
    --a;
    if (pbase) *pbase = a->first;
    if (psize) *psize = a->second.size;
    return CUDA_SUCCESS;
  }
  auto m = g.mappings.upper_bound(dptr);
  if (m != g.mappings.begin() && dptr - std::prev(m)->first < std::prev(m)->second.size) {
    --m;
    if (pbase) *pbase = m->first;
    if (psize) *psize = m->second.size;
    return CUDA_SUCCESS;
  }
  return CUDA_ERROR_NOT_FOUND;
}

// ---- Classic allocations ----

CUresult cuMemAlloc_v2(CUdeviceptr* dptr, std::size_t bytesize) {
  return AllocImpl(dptr, bytesize, AllocKind::kDevice);
}

CUresult cuMemAlloc(CUdeviceptr_v1* dptr, unsigned int bytesize) {
  if (dptr == nullptr) return CUDA_ERROR_INVALID_VALUE;
  CUdeviceptr p = 0;
  const CUresult r = AllocImpl(&p, bytesize, AllocKind::kLegacy32);
  if (r == CUDA_SUCCESS) *dptr = static_cast<CUdeviceptr_v1>(p);
  return r;
}

CUresult cuMemFree_v2(CUdeviceptr dptr) { return FreeImpl(dptr); }
CUresult cuMemFree(CUdeviceptr_v1 dptr) { return FreeImpl(dptr); }

CUresult cuMemAllocPitch_v2(CUdeviceptr* dptr, std::size_t* pPitch, std::size_t WidthInBytes,
                            std::size_t Height, unsigned ElementSizeBytes) {
  SIM_CHECK_INIT();
  if (dptr == nullptr || pPitch == nullptr || WidthInBytes == 0 || Height == 0 ||
      (ElementSizeBytes != 4 && ElementSizeBytes != 8 && ElementSizeBytes != 16)) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  Ctx* c = nullptr;
  if (const CUresult r = CurrentContext(&c); r != CUDA_SUCCESS) return r;
  if (const CUresult r = CheckUnsafeCall(); r != CUDA_SUCCESS) return r;  // synchronous
  const std::uint64_t pitch = RoundUp(WidthInBytes, kPitchAlignment);
  std::uint64_t bytes = 0;
  if (pitch < WidthInBytes || __builtin_mul_overflow(pitch, Height, &bytes)) {
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  std::lock_guard<std::mutex> lock(G().mu);
  const CUresult r = AllocLocked(c, c->device, bytes, bytes, AllocKind::kPitch, nullptr, dptr);
  if (r == CUDA_SUCCESS) *pPitch = pitch;
  return r;
}

CUresult cuMemAllocManaged(CUdeviceptr* dptr, std::size_t bytesize, unsigned flags) {
  if (flags != CU_MEM_ATTACH_GLOBAL && flags != CU_MEM_ATTACH_HOST) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  return AllocImpl(dptr, bytesize, AllocKind::kManaged);
}

// ---- Stream-ordered allocator ----

CUresult cuMemAllocAsync(CUdeviceptr* dptr, std::size_t bytesize, CUstream hStream) {
  return AllocAsyncImpl(dptr, bytesize, nullptr, false, hStream, false);
}
CUresult cuMemAllocAsync_ptsz(CUdeviceptr* dptr, std::size_t bytesize, CUstream hStream) {
  return AllocAsyncImpl(dptr, bytesize, nullptr, false, hStream, true);
}
CUresult cuMemAllocFromPoolAsync(CUdeviceptr* dptr, std::size_t bytesize, CUmemoryPool pool,
                                 CUstream hStream) {
  return AllocAsyncImpl(dptr, bytesize, pool, true, hStream, false);
}
CUresult cuMemAllocFromPoolAsync_ptsz(CUdeviceptr* dptr, std::size_t bytesize,
                                      CUmemoryPool pool, CUstream hStream) {
  return AllocAsyncImpl(dptr, bytesize, pool, true, hStream, true);
}
CUresult cuMemFreeAsync(CUdeviceptr dptr, CUstream hStream) {
  return FreeAsyncImpl(dptr, hStream, false);
}
CUresult cuMemFreeAsync_ptsz(CUdeviceptr dptr, CUstream hStream) {
  return FreeAsyncImpl(dptr, hStream, true);
}

CUresult cuMemPoolCreate(CUmemoryPool* pool, const CUmemPoolProps* poolProps) {
  SIM_CHECK_INIT();
  if (pool == nullptr || poolProps == nullptr ||
      poolProps->allocType != CU_MEM_ALLOCATION_TYPE_PINNED) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  int device = -1;
  if (!ValidLocation(poolProps->location, &device)) return CUDA_ERROR_INVALID_VALUE;
  auto p = std::make_shared<Pool>();
  p->device = device;
  CUmemoryPool handle = Handle<CUmemPoolHandle_st>(p.get());
  std::lock_guard<std::mutex> lock(G().mu);
  G().pools.emplace(handle, std::move(p));
  *pool = handle;
  return CUDA_SUCCESS;
}

CUresult cuMemPoolDestroy(CUmemoryPool pool) {
  SIM_CHECK_INIT();
  Globals& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  auto it = g.pools.find(pool);
  if (it == g.pools.end() || it->second->is_default) return CUDA_ERROR_INVALID_VALUE;
  it->second->destroyed = true;  // outstanding allocations keep it alive
  for (int d = 0; d < g.device_count; ++d) {
    if (g.current_pool[d] == pool) g.current_pool[d] = g.default_pool[d];
  }
  g.pools.erase(it);
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetDefaultMemPool(CUmemoryPool* pool_out, CUdevice dev) {
  SIM_CHECK_INIT();
  if (pool_out == nullptr) return CUDA_ERROR_INVALID_VALUE;
  if (const CUresult r = CheckDevice(dev); r != CUDA_SUCCESS) return r;
  std::lock_guard<std::mutex> lock(G().mu);
  *pool_out = G().default_pool[dev];
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetMemPool(CUmemoryPool* pool, CUdevice dev) {
  SIM_CHECK_INIT();
  if (pool == nullptr) return CUDA_ERROR_INVALID_VALUE;
  if (const CUresult r = CheckDevice(dev); r != CUDA_SUCCESS) return r;
  std::lock_guard<std::mutex> lock(G().mu);
  *pool = G().current_pool[dev];
  return CUDA_SUCCESS;
}

CUresult cuDeviceSetMemPool(CUdevice dev, CUmemoryPool pool) {
  SIM_CHECK_INIT();
  if (const CUresult r = CheckDevice(dev); r != CUDA_SUCCESS) return r;
  std::lock_guard<std::mutex> lock(G().mu);
  std::shared_ptr<Pool> p = FindPoolLocked(pool);
  if (!p || p->device != dev) return CUDA_ERROR_INVALID_VALUE;
  G().current_pool[dev] = pool;
  return CUDA_SUCCESS;
}

CUresult cuMemPoolTrimTo(CUmemoryPool pool, std::size_t minBytesToKeep) {
  SIM_CHECK_INIT();
  (void)minBytesToKeep;  // freed pool memory is returned at once: nothing to trim
  std::lock_guard<std::mutex> lock(G().mu);
  return FindPoolLocked(pool) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

CUresult cuMemPoolSetAttribute(CUmemoryPool pool, CUmemPool_attribute attr, void* value) {
  SIM_CHECK_INIT();
  if (value == nullptr) return CUDA_ERROR_INVALID_VALUE;
  std::lock_guard<std::mutex> lock(G().mu);
  std::shared_ptr<Pool> p = FindPoolLocked(pool);
  if (!p) return CUDA_ERROR_INVALID_VALUE;
  switch (attr) {
    case CU_MEMPOOL_ATTR_REUSE_FOLLOW_EVENT_DEPENDENCIES:
    case CU_MEMPOOL_ATTR_REUSE_ALLOW_OPPORTUNISTIC:
    case CU_MEMPOOL_ATTR_REUSE_ALLOW_INTERNAL_DEPENDENCIES:
      p->reuse[attr - 1] = *static_cast<int*>(value);
      return CUDA_SUCCESS;
    case CU_MEMPOOL_ATTR_RELEASE_THRESHOLD:
      p->release_threshold = *static_cast<cuuint64_t*>(value);
      return CUDA_SUCCESS;
    case CU_MEMPOOL_ATTR_RESERVED_MEM_HIGH:
    case CU_MEMPOOL_ATTR_USED_MEM_HIGH:
      if (*static_cast<cuuint64_t*>(value) != 0) return CUDA_ERROR_INVALID_VALUE;
      p->used_high = p->used;  // the only allowed write: reset to current
      return CUDA_SUCCESS;
    default:
      return CUDA_ERROR_INVALID_VALUE;
  }
}

CUresult cuMemPoolGetAttribute(CUmemoryPool pool, CUmemPool_attribute attr, void* value) {
  SIM_CHECK_INIT();
  if (value == nullptr) return CUDA_ERROR_INVALID_VALUE;
  std::lock_guard<std::mutex> lock(G().mu);
  std::shared_ptr<Pool> p = FindPoolLocked(pool);
  if (!p) return CUDA_ERROR_INVALID_VALUE;
  switch (attr) {
    case CU_MEMPOOL_ATTR_REUSE_FOLLOW_EVENT_DEPENDENCIES:
    case CU_MEMPOOL_ATTR_REUSE_ALLOW_OPPORTUNISTIC:
    case CU_MEMPOOL_ATTR_REUSE_ALLOW_INTERNAL_DEPENDENCIES:
      *static_cast<int*>(value) = p->reuse[attr - 1];
      return CUDA_SUCCESS;
    case CU_MEMPOOL_ATTR_RELEASE_THRESHOLD:
      *static_cast<cuuint64_t*>(value) = p->release_threshold;
      return CUDA_SUCCESS;
    // Freed memory goes straight back to the device, so reserved == used.
    case CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT:
    case CU_MEMPOOL_ATTR_USED_MEM_CURRENT:
      *static_cast<cuuint64_t*>(value) = p->used;
      return CUDA_SUCCESS;
    case CU_MEMPOOL_ATTR_RESERVED_MEM_HIGH:
    case CU_MEMPOOL_ATTR_USED_MEM_HIGH:
      *static_cast<cuuint64_t*>(value) = p->used_high;
      return CUDA_SUCCESS;
    default:
      return CUDA_ERROR_INVALID_VALUE;
  }
}

// ---- Virtual memory management ----

CUresult cuMemGetAllocationGranularity(std::size_t* granularity, const CUmemAllocationProp* prop,
                                       CUmemAllocationGranularity_flags option) {
  SIM_CHECK_INIT();
  if (granularity == nullptr || prop == nullptr ||
      (option != CU_MEM_ALLOC_GRANULARITY_MINIMUM &&
       option != CU_MEM_ALLOC_GRANULARITY_RECOMMENDED)) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  int device = -1;
  if (!ValidLocation(prop->location, &device)) return CUDA_ERROR_INVALID_VALUE;
  *granularity = kVmmGranularity;
  return CUDA_SUCCESS;
}

CUresult cuMemCreate(CUmemGenericAllocationHandle* handle, std::size_t size,
                     const CUmemAllocationProp* prop, unsigned long long flags) {
  SIM_CHECK_INIT();
  if (handle == nullptr || prop == nullptr || flags != 0 || size == 0 ||
      size % kVmmGranularity != 0 || prop->type != CU_MEM_ALLOCATION_TYPE_PINNED) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  int device = -1;
  if (!ValidLocation(prop->location, &device)) {
    return prop->location.type == CU_MEM_LOCATION_TYPE_DEVICE ? CUDA_ERROR_INVALID_DEVICE
                                                               : CUDA_ERROR_INVALID_VALUE;
  }
  Globals& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  if (device >= 0) {
    if (const CUresult r = ChargeLocked(device, size); r != CUDA_SUCCESS) return r;
  }
  const std::uint64_t id = g.next_phys++;
  PhysAlloc pa;
  pa.size = size;
  pa.device = device;
  g.phys.emplace(id, pa);
  *handle = id;
  return CUDA_SUCCESS;
}

CUresult cuMemRelease(CUmemGenericAllocationHandle handle) {
  SIM_CHECK_INIT();
  Globals& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  auto it = g.phys.find(handle);
  if (it == g.phys.end() || it->second.released) return CUDA_ERROR_INVALID_VALUE;
  it->second.released = true;
  if (it->second.mappings == 0) {  // else freed when the last mapping goes
    if (it->second.device >= 0) UnchargeLocked(it->second.device, it->second.size);
    g.phys.erase(it);
  }
  return CUDA_SUCCESS;
}

CUresult cuMemAddressReserve(CUdeviceptr* ptr, std::size_t size, std::size_t alignment,
                             CUdeviceptr addr, unsigned long long flags) {
  SIM_CHECK_INIT();
  (void)addr;  // a hint; never honoured
  if (ptr == nullptr || size == 0 || flags != 0 || (alignment & (alignment - 1)) != 0) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  Globals& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  const CUdeviceptr va =
      g.shared.ReserveAddressRange(size, std::max<std::uint64_t>(alignment, kVmmGranularity));
  if (va == 0) return CUDA_ERROR_OUT_OF_MEMORY;
  g.reservations.emplace(va, size);
  *ptr = va;
  return CUDA_SUCCESS;
}

CUresult cuMemAddressFree(CUdeviceptr ptr, std::size_t size) {
  SIM_CHECK_INIT();
  Globals& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  auto it = g.reservations.find(ptr);
  if (it == g.reservations.end() || it->second != size) return CUDA_ERROR_INVALID_VALUE;
  // Mappings left inside go with the reservation.
  for (auto m = g.mappings.lower_bound(ptr); m != g.mappings.end() && m->first < ptr + size;) {
    auto cur = m++;
    DropMappingLocked(cur);
  }
  g.reservations.erase(it);
  return CUDA_SUCCESS;
}

CUresult cuMemMap(CUdeviceptr ptr, std::size_t size, std::size_t offset,
                  CUmemGenericAllocationHandle handle, unsigned long long flags) {
  SIM_CHECK_INIT();
  if (size == 0 || flags != 0) return CUDA_ERROR_INVALID_VALUE;
  Globals& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  auto ph = g.phys.find(handle);
  if (ph == g.phys.end() || ph->second.released || offset > ph->second.size ||
      size > ph->second.size - offset) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  // Inside one reservation...
  auto r = g.reservations.upper_bound(ptr);
  if (r == g.reservations.begin()) return CUDA_ERROR_INVALID_VALUE;
  --r;
  if (ptr - r->first >= r->second || size > r->second - (ptr - r->first)) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  // ...and not over another mapping.
  auto next = g.mappings.lower_bound(ptr);
  if (next != g.mappings.end() && next->first < ptr + size) return CUDA_ERROR_INVALID_VALUE;
  if (next != g.mappings.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second.size > ptr) return CUDA_ERROR_INVALID_VALUE;
  }
  g.mappings.emplace(ptr, Mapping{size, handle});
  ++ph->second.mappings;
  return CUDA_SUCCESS;
}

CUresult cuMemUnmap(CUdeviceptr ptr, std::size_t size) {
  SIM_CHECK_INIT();
  if (size == 0) return CUDA_ERROR_INVALID_VALUE;
  Globals& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  auto first = g.mappings.find(ptr);
  if (first == g.mappings.end()) return CUDA_ERROR_INVALID_VALUE;
  // The range must consist of whole mappings.
  std::uint64_t covered = 0;
  auto it = first;
  for (; it != g.mappings.end() && it->first < ptr + size; ++it) {
    if (it->first + it->second.size > ptr + size) return CUDA_ERROR_INVALID_VALUE;
    covered = it->first + it->second.size - ptr;
  }
  (void)covered;
  for (auto m = first; m != it;) {
    auto cur = m++;
    DropMappingLocked(cur);
  }
  return CUDA_SUCCESS;
}

CUresult cuMemSetAccess(CUdeviceptr ptr, std::size_t size, const CUmemAccessDesc* desc,
                        std::size_t count) {
  SIM_CHECK_INIT();
  if (desc == nullptr || count == 0 || size == 0) return CUDA_ERROR_INVALID_VALUE;
  for (std::size_t i = 0; i < count; ++i) {
    int device = -1;
    if (!ValidLocation(desc[i].location, &device)) return CUDA_ERROR_INVALID_VALUE;
  }
  std::lock_guard<std::mutex> lock(G().mu);
  return MappedRangeLocked(ptr, size) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

// ---- Arrays ----

CUresult cuArrayCreate_v2(CUarray* pHandle, const CUDA_ARRAY_DESCRIPTOR* pAllocateArray) {
  SIM_CHECK_INIT();
  if (pHandle == nullptr || pAllocateArray == nullptr) return CUDA_ERROR_INVALID_VALUE;
  const std::uint64_t bytes = ArrayBytes(pAllocateArray->Width, pAllocateArray->Height, 1,
                                         pAllocateArray->Format, pAllocateArray->NumChannels);
  if (bytes == 0) return CUDA_ERROR_INVALID_VALUE;
  Ctx* c = nullptr;
  if (const CUresult r = CurrentContext(&c); r != CUDA_SUCCESS) return r;
  std::lock_guard<std::mutex> lock(G().mu);
  std::unique_ptr<ArrayRec> rec;
  if (const CUresult r = CreateArrayLocked(bytes, c, &rec); r != CUDA_SUCCESS) return r;
  CUarray h = Handle<CUarray_st>(rec.get());
  G().arrays.emplace(h, std::move(rec));
  *pHandle = h;
  return CUDA_SUCCESS;
}

CUresult cuArray3DCreate_v2(CUarray* pHandle, const CUDA_ARRAY3D_DESCRIPTOR* pAllocateArray) {
  SIM_CHECK_INIT();
  if (pHandle == nullptr || pAllocateArray == nullptr) return CUDA_ERROR_INVALID_VALUE;
  std::uint64_t bytes = 0;
  if (const CUresult r = Array3DBytes(pAllocateArray, &bytes); r != CUDA_SUCCESS) return r;
  Ctx* c = nullptr;
  if (const CUresult r = CurrentContext(&c); r != CUDA_SUCCESS) return r;
  std::lock_guard<std::mutex> lock(G().mu);
  std::unique_ptr<ArrayRec> rec;
  if (const CUresult r = CreateArrayLocked(bytes, c, &rec); r != CUDA_SUCCESS) return r;
  CUarray h = Handle<CUarray_st>(rec.get());
  G().arrays.emplace(h, std::move(rec));
  *pHandle = h;
  return CUDA_SUCCESS;
}

CUresult cuArrayDestroy(CUarray hArray) {
  SIM_CHECK_INIT();
  Globals& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  auto it = g.arrays.find(hArray);
  if (it == g.arrays.end()) return CUDA_ERROR_INVALID_HANDLE;
  UnchargeLocked(it->second->device, it->second->bytes);
  g.arrays.erase(it);
  return CUDA_SUCCESS;
}

CUresult cuMipmappedArrayCreate(CUmipmappedArray* pHandle,
                                const CUDA_ARRAY3D_DESCRIPTOR* pMipmappedArrayDesc,
                                unsigned numMipmapLevels) {
  SIM_CHECK_INIT();
  if (pHandle == nullptr || pMipmappedArrayDesc == nullptr) return CUDA_ERROR_INVALID_VALUE;
  const CUDA_ARRAY3D_DESCRIPTOR& d = *pMipmappedArrayDesc;
  std::uint64_t level0 = 0;
  if (const CUresult r = Array3DBytes(&d, &level0); r != CUDA_SUCCESS) return r;
  // Layers (layered arrays, cube faces) do not shrink with the level.
  const bool layers = d.Flags & (CUDA_ARRAY3D_LAYERED | CUDA_ARRAY3D_CUBEMAP);
  const std::uint64_t shrinking_depth = layers ? 0 : d.Depth;
  const std::uint64_t largest = std::max<std::uint64_t>({d.Width, d.Height, shrinking_depth});
  unsigned max_levels = 1;
  while ((largest >> max_levels) != 0) ++max_levels;
  const unsigned levels = std::clamp(numMipmapLevels, 1u, max_levels);
  std::uint64_t bytes = 0;
  for (unsigned l = 0; l < levels; ++l) {
    auto shrink = [l](std::uint64_t v) -> std::uint64_t {
      return v == 0 ? 0 : std::max<std::uint64_t>(1, v >> l);
    };
    const std::uint64_t level = ArrayBytes(shrink(d.Width), shrink(d.Height),
                                           layers ? d.Depth : shrink(d.Depth), d.Format,
                                           d.NumChannels);
    if (level == 0 || __builtin_add_overflow(bytes, level, &bytes)) {
      return CUDA_ERROR_INVALID_VALUE;
    }
  }
  Ctx* c = nullptr;
  if (const CUresult r = CurrentContext(&c); r != CUDA_SUCCESS) return r;
  std::lock_guard<std::mutex> lock(G().mu);
  std::unique_ptr<ArrayRec> rec;
  if (const CUresult r = CreateArrayLocked(bytes, c, &rec); r != CUDA_SUCCESS) return r;
  CUmipmappedArray h = Handle<CUmipmappedArray_st>(rec.get());
  G().mipmaps.emplace(h, std::move(rec));
  *pHandle = h;
  return CUDA_SUCCESS;
}

CUresult cuMipmappedArrayDestroy(CUmipmappedArray hMipmappedArray) {
  SIM_CHECK_INIT();
  Globals& g = G();
  std::lock_guard<std::mutex> lock(g.mu);
  auto it = g.mipmaps.find(hMipmappedArray);
  if (it == g.mipmaps.end()) return CUDA_ERROR_INVALID_HANDLE;
  UnchargeLocked(it->second->device, it->second->bytes);
  g.mipmaps.erase(it);
  return CUDA_SUCCESS;
}

// ---- Copies and sets: validated, no data moves ----

CUresult cuMemcpy(CUdeviceptr dst, CUdeviceptr src, std::size_t ByteCount) {
  return CopyImpl(dst, Side::kUnified, src, Side::kUnified, ByteCount, true, false, nullptr);
}
CUresult cuMemcpy_ptds(CUdeviceptr dst, CUdeviceptr src, std::size_t ByteCount) {
  return CopyImpl(dst, Side::kUnified, src, Side::kUnified, ByteCount, true, true, nullptr);
}
CUresult cuMemcpyHtoD_v2(CUdeviceptr dstDevice, const void* srcHost, std::size_t ByteCount) {
  return CopyImpl(dstDevice, Side::kDevice, reinterpret_cast<CUdeviceptr>(srcHost), Side::kHost, ByteCount,
                  true, false, nullptr);
}
CUresult cuMemcpyHtoD_v2_ptds(CUdeviceptr dstDevice, const void* srcHost,
                              std::size_t ByteCount) {
  return CopyImpl(dstDevice, Side::kDevice, reinterpret_cast<CUdeviceptr>(srcHost), Side::kHost, ByteCount,
                  true, true, nullptr);
}
CUresult cuMemcpyDtoH_v2(void* dstHost, CUdeviceptr srcDevice, std::size_t ByteCount) {
  return CopyImpl(reinterpret_cast<CUdeviceptr>(dstHost), Side::kHost, srcDevice, Side::kDevice, ByteCount,
                  true, false, nullptr);
}
CUresult cuMemcpyDtoH_v2_ptds(void* dstHost, CUdeviceptr srcDevice, std::size_t ByteCount) {
  return CopyImpl(reinterpret_cast<CUdeviceptr>(dstHost), Side::kHost, srcDevice, Side::kDevice, ByteCount,
                  true, true, nullptr);
}
CUresult cuMemcpyDtoD_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice, std::size_t ByteCount) {
  return CopyImpl(dstDevice, Side::kDevice, srcDevice, Side::kDevice, ByteCount, true, false, nullptr);
}
CUresult cuMemcpyDtoD_v2_ptds(CUdeviceptr dstDevice, CUdeviceptr srcDevice,
                              std::size_t ByteCount) {
  return CopyImpl(dstDevice, Side::kDevice, srcDevice, Side::kDevice, ByteCount, true, false, nullptr);
}
CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, std::size_t ByteCount,
                       CUstream hStream) {
  return CopyImpl(dst, Side::kUnified, src, Side::kUnified, ByteCount, false, false, hStream);
}
CUresult cuMemcpyAsync_ptsz(CUdeviceptr dst, CUdeviceptr src, std::size_t ByteCount,
                            CUstream hStream) {
  return CopyImpl(dst, Side::kUnified, src, Side::kUnified, ByteCount, false, true, hStream);
}
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dstDevice, const void* srcHost, std::size_t ByteCount,
                              CUstream hStream) {
  return CopyImpl(dstDevice, Side::kDevice, reinterpret_cast<CUdeviceptr>(srcHost), Side::kHost, ByteCount,
                  false, false, hStream);
}
CUresult cuMemcpyHtoDAsync_v2_ptsz(CUdeviceptr dstDevice, const void* srcHost,
                                   std::size_t ByteCount, CUstream hStream) {
  return CopyImpl(dstDevice, Side::kDevice, reinterpret_cast<CUdeviceptr>(srcHost), Side::kHost, ByteCount,
                  false, true, hStream);
}
CUresult cuMemcpyDtoHAsync_v2(void* dstHost, CUdeviceptr srcDevice, std::size_t ByteCount,
                              CUstream hStream) {
  return CopyImpl(reinterpret_cast<CUdeviceptr>(dstHost), Side::kHost, srcDevice, Side::kDevice, ByteCount,
                  false, false, hStream);
}
CUresult cuMemcpyDtoHAsync_v2_ptsz(void* dstHost, CUdeviceptr srcDevice, std::size_t ByteCount,
                                   CUstream hStream) {
  return CopyImpl(reinterpret_cast<CUdeviceptr>(dstHost), Side::kHost, srcDevice, Side::kDevice, ByteCount,
                  false, true, hStream);
}
CUresult cuMemsetD8_v2(CUdeviceptr dstDevice, unsigned char uc, std::size_t N) {
  (void)uc;
  return MemsetImpl(dstDevice, N, 1);
}
CUresult cuMemsetD8_v2_ptds(CUdeviceptr dstDevice, unsigned char uc, std::size_t N) {
  (void)uc;
  return MemsetImpl(dstDevice, N, 1);
}
CUresult cuMemsetD32_v2(CUdeviceptr dstDevice, unsigned int ui, std::size_t N) {
  (void)ui;
  if (N > (UINT64_MAX >> 2)) return CUDA_ERROR_INVALID_VALUE;
  return MemsetImpl(dstDevice, N * 4, 4);
}
CUresult cuMemsetD32_v2_ptds(CUdeviceptr dstDevice, unsigned int ui, std::size_t N) {
  (void)ui;
  if (N > (UINT64_MAX >> 2)) return CUDA_ERROR_INVALID_VALUE;
  return MemsetImpl(dstDevice, N * 4, 4);
}

// ---- Page-locked host memory: plain host memory, no device charge ----

CUresult cuMemHostAlloc(void** pp, std::size_t bytesize, unsigned Flags) {
  return HostAllocImpl(pp, bytesize, Flags);
}
CUresult cuMemAllocHost_v2(void** pp, std::size_t bytesize) {
  return HostAllocImpl(pp, bytesize, 0);
}
CUresult cuMemFreeHost(void* p) {
  SIM_CHECK_INIT();
  Globals& g = G();
  {
    std::lock_guard<std::mutex> lock(g.mu);
    if (g.host_allocs.erase(p) == 0) return CUDA_ERROR_INVALID_VALUE;
  }
  std::free(p);
  return CUDA_SUCCESS;
}

}  // extern "C"
}  // namespace vslice::cuda
