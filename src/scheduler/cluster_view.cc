#include "scheduler/cluster_view.h"

#include <algorithm>

#include "hami/names.h"

namespace vslice::scheduler {

using nlohmann::json;

std::string AnnotationOf(const json& object, std::string_view key) {
  const json* meta = object.contains("metadata") ? &object["metadata"] : nullptr;
  if (meta == nullptr || !meta->contains("annotations") || !(*meta)["annotations"].is_object()) return {};
  const json& a = (*meta)["annotations"];
  auto it = a.find(std::string(key));
  return it != a.end() && it->is_string() ? it->get<std::string>() : std::string();
}

namespace {

std::string Meta(const json& object, const char* key) {
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return {};
  auto it = meta->find(key);
  return it != meta->end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string PodKey(const std::string& ns, const std::string& name) { return ns + "/" + name; }

bool Terminal(const json& pod) {
  const json* status = pod.contains("status") ? &pod["status"] : nullptr;
  if (status == nullptr || !status->is_object()) return false;
  const std::string phase = status->value("phase", std::string());
  return phase == "Succeeded" || phase == "Failed";
}

std::string NodeNameOf(const json& pod) {
  auto spec = pod.find("spec");
  if (spec == pod.end() || !spec->is_object()) return {};
  return spec->value("nodeName", std::string());
}

}  // namespace

void ClusterView::BumpLocked() {
  {
    std::lock_guard<std::mutex> g(change_mu_);
    ++changes_;
  }
  change_cv_.notify_all();
}

void ClusterView::NotifyFreed(bool freed) {
  if (freed && on_freed_) on_freed_();
}

void ClusterView::RebuildUseLocked(const std::string& node) {
  auto n = nodes_.find(node);
  if (n == nodes_.end()) return;
  NodeRecord& r = n->second;
  r.use.assign(r.devices.size(), GpuUse{});
  auto list = holdings_by_node_.find(node);
  if (list == holdings_by_node_.end()) return;
  for (const std::string& uid : list->second) {
    auto h = holdings_.find(uid);
    if (h != holdings_.end()) ApplyShares(r.devices, r.use, h->second.shares, +1);
  }
}

void ClusterView::AddHoldingLocked(const std::string& uid, Holding h) {
  const std::string node = h.node;
  auto n = nodes_.find(node);
  if (n != nodes_.end()) ApplyShares(n->second.devices, n->second.use, h.shares, +1);
  holdings_[uid] = std::move(h);
  holdings_by_node_[node].push_back(uid);
}

bool ClusterView::RemoveHoldingLocked(const std::string& uid) {
  auto h = holdings_.find(uid);
  if (h == holdings_.end()) return false;
  auto n = nodes_.find(h->second.node);
  if (n != nodes_.end()) ApplyShares(n->second.devices, n->second.use, h->second.shares, -1);
  auto& list = holdings_by_node_[h->second.node];
  list.erase(std::remove(list.begin(), list.end(), uid), list.end());
  if (list.empty()) holdings_by_node_.erase(h->second.node);
  holdings_.erase(h);
  return true;
}

void ClusterView::UpsertNode(const json& node) {
  const std::string name = Meta(node, "name");
  if (name.empty()) return;
  // Read and decoded before the lock: filters wait for it.
  std::string lock_value = AnnotationOf(node, hami::kNodeLock);
  const std::string text = AnnotationOf(node, hami::kNodeRegister);
  std::vector<hami::RegisteredDevice> devices;
  std::string error;
  const bool read = !text.empty() && hami::DecodeRegisterAnnotation(text, &devices, &error);
  std::string register_error =
      text.empty() ? "annotation " + std::string(hami::kNodeRegister) + " is missing (no vslice or HAMi node agent?)"
      : read       ? std::string()
                   : "annotation " + std::string(hami::kNodeRegister) + " is unreadable: " + error;
  // Absent (not reported, or a test's bare node): trust the annotation.
  const json allocatable = node.value("/status/allocatable"_json_pointer, json::object());
  const bool agent_gone = allocatable.is_object() && allocatable.contains(std::string(hami::kResourceGpu)) &&
                          allocatable[std::string(hami::kResourceGpu)] == "0";
  bool freed = false;
  {
    std::unique_lock lock(mu_);
    NodeRecord& r = nodes_[name];
    r.lock = std::move(lock_value);
    r.register_error = std::move(register_error);
    r.registered = read;
    if (r.agent_gone && !agent_gone) freed = true;
    r.agent_gone = agent_gone;
    if (devices != r.devices) {
      freed = freed || devices.size() >= r.devices.size();
      r.devices = std::move(devices);
      RebuildUseLocked(name);
    }
    BumpLocked();
  }
  NotifyFreed(freed);
}

void ClusterView::DeleteNode(const std::string& name) {
  std::unique_lock lock(mu_);
  nodes_.erase(name);
  BumpLocked();
}

void ClusterView::UpsertPod(const json& pod) {
  const std::string uid = Meta(pod, "uid");
  const std::string ns = Meta(pod, "namespace");
  const std::string name = Meta(pod, "name");
  if (uid.empty() || name.empty()) return;
  const std::string key = PodKey(ns, name);
  bool freed = false;
  {
    std::unique_lock lock(mu_);
    uid_by_name_[key] = uid;
    const bool terminal = Terminal(pod);
    if (!terminal && NodeNameOf(pod).empty()) pending_pods_[key] = pod;
    else pending_pods_.erase(key);

    const std::string node = AnnotationOf(pod, hami::kAssignedNode);
    const std::string allocated = AnnotationOf(pod, hami::kDevicesAllocated);
    const std::string phase = AnnotationOf(pod, hami::kBindPhase);
    hami::PodShares shares;
    std::string error;
    const bool holds = !terminal && !node.empty() && !allocated.empty() && phase != hami::kBindPhaseFailed &&
                       hami::DecodePodShares(allocated, &shares, &error);
    auto existing = holdings_.find(uid);
    if (holds) {
      if (existing == holdings_.end() || existing->second.reserved || existing->second.shares != shares ||
          existing->second.node != node) {
        RemoveHoldingLocked(uid);
        AddHoldingLocked(uid, Holding{ns, name, node, std::move(shares), false, {}, phase});
      } else {
        existing->second.bind_phase = phase;
      }
    } else if (existing != holdings_.end() && (!existing->second.reserved || terminal)) {
      freed = RemoveHoldingLocked(uid);
    }
    BumpLocked();
  }
  NotifyFreed(freed);
}

void ClusterView::DeletePod(const json& pod) {
  const std::string uid = Meta(pod, "uid");
  const std::string key = PodKey(Meta(pod, "namespace"), Meta(pod, "name"));
  bool freed = false;
  {
    std::unique_lock lock(mu_);
    pending_pods_.erase(key);
    auto known = uid_by_name_.find(key);
    if (known != uid_by_name_.end() && (uid.empty() || known->second == uid)) uid_by_name_.erase(known);
    freed = RemoveHoldingLocked(uid);
    BumpLocked();
  }
  NotifyFreed(freed);
}

void ClusterView::ResetNodes(const std::vector<json>& nodes) {
  {
    std::unique_lock lock(mu_);
    nodes_.clear();
  }
  for (const json& n : nodes) UpsertNode(n);
}

void ClusterView::ResetPods(const std::vector<json>& pods) {
  {
    std::unique_lock lock(mu_);
    // Reservations survive a relist: their pods may not carry the
    // annotations yet.
    std::vector<std::string> seen;
    for (const auto& [uid, h] : holdings_) {
      if (!h.reserved) seen.push_back(uid);
    }
    for (const std::string& uid : seen) RemoveHoldingLocked(uid);
    uid_by_name_.clear();
    pending_pods_.clear();
  }
  for (const json& p : pods) UpsertPod(p);
  NotifyFreed(true);
}

void ClusterView::ForNodes(const std::vector<std::string>& names,
                           const std::function<void(const std::string&, const NodeRecord*)>& fn) const {
  std::shared_lock lock(mu_);
  for (const std::string& name : names) {
    auto it = nodes_.find(name);
    fn(name, it == nodes_.end() ? nullptr : &it->second);
  }
}

std::optional<NodeRecord> ClusterView::Node(const std::string& name) const {
  std::shared_lock lock(mu_);
  auto it = nodes_.find(name);
  if (it == nodes_.end()) return std::nullopt;
  return it->second;
}

std::optional<Holding> ClusterView::HoldingOf(const std::string& pod_uid) const {
  std::shared_lock lock(mu_);
  auto it = holdings_.find(pod_uid);
  if (it == holdings_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> ClusterView::PodUid(const std::string& ns, const std::string& name) const {
  std::shared_lock lock(mu_);
  auto it = uid_by_name_.find(PodKey(ns, name));
  if (it == uid_by_name_.end()) return std::nullopt;
  return it->second;
}

std::optional<json> ClusterView::PodObject(const std::string& ns, const std::string& name) const {
  std::shared_lock lock(mu_);
  auto it = pending_pods_.find(PodKey(ns, name));
  if (it == pending_pods_.end()) return std::nullopt;
  return it->second;
}

FitResult ClusterView::ReserveOn(const std::string& node, const std::string& pod_uid, const std::string& ns,
                                 const std::string& name, Clock::time_point expires,
                                 const std::function<FitResult(const NodeRecord&)>& choose) {
  std::unique_lock lock(mu_);
  // A retried bind of the same pod must not count its own earlier choice.
  RemoveHoldingLocked(pod_uid);
  auto it = nodes_.find(node);
  if (it == nodes_.end()) {
    FitResult none;
    none.refusal = Refusal::kNoGpus;
    return none;
  }
  FitResult fit = choose(it->second);
  if (fit.fits) AddHoldingLocked(pod_uid, Holding{ns, name, node, fit.shares, true, expires, std::string()});
  BumpLocked();
  return fit;
}

void ClusterView::Unreserve(const std::string& pod_uid) {
  bool freed = false;
  {
    std::unique_lock lock(mu_);
    auto it = holdings_.find(pod_uid);
    if (it != holdings_.end() && it->second.reserved) freed = RemoveHoldingLocked(pod_uid);
    BumpLocked();
  }
  NotifyFreed(freed);
}

int ClusterView::ExpireReservations(Clock::time_point now) {
  int dropped = 0;
  {
    std::unique_lock lock(mu_);
    std::vector<std::string> expired;
    for (const auto& [uid, h] : holdings_) {
      if (h.reserved && h.expires <= now) expired.push_back(uid);
    }
    for (const std::string& uid : expired) dropped += RemoveHoldingLocked(uid) ? 1 : 0;
    if (dropped > 0) BumpLocked();
  }
  NotifyFreed(dropped > 0);
  return dropped;
}

std::uint64_t ClusterView::WaitForChange(std::uint64_t seen, Clock::time_point deadline) const {
  std::unique_lock<std::mutex> g(change_mu_);
  change_cv_.wait_until(g, deadline, [&] { return changes_ != seen; });
  return changes_;
}

std::uint64_t ClusterView::changes() const {
  std::lock_guard<std::mutex> g(change_mu_);
  return changes_;
}

std::vector<std::string> ClusterView::NodeNames() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> names;
  names.reserve(nodes_.size());
  for (const auto& [name, record] : nodes_) names.push_back(name);
  return names;
}

std::size_t ClusterView::node_count() const {
  std::shared_lock lock(mu_);
  return nodes_.size();
}

std::size_t ClusterView::holding_count() const {
  std::shared_lock lock(mu_);
  return holdings_.size();
}

}  // namespace vslice::scheduler
