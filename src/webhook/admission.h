// AdmissionReview (admission.k8s.io/v1 and v1beta1) for a mutating
// webhook: the request's uid, namespace and object in; allowed, a message
// and a JSON patch (RFC 6902, base64 in the review) out. The response
// carries the request's own apiVersion, as the API server requires.
#ifndef VSLICE_WEBHOOK_ADMISSION_H_
#define VSLICE_WEBHOOK_ADMISSION_H_

#include <nlohmann/json.hpp>
#include <string>

namespace vslice::webhook {

struct AdmissionRequest {
  std::string api_version;  // "admission.k8s.io/v1" or "admission.k8s.io/v1beta1"
  std::string uid;
  std::string namespace_;
  std::string operation;
  nlohmann::json object;
};

struct AdmissionResponse {
  bool allowed = true;
  std::string message;  // shown to the user when refused
  nlohmann::json patch;  // a JSON patch; null or empty: none
};

bool DecodeAdmissionReview(const nlohmann::json& review, AdmissionRequest* request, std::string* error);
nlohmann::json EncodeAdmissionReview(const AdmissionRequest& request, const AdmissionResponse& response);

std::string Base64(const std::string& bytes);
std::string Unbase64(const std::string& text);  // empty on bad input

// The whole webhook: review in, review out (mutate.h does the pod).
struct MutateOptions;
nlohmann::json ReviewPod(const nlohmann::json& review, const MutateOptions& options, int* http_status);

}  // namespace vslice::webhook

#endif  // VSLICE_WEBHOOK_ADMISSION_H_
