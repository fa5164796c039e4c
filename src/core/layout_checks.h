// What a reader may show of a pod region or a node registry.
//
// Every process of a pod writes its region, and every pod of a node the
// registry, so either file can hold garbage behind a header that validates
// (PodRegion::Validate and NodeRegistry::Validate check the header only).
// Before anything shows a value from one of them (vslice status and top, the
// limiter's metrics), the file is checked against what vslice's writers can
// write: one table per layout in layout_checks.cc, one row per field (its
// name, how it is read, its range and why). A value out of range comes back
// as one line naming the field, the value and the range; the caller names the
// file, and shows nothing from it.
//
// A field added to a layout gets its row in that table; nothing else changes.
// Values can change between the check and a later read: a reader checks each
// reading it shows, so garbage written in between shows up at the next one.
#ifndef VSLICE_CORE_LAYOUT_CHECKS_H_
#define VSLICE_CORE_LAYOUT_CHECKS_H_

#include <cstddef>
#include <cstdint>

#include "core/region_layout.h"
#include "core/registry_layout.h"

namespace vslice {

// True when every value the region's table lists is in range; otherwise
// false with one line in `error`, e.g. "gates[3].weight is 1504018833,
// expected 0..1000 (0 until a limiter sets it, then 1..1000)". Times may not
// lie more than a day after `now_unix_ns`, and no counter may have grown
// faster than its row allows since the file was created.
bool CheckRegionValues(const RegionLayout& layout, std::uint64_t now_unix_ns, char* error,
                       std::size_t error_size);

// The same for the node registry.
bool CheckRegistryValues(const RegistryLayout& layout, std::uint64_t now_unix_ns, char* error,
                         std::size_t error_size);

}  // namespace vslice

#endif  // VSLICE_CORE_LAYOUT_CHECKS_H_
