// The mutating webhook: AdmissionReview v1 and v1beta1 in, a JSON patch out.
#include <gtest/gtest.h>

#include "cluster_objects.h"
#include "webhook/admission.h"
#include "webhook/mutate.h"

namespace vslice::webhook {
namespace {

using nlohmann::json;
using scheduler::testing::Fixture;

// Runs a review and applies the returned patch to the request's pod.
struct Reviewed {
  json review;
  json pod;
};

Reviewed Review(const json& request, const MutateOptions& options = {}) {
  int status = 0;
  Reviewed r;
  r.review = ReviewPod(request, options, &status);
  EXPECT_EQ(status, 200);
  r.pod = request["request"]["object"];
  const json& response = r.review["response"];
  if (response.contains("patch")) {
    EXPECT_EQ(response["patchType"], "JSONPatch");
    r.pod = r.pod.patch(json::parse(Unbase64(response["patch"].get<std::string>())));
  }
  return r;
}

json Limits(const json& pod, int container) { return pod["spec"]["containers"][container]["resources"]["limits"]; }

TEST(WebhookReview, V1AddsTheGpuCountPriorityEnvAndScheduler) {
  const json request = Fixture("admission_review_v1.json");
  Reviewed r = Review(request);
  EXPECT_EQ(r.review["apiVersion"], "admission.k8s.io/v1");
  EXPECT_EQ(r.review["kind"], "AdmissionReview");
  EXPECT_EQ(r.review["response"]["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
  EXPECT_EQ(r.review["response"]["allowed"], true);
  EXPECT_EQ(Limits(r.pod, 0)["nvidia.com/gpu"], "1");  // only memory and cores were asked
  EXPECT_EQ(Limits(r.pod, 0)["nvidia.com/gpumem"], "3000");
  const json env = r.pod["spec"]["containers"][0]["env"];
  ASSERT_EQ(env.size(), 2u);
  EXPECT_EQ(env[0]["name"], "MODE");  // the container's own env is kept
  EXPECT_EQ(env[1], (json{{"name", "CUDA_TASK_PRIORITY"}, {"value", "0"}}));
  EXPECT_EQ(r.pod["spec"]["schedulerName"], "vslice-scheduler");
  EXPECT_FALSE(r.pod["spec"]["containers"][1].contains("resources"));  // the sidecar is untouched
}

TEST(WebhookReview, V1beta1AnswersInV1beta1) {
  Reviewed r = Review(Fixture("admission_review_v1beta1.json"), MutateOptions{"gpu-scheduler", {}, true});
  EXPECT_EQ(r.review["apiVersion"], "admission.k8s.io/v1beta1");
  EXPECT_EQ(r.review["response"]["uid"], "0c7e1c5a-5b43-4b3f-9b61-0d0e2f6c7a99");
  EXPECT_EQ(Limits(r.pod, 0)["nvidia.com/gpu"], "2");
  EXPECT_EQ(r.pod["spec"]["schedulerName"], "gpu-scheduler");
  EXPECT_FALSE(r.pod["spec"]["containers"][0].contains("env"));  // no priority asked
}

TEST(WebhookReview, RefusesOutOfRangeValuesSayingWhatIsExpected) {
  json request = Fixture("admission_review_v1.json");
  request["request"]["object"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/priority"] = "5";
  Reviewed r = Review(request);
  EXPECT_EQ(r.review["response"]["allowed"], false);
  EXPECT_EQ(r.review["response"]["status"]["message"],
            "vslice-webhook: container 'server': nvidia.com/priority is \"5\", expected 0 to 1 (0 (high) or 1 (normal))");
  EXPECT_FALSE(r.review["response"].contains("patch"));
  request["request"]["object"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/priority"] = "1";
  request["request"]["object"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpucores"] = "150";
  r = Review(request);
  EXPECT_NE(r.review["response"]["status"]["message"].get<std::string>().find(
                "nvidia.com/gpucores is \"150\", expected 0 to 100"),
            std::string::npos);
}

TEST(WebhookReview, LeavesIgnoredPodsNamespacesAndOtherSchedulersAlone) {
  json request = Fixture("admission_review_v1.json");
  request["request"]["object"]["metadata"]["labels"]["hami.io/webhook"] = "ignore";
  Reviewed r = Review(request);
  EXPECT_EQ(r.review["response"]["allowed"], true);
  EXPECT_FALSE(r.review["response"].contains("patch"));
  r = Review(Fixture("admission_review_v1.json"), MutateOptions{"vslice-scheduler", {"team-a"}, true});
  EXPECT_FALSE(r.review["response"].contains("patch"));
  request = Fixture("admission_review_v1.json");
  request["request"]["object"]["spec"]["schedulerName"] = "volcano";
  r = Review(request);
  EXPECT_FALSE(r.review["response"].contains("patch"));
  // Keeping default-scheduler when asked not to overwrite it.
  r = Review(Fixture("admission_review_v1.json"), MutateOptions{"vslice-scheduler", {}, false});
  EXPECT_FALSE(r.review["response"].contains("patch"));
}

TEST(WebhookReview, RefusesPrivilegedGpuContainersAndPreassignedNodes) {
  json request = Fixture("admission_review_v1beta1.json");
  request["request"]["object"]["spec"]["containers"][0]["securityContext"] = {{"privileged", true}};
  Reviewed r = Review(request);
  EXPECT_EQ(r.review["response"]["allowed"], false);
  EXPECT_NE(r.review["response"]["status"]["message"].get<std::string>().find("container 'main' is privileged"),
            std::string::npos);
  request = Fixture("admission_review_v1beta1.json");
  request["request"]["object"]["spec"]["nodeName"] = "node-a";
  r = Review(request);
  EXPECT_NE(r.review["response"]["status"]["message"].get<std::string>().find("remove spec.nodeName"),
            std::string::npos);
}

TEST(WebhookReview, PlainPodsPassUnchangedAndBadReviewsAreBadRequests) {
  json request = Fixture("admission_review_v1.json");
  request["request"]["object"]["spec"]["containers"][0].erase("resources");
  Reviewed r = Review(request);
  EXPECT_EQ(r.review["response"]["allowed"], true);
  EXPECT_FALSE(r.review["response"].contains("patch"));
  int status = 0;
  json answer = ReviewPod(json{{"kind", "AdmissionReview"}, {"apiVersion", "admission.k8s.io/v2"}}, {}, &status);
  EXPECT_EQ(status, 400);
  EXPECT_NE(answer["error"].get<std::string>().find("is not admission.k8s.io/v1"), std::string::npos);
  EXPECT_EQ(Unbase64(Base64("vslice")), "vslice");
  EXPECT_EQ(Base64("ab"), "YWI=");
}

}  // namespace
}  // namespace vslice::webhook

#include "httpd/json_server.h"

namespace vslice::httpd {
namespace {

TEST(WebhookListenAddress, HostAndPortForBothDaemons) {
  std::string host;
  int port = -1;
  ASSERT_TRUE(ParseListenAddress("0.0.0.0:9443", &host, &port));
  EXPECT_EQ(host, "0.0.0.0");
  EXPECT_EQ(port, 9443);
  ASSERT_TRUE(ParseListenAddress("[::]:0", &host, &port));
  EXPECT_EQ(host, "::");
  EXPECT_EQ(port, 0);
  for (const char* bad : {"9443", ":9443", "host:", "host:65536", "host:94x3"}) {
    EXPECT_FALSE(ParseListenAddress(bad, &host, &port)) << bad;
  }
}

}  // namespace
}  // namespace vslice::httpd
