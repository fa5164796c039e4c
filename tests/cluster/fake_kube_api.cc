#include "fake_kube_api.h"

namespace vslice::scheduler::testing {

using nlohmann::json;

namespace {
ApiResponse Status(int code, const std::string& message) {
  return {code, json{{"kind", "Status"}, {"code", code}, {"message", message}}, message};
}
}  // namespace

void FakeKubeApi::AddNode(json node) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  node["metadata"]["resourceVersion"] = std::to_string(++rv_);
  nodes_[node["metadata"]["name"].get<std::string>()] = node;
  if (watcher_) watcher_->UpsertNode(node);
}

void FakeKubeApi::AddPod(json pod) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  pod["metadata"]["resourceVersion"] = std::to_string(++rv_);
  const std::string key = pod["metadata"].value("namespace", "default") + "/" + pod["metadata"]["name"].get<std::string>();
  pods_[key] = pod;
  if (watcher_) watcher_->UpsertPod(pod);
}

void FakeKubeApi::DeletePod(const std::string& ns, const std::string& name) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  auto it = pods_.find(ns + "/" + name);
  if (it == pods_.end()) return;
  json pod = it->second;
  pods_.erase(it);
  if (watcher_) watcher_->DeletePod(pod);
}

json FakeKubeApi::NodeObject(const std::string& name) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  return nodes_.at(name);
}

json FakeKubeApi::PodObject(const std::string& ns, const std::string& name) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  return pods_.at(ns + "/" + name);
}

void FakeKubeApi::SetNodeAnnotation(const std::string& node, const std::string& key, const json& value) {
  Patch(nodes_, node, json{{"metadata", {{"annotations", {{key, value}}}}}}, true);
}

ApiResponse FakeKubeApi::Patch(std::map<std::string, json>& store, const std::string& key, const json& merge_patch,
                               bool is_node) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  auto it = store.find(key);
  if (it == store.end()) return Status(404, key + " not found");
  json patch = merge_patch;
  if (patch.contains("metadata") && patch["metadata"].contains("resourceVersion")) {
    if (patch["metadata"]["resourceVersion"] != it->second["metadata"]["resourceVersion"]) {
      if (is_node) ++node_conflicts;
      return Status(409, "Operation cannot be fulfilled on " + key +
                             ": the object has been modified; please apply your changes to the latest version and try again");
    }
    patch["metadata"].erase("resourceVersion");
  }
  it->second.merge_patch(patch);
  it->second["metadata"]["resourceVersion"] = std::to_string(++rv_);
  if (watcher_) is_node ? watcher_->UpsertNode(it->second) : watcher_->UpsertPod(it->second);
  return {200, it->second, ""};
}

ApiResponse FakeKubeApi::GetNode(const std::string& name) {
  if (intercept) {
    if (ApiResponse r = intercept("GET node", name); r.status != 0) return r;
  }
  std::lock_guard<std::recursive_mutex> g(mu_);
  auto it = nodes_.find(name);
  if (it == nodes_.end()) return Status(404, "nodes \"" + name + "\" not found");
  return {200, it->second, ""};
}

ApiResponse FakeKubeApi::PatchNode(const std::string& name, const json& merge_patch) {
  if (intercept) {
    if (ApiResponse r = intercept("PATCH node", name); r.status != 0) return r;
  }
  return Patch(nodes_, name, merge_patch, true);
}

ApiResponse FakeKubeApi::GetPod(const std::string& ns, const std::string& name) {
  std::lock_guard<std::recursive_mutex> g(mu_);
  auto it = pods_.find(ns + "/" + name);
  if (it == pods_.end()) return Status(404, "pods \"" + name + "\" not found");
  return {200, it->second, ""};
}

ApiResponse FakeKubeApi::PatchPod(const std::string& ns, const std::string& name, const json& merge_patch) {
  if (intercept) {
    if (ApiResponse r = intercept("PATCH pod", name); r.status != 0) return r;
  }
  return Patch(pods_, ns + "/" + name, merge_patch, false);
}

ApiResponse FakeKubeApi::BindPod(const std::string& ns, const std::string& name, const std::string& uid,
                                 const std::string& node) {
  if (intercept) {
    if (ApiResponse r = intercept("BIND pod", name); r.status != 0) return r;
  }
  std::lock_guard<std::recursive_mutex> g(mu_);
  auto it = pods_.find(ns + "/" + name);
  if (it == pods_.end()) return Status(404, "pods \"" + name + "\" not found");
  if (!it->second["spec"].value("nodeName", std::string()).empty()) {
    return Status(409, "pod " + name + " is already assigned to node " + it->second["spec"]["nodeName"].get<std::string>());
  }
  it->second["spec"]["nodeName"] = node;
  it->second["metadata"]["resourceVersion"] = std::to_string(++rv_);
  ++bindings;
  if (watcher_) watcher_->UpsertPod(it->second);
  return {201, json{{"kind", "Status"}, {"status", "Success"}}, ""};
}

}  // namespace vslice::scheduler::testing
