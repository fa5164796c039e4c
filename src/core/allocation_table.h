// AllocationTable: what each live allocation of this process was charged.
//
// The free routes (cuMemFree, cuMemRelease, cuArrayDestroy...) get only a
// handle back, so the interceptor remembers, per handle, how many bytes it
// charged to which device. Lookups sit on the allocation and free paths, which
// must not lock, allocate or make system calls: this is a lock-free
// open-addressing hash table over storage mapped once, lazily, at first use
// (untouched pages cost nothing).
//
// Keys are unique while live (a driver never hands out the same handle twice
// before it is freed), which is what makes the simple protocol below safe:
// insert claims an empty or deleted cell with one compare-and-swap on the key,
// erase turns the key into a tombstone.
#ifndef VSLICE_CORE_ALLOCATION_TABLE_H_
#define VSLICE_CORE_ALLOCATION_TABLE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace vslice {

struct AllocationRecord {
  std::uint64_t bytes = 0;
  int device = -1;
  // The driver context the allocation belongs to (opaque), or 0 when it
  // belongs to the process: destroying a context frees its allocations.
  std::uint64_t context = 0;
};

class AllocationTable {
 public:
  // `capacity_log2` cells (24 bytes each) are reserved on first use.
  explicit constexpr AllocationTable(int capacity_log2) : capacity_log2_(capacity_log2) {}
  AllocationTable(const AllocationTable&) = delete;
  AllocationTable& operator=(const AllocationTable&) = delete;

  // Records `key`. Returns false when the table is full (or could not be
  // mapped); the caller then refuses the allocation rather than lose track.
  bool Insert(std::uint64_t key, AllocationRecord record);
  // Removes `key` and returns what it was charged; false when unknown (an
  // allocation made before vslice was loaded, or by a route it did not see).
  bool Erase(std::uint64_t key, AllocationRecord* record);
  // Forgets everything (a forked child inherits its parent's table).
  void Clear();
  // Erases every record whose context is `context` and returns the bytes
  // they were charged per device (the driver freed them with the context).
  // Scans the table: for context teardown, not for hot paths.
  void EraseContext(std::uint64_t context, std::uint64_t (&bytes_per_device)[256]);

  std::size_t capacity() const { return std::size_t{1} << capacity_log2_; }

 private:
  struct Cell {
    std::atomic<std::uint64_t> key;
    // bytes in the low 56 bits, device + 1 in the top 8 (0 = no device).
    std::atomic<std::uint64_t> value;
    std::atomic<std::uint64_t> context;
  };
  static constexpr std::uint64_t kEmpty = 0;
  static constexpr std::uint64_t kTombstone = 1;

  Cell* cells();
  std::size_t Home(std::uint64_t key) const;

  int capacity_log2_;
  std::atomic<Cell*> cells_{nullptr};
  // Keys 0 and 1 mark empty and deleted cells, so they live here instead;
  // `key` is 1 while present.
  Cell reserved_keys_[2] = {};
};

}  // namespace vslice

#endif  // VSLICE_CORE_ALLOCATION_TABLE_H_
