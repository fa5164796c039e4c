#include "hami/register_codec.h"

#include "hami/fields.h"

#include <nlohmann/json.hpp>

namespace vslice::hami {
namespace {

bool ReadInt(const nlohmann::json& object, const char* key, std::int64_t lo, std::int64_t hi,
             std::int64_t* out, std::string* error) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    *out = 0;
    return true;
  }
  if (!it->is_number_integer() || it->get<std::int64_t>() < lo || it->get<std::int64_t>() > hi) {
    *error = std::string("\"") + key + "\" is " + it->dump() + ", expected a whole number in [" +
             std::to_string(lo) + ", " + std::to_string(hi) + "]";
    return false;
  }
  *out = it->get<std::int64_t>();
  return true;
}

bool ReadString(const nlohmann::json& object, const char* key, std::string* out, std::string* error) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return true;
  if (!it->is_string()) {
    *error = std::string("\"") + key + "\" is not a string";
    return false;
  }
  *out = it->get<std::string>();
  return true;
}

bool DecodeJson(std::string_view text, std::vector<RegisteredDevice>* devices, std::string* error) {
  nlohmann::json list = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (list.is_discarded() || !list.is_array()) {
    *error = "not a JSON list of devices";
    return false;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const nlohmann::json& item = list[i];
    std::string why;
    RegisteredDevice d;
    std::int64_t index = 0, count = 0, devmem = 0, devcore = 0, numa = 0;
    bool ok = item.is_object() && ReadString(item, "id", &d.id, &why) &&
              ReadInt(item, "index", 0, 1 << 20, &index, &why) &&
              ReadInt(item, "count", 0, 1 << 20, &count, &why) &&
              ReadInt(item, "devmem", 0, std::int64_t{1} << 40, &devmem, &why) &&
              ReadInt(item, "devcore", 0, 1 << 20, &devcore, &why) &&
              ReadString(item, "type", &d.type, &why) &&
              ReadInt(item, "numa", -1, 1 << 20, &numa, &why) && ReadString(item, "mode", &d.mode, &why);
    if (ok && item.contains("health") && !item["health"].is_null()) {
      ok = item["health"].is_boolean();
      if (ok) d.health = item["health"].get<bool>();
      else why = "\"health\" is not true or false";
    }
    if (ok && d.id.empty()) {
      ok = false;
      why = "no \"id\"";
    }
    if (!ok) {
      *error = "device " + std::to_string(i) + ": " + (why.empty() ? "not a JSON object" : why);
      return false;
    }
    if (d.mode.empty()) d.mode = "hami-core";
    d.index = static_cast<int>(index);
    d.count = static_cast<int>(count);
    d.devmem_mib = devmem;
    d.devcore = static_cast<int>(devcore);
    d.numa = static_cast<int>(numa);
    devices->push_back(std::move(d));
  }
  return true;
}

// "id,count,devmem,devcore,type,numa,health[,index,mode]:" per device.
bool DecodeLegacy(std::string_view text, std::vector<RegisteredDevice>* devices, std::string* error) {
  int n = 0;
  for (std::string_view record : SplitFields(text, ':')) {
    if (record.empty()) continue;
    std::vector<std::string_view> f = SplitFields(record, ',');
    std::int64_t count, devmem, devcore, numa, index = 0;
    const bool ok = (f.size() == 7 || f.size() == 9) && ParseWholeInt(f[1], &count) && ParseWholeInt(f[2], &devmem) &&
                    ParseWholeInt(f[3], &devcore) && ParseWholeInt(f[5], &numa) && (f[6] == "true" || f[6] == "false") &&
                    (f.size() == 7 || ParseWholeInt(f[7], &index)) && count >= 0 && devmem >= 0 && devcore >= 0 &&
                    index >= 0 && !f[0].empty();
    if (!ok) {
      *error = "device " + std::to_string(n) +
               ": expected \"id,count,devmem,devcore,type,numa,health[,index,mode]\"";
      return false;
    }
    RegisteredDevice d;
    d.id = f[0];
    d.count = static_cast<int>(count);
    d.devmem_mib = devmem;
    d.devcore = static_cast<int>(devcore);
    d.type = f[4];
    d.numa = static_cast<int>(numa);
    d.health = f[6] == "true";
    d.index = static_cast<int>(index);
    if (f.size() == 9 && !f[8].empty()) d.mode = f[8];
    devices->push_back(std::move(d));
    ++n;
  }
  if (n == 0) {
    *error = "no device in the list";
    return false;
  }
  return true;
}

}  // namespace

bool DecodeRegisterAnnotation(std::string_view text, std::vector<RegisteredDevice>* devices,
                              std::string* error) {
  devices->clear();
  std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    *error = "empty";
    return false;
  }
  return text[first] == '[' ? DecodeJson(text, devices, error) : DecodeLegacy(text, devices, error);
}

std::string EncodeRegisterAnnotation(const std::vector<RegisteredDevice>& devices) {
  // Byte for byte what Go's encoding/json makes of HAMi's DeviceInfo: its
  // field order, zero values left out (omitempty).
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const RegisteredDevice& d : devices) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    if (!d.id.empty()) j["id"] = d.id;
    if (d.index != 0) j["index"] = d.index;
    if (d.count != 0) j["count"] = d.count;
    if (d.devmem_mib != 0) j["devmem"] = d.devmem_mib;
    if (d.devcore != 0) j["devcore"] = d.devcore;
    if (!d.type.empty()) j["type"] = d.type;
    if (d.numa != 0) j["numa"] = d.numa;
    if (!d.mode.empty()) j["mode"] = d.mode;
    if (d.health) j["health"] = true;
    list.push_back(std::move(j));
  }
  return list.dump();
}

}  // namespace vslice::hami
