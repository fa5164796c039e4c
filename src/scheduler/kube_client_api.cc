#include "scheduler/kube_client_api.h"

#include "scheduler/rejected_pods.h"

namespace vslice::scheduler {
namespace {

ApiResponse From(const kube::Response& r) { return {static_cast<int>(r.status), r.body, r.error}; }

}  // namespace

ApiResponse KubeClientApi::GetNode(const std::string& name) { return From(client_->Get(kube::NodePath(name))); }

ApiResponse KubeClientApi::PatchNode(const std::string& name, const nlohmann::json& merge_patch) {
  return From(client_->MergePatch(kube::NodePath(name), merge_patch));
}

ApiResponse KubeClientApi::GetPod(const std::string& ns, const std::string& name) {
  return From(client_->Get(kube::PodPath(ns, name)));
}

ApiResponse KubeClientApi::PatchPod(const std::string& ns, const std::string& name, const nlohmann::json& merge_patch) {
  return From(client_->MergePatch(kube::PodPath(ns, name), merge_patch));
}

ApiResponse KubeClientApi::BindPod(const std::string& ns, const std::string& name, const std::string& uid,
                                   const std::string& node) {
  nlohmann::json meta = {{"name", name}, {"namespace", ns}};
  if (!uid.empty()) meta["uid"] = uid;
  return From(client_->Post(kube::PodBindingPath(ns, name),
                            {{"apiVersion", "v1"},
                             {"kind", "Binding"},
                             {"metadata", meta},
                             {"target", {{"apiVersion", "v1"}, {"kind", "Node"}, {"name", node}}}}));
}

ApiResponse KubeClientApi::Touch(const std::string& ns, const std::string& name, const std::string& value) {
  return PatchPod(ns, name, kube::AnnotationsPatch({{std::string(kRequeueAnnotation), value}}));
}

}  // namespace vslice::scheduler
