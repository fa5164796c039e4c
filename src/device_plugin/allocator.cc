#include "device_plugin/allocator.h"

#include <algorithm>

#include "device_plugin/allocation.h"
#include "device_plugin/container_record.h"
#include "device_plugin/hami_protocol.h"
#include "device_plugin/log.h"

namespace vslice::dp {

bool Allocator::Allocate(const std::vector<std::vector<std::string>>& requests,
                         std::vector<ContainerResponse>* responses, std::string* error) {
  std::lock_guard<std::mutex> lock(mu_);
  responses->clear();
  PodInfo pod;
  const auto fail = [&](const std::string& why) {
    *error = why;
    stats_.allocation_failures.fetch_add(1);
    LogError("Allocate: %s", why.c_str());
    agent_.FailAllocation(pod, why);
    return false;
  };
  if (!agent_.FindBindingPod(&pod, error)) {
    stats_.allocation_failures.fetch_add(1);
    LogError("Allocate: %s", error->c_str());
    return false;  // no pod to mark failed
  }
  const auto annotation = pod.annotations.find(config_.names.to_allocate_annotation);
  if (annotation == pod.annotations.end()) {
    return fail("pod " + pod.ns + "/" + pod.name + " has no " + config_.names.to_allocate_annotation +
                " annotation: the scheduler assigned it no " + config_.names.common_word + " device");
  }
  PodDevices annotated;
  std::string why;
  if (!DecodePodDevices(annotation->second, &annotated, &why)) {
    return fail("pod " + pod.ns + "/" + pod.name + ": " + why);
  }
  AllocationPlan plan;
  if (!PlanAllocation(pod, annotated, requests, &plan, &why)) return fail(why);

  const std::vector<PhysicalDevice> devices = state_.devices();
  for (const ContainerPlan& c : plan.containers) {
    for (const ContainerDevice& d : c.devices) {
      const auto it = std::find_if(devices.begin(), devices.end(),
                                   [&](const PhysicalDevice& p) { return p.uuid == d.uuid; });
      if (it == devices.end()) return fail("the scheduler assigned device " + d.uuid + ", which this node does not have");
      if (!it->healthy) return fail("the scheduler assigned device " + d.uuid + ", which is unhealthy");
    }
    responses->push_back(config_.vendor == Vendor::kNvidia ? NvidiaResponse(c, pod, config_)
                                                           : AscendResponse(c, pod, config_, devices));
    ContainerRecord record;
    record.folder = ContainerFolder(config_, pod, c.container);
    record.ns = pod.ns;
    record.pod = pod.name;
    record.uid = pod.uid;
    record.container = c.container;
    record.region_file = record.folder + "/" + RegionFileName(pod, c.container);
    record.devices = c.devices;
    if (!WriteRecord(record, &why)) return fail(why);
  }
  if (!agent_.FinishAllocation(pod, plan, &why)) return fail(why);
  stats_.allocations.fetch_add(1);
  LogInfo("Allocate: pod %s/%s: %zu container(s) served", pod.ns.c_str(), pod.name.c_str(),
          plan.containers.size());
  return true;
}

std::vector<std::vector<std::string>> Allocator::Preferred(const std::vector<PreferredRequest>& requests) {
  std::vector<std::vector<std::string>> out(requests.size());
  PodInfo pod;
  std::string error;
  if (!agent_.FindBindingPod(&pod, &error)) return out;
  const auto annotation = pod.annotations.find(config_.names.to_allocate_annotation);
  PodDevices annotated;
  if (annotation == pod.annotations.end() || !DecodePodDevices(annotation->second, &annotated, &error)) {
    return out;
  }
  // kubelet asks only about containers that want devices, in order.
  std::vector<ContainerDevices> wanted;
  for (const ContainerDevices& c : annotated) {
    if (!c.empty()) wanted.push_back(c);
  }
  for (std::size_t i = 0; i < requests.size() && i < wanted.size(); ++i) {
    out[i] = PreferredShares(requests[i].available, requests[i].must_include, wanted[i], requests[i].size);
  }
  return out;
}

}  // namespace vslice::dp
