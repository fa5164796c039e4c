// Kubernetes resource quantities ("3000", "2Gi", "1.5k", "500m", 1e3) as
// whole numbers, the way a resource.Quantity's Value() reads them: a
// fraction is rounded up. A pod spec carries them as strings; a JSON number
// is accepted too.
#ifndef VSLICE_HAMI_QUANTITY_H_
#define VSLICE_HAMI_QUANTITY_H_

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace vslice::hami {

// Parses `text` into *value. On failure returns false and sets *error to
// what was wrong ("not a number", "unknown suffix 'x'", "negative",
// "too large").
bool ParseQuantity(std::string_view text, std::int64_t* value, std::string* error);
// A string or integer JSON value.
bool ParseQuantityJson(const nlohmann::json& value, std::int64_t* out, std::string* error);

// A pod spec container's quantity for `resource`: its limit, else its
// request; nullptr when it asks for none.
const nlohmann::json* ContainerResource(const nlohmann::json& container, std::string_view resource);

}  // namespace vslice::hami

#endif  // VSLICE_HAMI_QUANTITY_H_
