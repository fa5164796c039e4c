// What the webhook does to a pod being created, as a pure function: the
// mutated pod (the JSON patch is the difference), or a refusal.
//
//   - a container that asks nvidia.com/gpumem, gpumem-percentage or
//     gpucores without nvidia.com/gpu gets nvidia.com/gpu: 1;
//   - nvidia.com/priority (0 high, 1 normal, as in HAMi) becomes the
//     container's CUDA_TASK_PRIORITY;
//   - a pod that asks GPUs gets spec.schedulerName = the vslice scheduler
//     (unless it names another, non-default scheduler);
//   - out-of-range values, a GPU pod already assigned to a node, and a
//     privileged container asking GPUs (it would see every GPU) are refused
//     with a message saying what to change;
//   - a pod labelled hami.io/webhook=ignore, or in an ignored namespace, is
//     left alone (the MutatingWebhookConfiguration also keeps namespaces
//     labelled so from reaching the webhook at all).
#ifndef VSLICE_WEBHOOK_MUTATE_H_
#define VSLICE_WEBHOOK_MUTATE_H_

#include <nlohmann/json.hpp>
#include <set>
#include <string>

namespace vslice::webhook {

struct MutateOptions {
  std::string scheduler_name = "vslice-scheduler";
  std::set<std::string> ignored_namespaces;
  // Also replace "default-scheduler" (HAMi's force-overwrite default).
  bool overwrite_default_scheduler = true;
};

struct Mutation {
  bool allowed = true;
  std::string message;  // why refused, or why left alone
  nlohmann::json pod;  // the pod as it should be created
};

Mutation MutatePod(const nlohmann::json& pod, const std::string& request_namespace, const MutateOptions& options);

}  // namespace vslice::webhook

#endif  // VSLICE_WEBHOOK_MUTATE_H_
