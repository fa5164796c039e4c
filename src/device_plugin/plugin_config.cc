#include "device_plugin/plugin_config.h"

#include <getopt.h>

#include <charconv>
#include <cstdlib>
#include <fstream>

#include "hami/names.h"

namespace vslice::dp {

const char kUsage[] =
    "usage: vslice-device-plugin [options]\n"
    "Serves kubelet's device plugin API (v1beta1) for one kind of device and speaks HAMi's\n"
    "node protocol (docs/KUBERNETES.md).\n"
    "  --vendor nvidia|ascend      device kind (default nvidia)\n"
    "  --node-name NAME            this node (default $NODE_NAME)\n"
    "  --config-file PATH          JSON settings with HAMi's keys (the ConfigMap)\n"
    "  --split-count N             shares per device (deviceSplitCount, default 10)\n"
    "  --memory-scaling X          deviceMemoryScaling (default 1)\n"
    "  --core-scaling X            deviceCoreScaling (default 1)\n"
    "  --hook-path PATH            install folder of the interceptor (default $HOOK_PATH or /usr/local)\n"
    "  --registry-dir PATH         node-shared folder (default /tmp/vgpulock)\n"
    "  --plugin-dir PATH           kubelet's device-plugin folder\n"
    "  --kubelet-socket PATH       kubelet's registration socket (default <plugin-dir>/kubelet.sock)\n"
    "  --kubeconfig PATH           run outside the cluster\n"
    "  --metrics-address HOST:PORT node metrics endpoint, or off (default 0.0.0.0:9394)\n"
    "  --register-interval S       node annotation refresh (default 30)\n"
    "  --health-interval S         device re-scan (default 5)\n"
    "  --cleanup-interval S        removal of deleted pods' folders (default 60)\n"
    "  --ascend-chip NAME          Ascend chip name, e.g. 910B2 (default: from DCMI)\n";

VendorNames NvidiaNames() {
  VendorNames n;
  n.common_word = hami::kNvidiaVendor;
  n.resource_count = hami::kResourceGpu;
  n.resource_memory = hami::kResourceGpuMem;
  n.resource_memory_percentage = hami::kResourceGpuMemPercent;
  n.resource_cores = hami::kResourceGpuCores;
  n.resource_priority = hami::kResourceGpuPriority;
  n.register_annotation = hami::kNodeRegister;
  n.handshake_annotation = hami::kNodeHandshake;
  n.to_allocate_annotation = hami::kDevicesToAllocate;
  n.allocated_annotation = hami::kDevicesAllocated;
  n.socket_name = "vslice-nvidia.sock";
  return n;
}

VendorNames AscendNames(const std::string& common_word) {
  VendorNames n;
  n.common_word = common_word;
  n.resource_count = "huawei.com/" + common_word;
  n.resource_memory = "huawei.com/" + common_word + "-memory";
  n.resource_cores = "huawei.com/" + common_word + "-core";
  n.register_annotation = "hami.io/node-register-" + common_word;
  n.handshake_annotation = "hami.io/node-handshake-" + common_word;
  n.to_allocate_annotation = "hami.io/" + common_word + "-devices-to-allocate";
  n.allocated_annotation = "hami.io/" + common_word + "-devices-allocated";
  n.socket_name = "vslice-" + common_word + ".sock";
  return n;
}

std::string PluginConfig::KubeletSocket() const {
  return kubelet_socket.empty() ? plugin_dir + "/kubelet.sock" : kubelet_socket;
}

std::string PluginConfig::PluginSocket() const { return plugin_dir + "/" + names.socket_name; }

namespace {

template <typename T>
bool ParseNumber(std::string_view text, T* out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool SetInt(const char* what, std::string_view text, int min, int max, int* out, std::string* error) {
  int v = 0;
  if (!ParseNumber(text, &v) || v < min || v > max) {
    *error = std::string(what) + "=\"" + std::string(text.substr(0, 24)) + "\" is not a whole number in " +
             std::to_string(min) + ".." + std::to_string(max);
    return false;
  }
  *out = v;
  return true;
}

bool SetScale(const char* what, double v, double* out, std::string* error) {
  if (!(v > 0 && v <= 100)) {
    *error = std::string(what) + "=" + std::to_string(v) + " is out of range: expected a number above 0 (1 = the device as it is)";
    return false;
  }
  *out = v;
  return true;
}

bool SetScaleText(const char* what, std::string_view text, double* out, std::string* error) {
  double v = 0;
  if (!ParseNumber(text, &v)) {
    *error = std::string(what) + "=\"" + std::string(text.substr(0, 24)) + "\" is not a number";
    return false;
  }
  return SetScale(what, v, out, error);
}

// One key of the config file, typed.
bool ApplyKey(const std::string& key, const nlohmann::json& v, PluginConfig* c, std::string* error) {
  const auto want_string = [&](std::string* out) {
    if (!v.is_string()) {
      *error = "config " + key + " must be a string";
      return false;
    }
    *out = v.get<std::string>();
    return true;
  };
  const auto lower = [](std::string s) {
    for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
  };
  const std::string k = lower(key);
  if (k == "devicesplitcount") {
    if (!v.is_number_integer() || v.get<long>() < 1 || v.get<long>() > 1000) {
      *error = "config " + key + " must be a whole number in 1..1000";
      return false;
    }
    c->split_count = v.get<int>();
    return true;
  }
  if (k == "devicememoryscaling" || k == "devicecorescaling") {
    if (!v.is_number()) {
      *error = "config " + key + " must be a number";
      return false;
    }
    return SetScale(key.c_str(), v.get<double>(), k == "devicememoryscaling" ? &c->memory_scaling : &c->core_scaling, error);
  }
  if (k == "resourcecountname") return want_string(&c->names.resource_count);
  if (k == "resourcememoryname") return want_string(&c->names.resource_memory);
  if (k == "resourcememorypercentagename") return want_string(&c->names.resource_memory_percentage);
  if (k == "resourcecorename") return want_string(&c->names.resource_cores);
  if (k == "resourcepriorityname") return want_string(&c->names.resource_priority);
  if (k == "libcudaloglevel") return want_string(&c->libcuda_log_level);
  if (k == "disablecorelimit") {
    if (!v.is_boolean()) {
      *error = "config " + key + " must be true or false";
      return false;
    }
    c->disable_core_limit = v.get<bool>();
    return true;
  }
  return true;  // other HAMi keys (scheduler's, MIG, ...) are not the plugin's business
}

}  // namespace

bool ApplyConfigJson(const nlohmann::json& json, PluginConfig* c, std::string* error) {
  if (!json.is_object()) {
    *error = "the config file must hold a JSON object";
    return false;
  }
  // HAMi keeps the NVIDIA settings under "nvidia"; accept them there or at the top.
  const nlohmann::json& top = json.contains("nvidia") && json["nvidia"].is_object() ? json["nvidia"] : json;
  for (const auto& [key, value] : top.items()) {
    if (key != "nodeconfig" && !ApplyKey(key, value, c, error)) return false;
  }
  const nlohmann::json* nodes = json.contains("nodeconfig") ? &json["nodeconfig"] : nullptr;
  if (nodes != nullptr && nodes->is_array()) {
    for (const nlohmann::json& node : *nodes) {
      if (!node.is_object() || node.value("name", "") != c->node_name) continue;
      for (const auto& [key, value] : node.items()) {
        if (key != "name" && !ApplyKey(key, value, c, error)) {
          *error += " (nodeconfig of " + c->node_name + ")";
          return false;
        }
      }
    }
  }
  return true;
}

bool LoadPluginConfig(int argc, char** argv, PluginConfig* c, std::string* error, bool* help) {
  *help = false;
  if (const char* v = std::getenv("NODE_NAME"); v != nullptr) c->node_name = v;
  if (const char* v = std::getenv("HOOK_PATH"); v != nullptr && *v != '\0') c->hook_path = v;

  enum {
    kVendor = 1000, kNodeName, kConfigFile, kSplit, kMemScale, kCoreScale, kHook, kRegistry, kPluginDir,
    kKubeletSocket, kKubeconfig, kMetrics, kRegister, kHealth, kCleanup, kAscendChip, kHelp
  };
  static const option kOptions[] = {
      {"vendor", required_argument, nullptr, kVendor},
      {"node-name", required_argument, nullptr, kNodeName},
      {"config-file", required_argument, nullptr, kConfigFile},
      {"split-count", required_argument, nullptr, kSplit},
      {"memory-scaling", required_argument, nullptr, kMemScale},
      {"core-scaling", required_argument, nullptr, kCoreScale},
      {"hook-path", required_argument, nullptr, kHook},
      {"registry-dir", required_argument, nullptr, kRegistry},
      {"plugin-dir", required_argument, nullptr, kPluginDir},
      {"kubelet-socket", required_argument, nullptr, kKubeletSocket},
      {"kubeconfig", required_argument, nullptr, kKubeconfig},
      {"metrics-address", required_argument, nullptr, kMetrics},
      {"register-interval", required_argument, nullptr, kRegister},
      {"health-interval", required_argument, nullptr, kHealth},
      {"cleanup-interval", required_argument, nullptr, kCleanup},
      {"ascend-chip", required_argument, nullptr, kAscendChip},
      {"help", no_argument, nullptr, kHelp},
      {nullptr, 0, nullptr, 0},
  };
  // Two passes: the vendor, node name and config file first, so that flags
  // given on the command line win over the file whatever their order.
  std::string config_file;
  for (int pass = 0; pass < 2; ++pass) {
    optind = 1;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "", kOptions, nullptr)) != -1) {
      const std::string_view arg = optarg != nullptr ? optarg : "";
      if (opt == '?' || opt == ':') {
        *error = "unknown option or missing value: " + std::string(argv[optind - 1]) + " (see --help)";
        return false;
      }
      if (opt == kHelp) {
        *help = true;
        return true;
      }
      const bool first = opt == kVendor || opt == kNodeName || opt == kConfigFile || opt == kAscendChip;
      if ((pass == 0) != first) continue;
      bool ok = true;
      switch (opt) {
        case kVendor:
          if (arg == "nvidia") c->vendor = Vendor::kNvidia;
          else if (arg == "ascend") c->vendor = Vendor::kAscend;
          else {
            *error = "--vendor=\"" + std::string(arg.substr(0, 24)) + "\": expected nvidia or ascend";
            return false;
          }
          break;
        case kNodeName: c->node_name = arg; break;
        case kConfigFile: config_file = arg; break;
        case kAscendChip: c->ascend_chip = arg; break;
        case kSplit: ok = SetInt("--split-count", arg, 1, 1000, &c->split_count, error); break;
        case kMemScale: ok = SetScaleText("--memory-scaling", arg, &c->memory_scaling, error); break;
        case kCoreScale: ok = SetScaleText("--core-scaling", arg, &c->core_scaling, error); break;
        case kHook: c->hook_path = arg; break;
        case kRegistry: c->registry_dir = arg; break;
        case kPluginDir: c->plugin_dir = arg; break;
        case kKubeletSocket: c->kubelet_socket = arg; break;
        case kKubeconfig: c->kubeconfig = arg; break;
        case kMetrics: c->metrics_address = arg; break;
        case kRegister: ok = SetInt("--register-interval", arg, 1, 3600, &c->register_seconds, error); break;
        case kHealth: ok = SetInt("--health-interval", arg, 1, 3600, &c->health_seconds, error); break;
        case kCleanup: ok = SetInt("--cleanup-interval", arg, 1, 86400, &c->cleanup_seconds, error); break;
        default: break;
      }
      if (!ok) return false;
    }
    if (optind < argc) {
      *error = "unexpected argument \"" + std::string(argv[optind]) + "\" (see --help)";
      return false;
    }
    if (pass == 0 && !config_file.empty()) {
      std::ifstream in(config_file);
      if (!in) {
        *error = "cannot read --config-file " + config_file;
        return false;
      }
      const nlohmann::json json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
      if (json.is_discarded()) {
        *error = "--config-file " + config_file + " is not JSON";
        return false;
      }
      if (!ApplyConfigJson(json, c, error)) {
        *error = config_file + ": " + *error;
        return false;
      }
    }
  }
  if (c->node_name.empty()) {
    *error = "the node name is unknown: set NODE_NAME (the DaemonSet passes spec.nodeName) or --node-name";
    return false;
  }
  if (c->hook_path.empty() || c->hook_path[0] != '/') {
    *error = "the hook path \"" + c->hook_path + "\" must be an absolute path";
    return false;
  }
  return true;
}

}  // namespace vslice::dp
