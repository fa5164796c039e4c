#include "device_plugin/hami_protocol.h"

#include <nlohmann/json.hpp>

#include "hami/allocation_codec.h"
#include "hami/fields.h"
#include "hami/node_lock.h"
#include "hami/register_codec.h"

namespace vslice::dp {

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

// The strings themselves are vslice_hami's (src/hami), shared with the
// scheduler; these convert to the plugin's types.
std::string EncodeNodeRegister(const std::vector<RegisteredDevice>& devices) {
  std::vector<hami::RegisteredDevice> list;
  for (const RegisteredDevice& d : devices) {
    list.push_back({d.id, d.index, d.count, d.devmem, d.devcore, d.type, d.numa, d.mode, d.health});
  }
  return hami::EncodeRegisterAnnotation(list);
}

bool DecodeNodeRegister(std::string_view text, std::vector<RegisteredDevice>* out, std::string* error) {
  std::vector<hami::RegisteredDevice> list;
  std::string why;
  if (!hami::DecodeRegisterAnnotation(text, &list, &why)) {
    *error = "node register annotation " + hami::QuoteField(text) + ": " + why;
    return false;
  }
  out->clear();
  for (const hami::RegisteredDevice& d : list) {
    out->push_back({d.id, d.index, d.count, static_cast<int>(d.devmem_mib), d.devcore, d.type, d.numa, d.mode,
                    d.health});
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
  hami::PodShares shares;
  if (!hami::DecodePodShares(text, &shares, error)) return false;
  out->clear();
  for (const hami::ContainerShares& container : shares) {
    ContainerDevices devices;
    for (const hami::DeviceShare& d : container) devices.push_back({d.uuid, d.vendor, d.mem_mib, d.cores});
    out->push_back(std::move(devices));
  }
  return true;
}

std::string EncodePodDevices(const PodDevices& devices) {
  hami::PodShares shares;
  for (const ContainerDevices& container : devices) {
    hami::ContainerShares group;
    for (const ContainerDevice& d : container) {
      group.push_back({d.uuid, d.type, d.memory_mib, static_cast<int>(d.cores)});
    }
    shares.push_back(std::move(group));
  }
  return hami::EncodePodShares(shares);
}

bool AllServed(const PodDevices& devices) {
  for (const ContainerDevices& c : devices) {
    if (!c.empty()) return false;
  }
  return true;
}

bool ParseNodeLock(std::string_view text, NodeLock* out, std::string* error) {
  *out = NodeLock{};
  hami::NodeLock lock;
  if (!hami::DecodeNodeLock(text, &lock, error)) return false;
  out->time = lock.time;
  out->ns = lock.pod_namespace;
  out->name = lock.pod_name;
  return true;
}

}  // namespace vslice::dp
