#include "device_plugin/container_record.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

namespace vslice::dp {

namespace fs = std::filesystem;
constexpr char kRecordFile[] = "allocation.json";

bool WriteRecord(const ContainerRecord& r, std::string* error) {
  std::error_code ec;
  fs::create_directories(r.folder, ec);
  if (ec) {
    *error = "cannot create " + r.folder + ": " + ec.message();
    return false;
  }
  chmod(r.folder.c_str(), 0777);
  nlohmann::json devices = nlohmann::json::array();
  for (const ContainerDevice& d : r.devices) {
    devices.push_back({{"uuid", d.uuid}, {"type", d.type}, {"memoryMiB", d.memory_mib}, {"cores", d.cores}});
  }
  const nlohmann::json j = {{"namespace", r.ns}, {"pod", r.pod}, {"uid", r.uid}, {"container", r.container},
                            {"region", r.region_file}, {"devices", devices}};
  const std::string tmp = r.folder + "/" + kRecordFile + ".tmp";
  {
    std::ofstream out(tmp);
    out << j.dump(2) << "\n";
    if (!out) {
      *error = "cannot write " + tmp;
      return false;
    }
  }
  fs::rename(tmp, r.folder + "/" + kRecordFile, ec);
  if (ec) {
    *error = "cannot write " + r.folder + "/" + kRecordFile + ": " + ec.message();
    return false;
  }
  return true;
}

std::vector<ContainerRecord> ReadRecords(const std::string& containers_dir) {
  std::vector<ContainerRecord> out;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(containers_dir, ec)) {
    if (!entry.is_directory(ec)) continue;
    ContainerRecord r;
    r.folder = entry.path().string();
    const std::string name = entry.path().filename().string();
    r.uid = name.substr(0, name.find('_'));
    std::ifstream in(r.folder + "/" + kRecordFile);
    const nlohmann::json j = in ? nlohmann::json::parse(in, nullptr, false) : nlohmann::json();
    if (j.is_object()) {
      r.ns = j.value("namespace", "");
      r.pod = j.value("pod", "");
      r.uid = j.value("uid", r.uid);
      r.container = j.value("container", "");
      r.region_file = j.value("region", "");
      if (j.contains("devices") && j["devices"].is_array()) {
        for (const nlohmann::json& d : j["devices"]) {
          if (!d.is_object()) continue;
          r.devices.push_back({d.value("uuid", ""), d.value("type", ""), d.value("memoryMiB", std::int64_t{0}),
                               d.value("cores", std::int64_t{0})});
        }
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::string> StaleFolders(const std::vector<ContainerRecord>& records,
                                      const std::set<std::string>& live_uids) {
  std::vector<std::string> stale;
  for (const ContainerRecord& r : records) {
    if (live_uids.count(r.uid) == 0) stale.push_back(r.folder);
  }
  return stale;
}

}  // namespace vslice::dp
