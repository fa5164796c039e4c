#include "device_plugin/hami_protocol.h"

#include <charconv>
#include <cstdint>

#include <nlohmann/json.hpp>

namespace vslice::dp {
namespace {

std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == sep) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

bool ParseInt64(std::string_view text, std::int64_t* out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

// Quoted and clipped for messages: annotation values are untrusted.
std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text.substr(0, 60)) {
    out += (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e || c == '"') ? '?' : c;
  }
  return out + (text.size() > 60 ? "...\"" : "\"");
}

}  // namespace

std::vector<RegisteredDevice> RegisteredDevices(const std::vector<PhysicalDevice>& devices,
                                                const PluginConfig& config) {
  std::vector<RegisteredDevice> out;
  for (const PhysicalDevice& d : devices) {
    RegisteredDevice r;
    r.id = d.uuid;
    r.index = d.index;
    r.count = config.split_count;
    const double mib = static_cast<double>(d.memory_bytes / (1024 * 1024));
    r.devmem = static_cast<int>(mib * config.memory_scaling);
    r.devcore = static_cast<int>(config.core_scaling * 100);
    if (config.vendor == Vendor::kNvidia) {
      r.type = d.model.rfind("NVIDIA", 0) == 0 ? d.model : "NVIDIA-" + d.model;
      r.mode = kHamiCoreMode;
    } else {
      r.type = config.names.common_word;
    }
    r.numa = d.numa;
    r.health = d.healthy;
    out.push_back(r);
  }
  return out;
}

std::string EncodeNodeRegister(const std::vector<RegisteredDevice>& devices) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const RegisteredDevice& d : devices) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    // HAMi's DeviceInfo field order; omitempty drops zero values.
    if (!d.id.empty()) j["id"] = d.id;
    if (d.index != 0) j["index"] = d.index;
    if (d.count != 0) j["count"] = d.count;
    if (d.devmem != 0) j["devmem"] = d.devmem;
    if (d.devcore != 0) j["devcore"] = d.devcore;
    if (!d.type.empty()) j["type"] = d.type;
    if (d.numa != 0) j["numa"] = d.numa;
    if (!d.mode.empty()) j["mode"] = d.mode;
    if (d.health) j["health"] = true;
    list.push_back(std::move(j));
  }
  return list.dump();
}

bool DecodeNodeRegister(std::string_view text, std::vector<RegisteredDevice>* out, std::string* error) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_array()) {
    *error = "node register annotation " + Quote(text) + " is not a JSON list of devices";
    return false;
  }
  out->clear();
  for (const nlohmann::json& d : j) {
    if (!d.is_object()) {
      *error = "node register annotation has an entry that is not an object";
      return false;
    }
    RegisteredDevice r;
    r.id = d.value("id", "");
    r.index = d.value("index", 0);
    r.count = d.value("count", 0);
    r.devmem = d.value("devmem", 0);
    r.devcore = d.value("devcore", 0);
    r.type = d.value("type", "");
    r.numa = d.value("numa", 0);
    r.mode = d.value("mode", "");
    r.health = d.value("health", false);
    out->push_back(r);
  }
  return true;
}

std::string HandshakeValue(std::time_t now) {
  std::tm tm{};
  localtime_r(&now, &tm);
  char text[64];
  std::strftime(text, sizeof text, "Reported_%Y.%m.%d %H:%M:%S", &tm);
  return text;
}

bool DecodePodDevices(std::string_view text, PodDevices* out, std::string* error) {
  out->clear();
  if (text.empty()) return true;
  std::vector<std::string_view> containers = Split(text, ';');
  // "a:;b:;" ends with ';': the last, empty piece is not a container.
  if (!containers.empty() && containers.back().empty()) containers.pop_back();
  for (std::string_view container : containers) {
    ContainerDevices devices;
    for (std::string_view device : Split(container, ':')) {
      if (device.empty()) continue;
      const std::vector<std::string_view> f = Split(device, ',');
      ContainerDevice d;
      if (f.size() < 4 || f[0].empty() || !ParseInt64(f[2], &d.memory_mib) ||
          !ParseInt64(f[3], &d.cores) || d.memory_mib < 0 || d.cores < 0) {
        *error = "device entry " + Quote(device) +
                 " is not UUID,TYPE,MEMORY_MIB,CORES (as HAMi's scheduler writes it)";
        return false;
      }
      d.uuid = f[0];
      d.type = f[1];
      devices.push_back(d);
    }
    out->push_back(devices);
  }
  return true;
}

std::string EncodePodDevices(const PodDevices& devices) {
  std::string out;
  for (const ContainerDevices& container : devices) {
    for (const ContainerDevice& d : container) {
      out += d.uuid + "," + d.type + "," + std::to_string(d.memory_mib) + "," + std::to_string(d.cores) + ":";
    }
    out += ";";
  }
  return out;
}

bool AllServed(const PodDevices& devices) {
  for (const ContainerDevices& c : devices) {
    if (!c.empty()) return false;
  }
  return true;
}

bool ParseNodeLock(std::string_view text, NodeLock* out, std::string* error) {
  *out = NodeLock{};
  const std::vector<std::string_view> parts = Split(text, ',');
  if (parts.size() == 1) {  // legacy: a bare timestamp, no owner
    out->time = parts[0];
    return true;
  }
  if (parts.size() != 3 || parts[1].empty() || parts[2].empty()) {
    *error = "node lock " + Quote(text) + " is not TIME,NAMESPACE,POD";
    return false;
  }
  out->time = parts[0];
  out->ns = parts[1];
  out->name = parts[2];
  return true;
}

}  // namespace vslice::dp
