#include "core/allocation_table.h"

#include <sys/mman.h>

#include <cstring>

namespace vslice {
namespace {

constexpr std::uint64_t kBytesMask = (1ull << 56) - 1;

std::uint64_t Pack(AllocationRecord r) {
  const std::uint64_t device = r.device < 0 ? 0 : static_cast<std::uint64_t>(r.device + 1) & 0xff;
  return (r.bytes & kBytesMask) | (device << 56);
}

AllocationRecord Unpack(std::uint64_t v) {
  return AllocationRecord{v & kBytesMask, static_cast<int>(v >> 56) - 1};
}

}  // namespace

AllocationTable::Cell* AllocationTable::cells() {
  Cell* c = cells_.load(std::memory_order_acquire);
  if (c != nullptr) return c;
  // One mapping for the life of the process, made on the first allocation
  // and populated at once: a page touched for the first time later would be
  // a page fault on the allocation path. Racing threads may both map: one
  // wins.
  void* map = mmap(nullptr, capacity() * sizeof(Cell), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (map == MAP_FAILED) return nullptr;
  Cell* expected = nullptr;
  if (!cells_.compare_exchange_strong(expected, static_cast<Cell*>(map))) {
    munmap(map, capacity() * sizeof(Cell));
    return expected;
  }
  return static_cast<Cell*>(map);
}

std::size_t AllocationTable::Home(std::uint64_t key) const {
  // Fibonacci hashing: device addresses share their low bits, so mix first.
  return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> (64 - capacity_log2_));
}

bool AllocationTable::Insert(std::uint64_t key, AllocationRecord record) {
  if (key <= kTombstone) {
    Cell& side = reserved_keys_[key];
    side.value.store(Pack(record), std::memory_order_relaxed);
    side.context.store(record.context, std::memory_order_relaxed);
    side.key.store(1, std::memory_order_release);
    return true;
  }
  Cell* table = cells();
  if (table == nullptr) return false;
  const std::size_t mask = capacity() - 1;
  std::size_t i = Home(key);
  for (std::size_t probe = 0; probe < capacity(); ++probe, i = (i + 1) & mask) {
    std::uint64_t seen = table[i].key.load(std::memory_order_relaxed);
    while (seen == kEmpty || seen == kTombstone) {
      if (table[i].key.compare_exchange_weak(seen, key, std::memory_order_relaxed)) {
        table[i].context.store(record.context, std::memory_order_relaxed);
        table[i].value.store(Pack(record), std::memory_order_release);
        return true;
      }
    }
  }
  return false;
}

bool AllocationTable::Erase(std::uint64_t key, AllocationRecord* record) {
  if (key <= kTombstone) {
    Cell& side = reserved_keys_[key];
    if (side.key.exchange(0, std::memory_order_acq_rel) != 1) return false;
    if (record) {
      *record = Unpack(side.value.load(std::memory_order_acquire));
      record->context = side.context.load(std::memory_order_relaxed);
    }
    return true;
  }
  Cell* table = cells_.load(std::memory_order_acquire);
  if (table == nullptr) return false;
  const std::size_t mask = capacity() - 1;
  std::size_t i = Home(key);
  for (std::size_t probe = 0; probe < capacity(); ++probe, i = (i + 1) & mask) {
    const std::uint64_t seen = table[i].key.load(std::memory_order_acquire);
    if (seen == kEmpty) return false;
    if (seen != key) continue;
    const std::uint64_t value = table[i].value.load(std::memory_order_acquire);
    const std::uint64_t context = table[i].context.load(std::memory_order_relaxed);
    std::uint64_t expected = key;
    // Two threads freeing the same handle: only one gets its bytes back.
    if (!table[i].key.compare_exchange_strong(expected, kTombstone, std::memory_order_acq_rel)) {
      return false;
    }
    if (record) {
      *record = Unpack(value);
      record->context = context;
    }
    return true;
  }
  return false;
}

void AllocationTable::EraseContext(std::uint64_t context, std::uint64_t (&bytes_per_device)[256]) {
  // `present` is the cell's key; `erased` what marks the cell free again.
  auto take = [&](Cell& cell, std::uint64_t present, std::uint64_t erased) {
    if (cell.context.load(std::memory_order_relaxed) != context) return;
    const AllocationRecord r = Unpack(cell.value.load(std::memory_order_acquire));
    if (!cell.key.compare_exchange_strong(present, erased, std::memory_order_acq_rel)) return;
    if (r.device >= 0) bytes_per_device[r.device] += r.bytes;
  };
  for (Cell& side : reserved_keys_) {
    if (side.key.load(std::memory_order_acquire) == 1) take(side, 1, 0);
  }
  Cell* table = cells_.load(std::memory_order_acquire);
  if (table == nullptr) return;
  for (std::size_t i = 0; i < capacity(); ++i) {
    const std::uint64_t key = table[i].key.load(std::memory_order_acquire);
    if (key > kTombstone) take(table[i], key, kTombstone);
  }
}

void AllocationTable::Clear() {
  Cell* table = cells_.load(std::memory_order_acquire);
  if (table != nullptr) madvise(table, capacity() * sizeof(Cell), MADV_DONTNEED);
  for (Cell& side : reserved_keys_) side.key.store(0);
}

}  // namespace vslice
