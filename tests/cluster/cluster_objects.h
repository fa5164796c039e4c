// Node and pod objects for the control-plane tests, shaped like the API
// server's JSON.
#ifndef VSLICE_TESTS_CLUSTER_CLUSTER_OBJECTS_H_
#define VSLICE_TESTS_CLUSTER_CLUSTER_OBJECTS_H_

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "hami/register_codec.h"

namespace vslice::scheduler::testing {

// `gpus` GPUs "GPU-<name>-<i>" of `mem_mib` each, 10 shares, 100 cores;
// GPU i on NUMA node i / numa_span.
inline std::vector<hami::RegisteredDevice> Gpus(const std::string& node, int gpus, long long mem_mib = 81920,
                                                const std::string& type = "NVIDIA-NVIDIA H100 80GB HBM3",
                                                int numa_span = 4) {
  std::vector<hami::RegisteredDevice> list;
  for (int i = 0; i < gpus; ++i) {
    hami::RegisteredDevice d;
    d.id = "GPU-" + node + "-" + std::to_string(i);
    d.index = i;
    d.count = 10;
    d.devmem_mib = mem_mib;
    d.devcore = 100;
    d.type = type;
    d.numa = i / numa_span;
    d.health = true;
    list.push_back(d);
  }
  return list;
}

inline nlohmann::json NodeJson(const std::string& name, const std::vector<hami::RegisteredDevice>& gpus) {
  nlohmann::json node = {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", name}, {"resourceVersion", "1"}}}};
  if (!gpus.empty()) node["metadata"]["annotations"]["hami.io/node-nvidia-register"] = hami::EncodeRegisterAnnotation(gpus);
  return node;
}

struct Ask {
  int gpus = 1;
  long long mem = 0;  // MiB; 0: not asked
  int percent = 0;  // 0: not asked
  int cores = 0;  // -1: not asked
  bool init = false;
};

inline nlohmann::json PodJson(const std::string& name, const std::vector<Ask>& asks,
                              const std::map<std::string, std::string>& annotations = {},
                              const std::string& ns = "default") {
  nlohmann::json pod = {{"apiVersion", "v1"},
                        {"kind", "Pod"},
                        {"metadata", {{"name", name}, {"namespace", ns}, {"uid", "uid-" + ns + "-" + name}}},
                        {"spec", {{"containers", nlohmann::json::array()}}},
                        {"status", {{"phase", "Pending"}}}};
  for (const auto& [k, v] : annotations) pod["metadata"]["annotations"][k] = v;
  int n = 0;
  for (const Ask& a : asks) {
    nlohmann::json limits = nlohmann::json::object();
    if (a.gpus > 0) limits["nvidia.com/gpu"] = std::to_string(a.gpus);
    if (a.mem > 0) limits["nvidia.com/gpumem"] = std::to_string(a.mem);
    if (a.percent > 0) limits["nvidia.com/gpumem-percentage"] = std::to_string(a.percent);
    if (a.cores >= 0 && a.gpus > 0) limits["nvidia.com/gpucores"] = std::to_string(a.cores);
    nlohmann::json c = {{"name", "c" + std::to_string(n++)}, {"image", "app"}, {"resources", {{"limits", limits}}}};
    pod["spec"][a.init ? "initContainers" : "containers"].push_back(c);
  }
  return pod;
}

inline nlohmann::json Fixture(const std::string& file) {
  std::ifstream in(std::string(VSLICE_CLUSTER_FIXTURES) + "/" + file);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

}  // namespace vslice::scheduler::testing

#endif  // VSLICE_TESTS_CLUSTER_CLUSTER_OBJECTS_H_
