// The node lock hami.io/mutex.lock: "<time>,<namespace>,<pod>" with the time
// in RFC 3339 ("2026-12-04T20:34:09Z" or with an offset, "+08:00"), set on
// the node by whoever binds a GPU pod there and removed by the node agent
// once it has allocated the pod (or by the binder when binding failed).
// HAMi's older form, a bare time, is read too (no owner).
// HAMi: pkg/util/nodelock/nodelock.go.
#ifndef VSLICE_HAMI_NODE_LOCK_H_
#define VSLICE_HAMI_NODE_LOCK_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace vslice::hami {

struct NodeLock {
  std::int64_t unix_seconds = 0;
  std::string pod_namespace;  // empty in the old form
  std::string pod_name;
  std::string time = {};  // as written (decoding only)
};

std::string EncodeNodeLock(const NodeLock& lock);  // time in UTC, "Z"
bool DecodeNodeLock(std::string_view text, NodeLock* lock, std::string* error);

// RFC 3339 time to unix seconds (fractions dropped) and back (UTC).
bool ParseRfc3339(std::string_view text, std::int64_t* unix_seconds);
std::string FormatRfc3339(std::int64_t unix_seconds);

}  // namespace vslice::hami

#endif  // VSLICE_HAMI_NODE_LOCK_H_
