// The node's record of each container it served: a folder per container
// under <hook_path>/vgpu/containers/<pod uid>_<container> holding the
// container's region file and allocation.json (namespace, pod, uid,
// container, devices with their quotas). It outlives the plugin: a plugin
// that restarts finds running pods' records, never recreates their
// regions, and serves their metrics; the folder goes when the pod does.
#ifndef VSLICE_DEVICE_PLUGIN_CONTAINER_RECORD_H_
#define VSLICE_DEVICE_PLUGIN_CONTAINER_RECORD_H_

#include <set>
#include <string>
#include <vector>

#include "device_plugin/types.h"

namespace vslice::dp {

struct ContainerRecord {
  std::string folder;  // host path
  std::string ns;
  std::string pod;
  std::string uid;
  std::string container;
  std::string region_file;  // host path of the region
  ContainerDevices devices;
};

// Creates the folder (mode 0777: containers run as any user) and writes
// allocation.json. An existing region file in it is left alone.
bool WriteRecord(const ContainerRecord& record, std::string* error);

// Every container folder under `containers_dir`, with its record when it
// has a readable one (uid from the folder name otherwise).
std::vector<ContainerRecord> ReadRecords(const std::string& containers_dir);

// Folders whose pod is not among `live_uids` (pods on this node that have
// not finished), given every folder's record. Pure.
std::vector<std::string> StaleFolders(const std::vector<ContainerRecord>& records,
                                      const std::set<std::string>& live_uids);

}  // namespace vslice::dp

#endif  // VSLICE_DEVICE_PLUGIN_CONTAINER_RECORD_H_
