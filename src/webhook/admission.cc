#include "webhook/admission.h"

#include <openssl/evp.h>

#include "webhook/mutate.h"

namespace vslice::webhook {

using nlohmann::json;

bool DecodeAdmissionReview(const json& review, AdmissionRequest* request, std::string* error) {
  *request = AdmissionRequest();
  if (!review.is_object() || review.value("kind", std::string()) != "AdmissionReview") {
    *error = "not an AdmissionReview";
    return false;
  }
  request->api_version = review.value("apiVersion", std::string());
  if (request->api_version != "admission.k8s.io/v1" && request->api_version != "admission.k8s.io/v1beta1") {
    *error = "apiVersion \"" + request->api_version.substr(0, 64) +
             "\" is not admission.k8s.io/v1 or admission.k8s.io/v1beta1";
    return false;
  }
  auto r = review.find("request");
  if (r == review.end() || !r->is_object() || !r->contains("uid") || !(*r)["uid"].is_string()) {
    *error = "the review has no request with a uid";
    return false;
  }
  request->uid = (*r)["uid"].get<std::string>();
  request->namespace_ = r->value("namespace", std::string());
  request->operation = r->value("operation", std::string());
  request->object = r->value("object", json());
  return true;
}

json EncodeAdmissionReview(const AdmissionRequest& request, const AdmissionResponse& response) {
  json r = {{"uid", request.uid}, {"allowed", response.allowed}};
  if (!response.allowed) {
    r["status"] = {{"code", 403}, {"reason", "Forbidden"}, {"message", response.message}};
  } else if (!response.patch.is_null() && !response.patch.empty()) {
    r["patchType"] = "JSONPatch";
    r["patch"] = Base64(response.patch.dump());
  }
  return json{{"apiVersion", request.api_version}, {"kind", "AdmissionReview"}, {"response", r}};
}

std::string Base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
  return out;
}

std::string Unbase64(const std::string& text) {
  if (text.size() % 4 != 0) return {};
  std::string out(3 * text.size() / 4 + 1, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return {};
  std::size_t padding = 0;
  for (std::size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) ++padding;
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

json ReviewPod(const json& review, const MutateOptions& options, int* http_status) {
  AdmissionRequest request;
  std::string error;
  if (!DecodeAdmissionReview(review, &request, &error)) {
    *http_status = 400;
    return json{{"error", "vslice-webhook: " + error}};
  }
  *http_status = 200;
  AdmissionResponse response;
  if (request.operation == "CREATE" && request.object.is_object()) {
    Mutation m = MutatePod(request.object, request.namespace_, options);
    response.allowed = m.allowed;
    response.message = m.allowed ? m.message : "vslice-webhook: " + m.message;
    // An unchanged pod gives an empty patch, which is not sent.
    if (m.allowed) response.patch = json::diff(request.object, m.pod);
  }
  return EncodeAdmissionReview(request, response);
}

}  // namespace vslice::webhook
