// vslice-webhook: the mutating admission webhook for GPU pods.
// See docs/KUBERNETES.md, "Control plane".
#include <getopt.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "hami/fields.h"
#include "httpd/json_server.h"
#include "webhook/admission.h"
#include "webhook/mutate.h"

namespace {

constexpr const char* kUsage =
    "usage: vslice-webhook --tls-cert FILE --tls-key FILE [--listen HOST:PORT] [--scheduler-name NAME]\n"
    "                      [--ignore-namespaces NS,NS...] [--keep-default-scheduler]\n"
    "Serves POST /mutate (also /webhook, HAMi's path) with AdmissionReview v1 and v1beta1; GET /healthz.\n"
    "Defaults: --listen 0.0.0.0:9443, --scheduler-name vslice-scheduler.\n";

volatile std::sig_atomic_t stop_signal = 0;

}  // namespace

int main(int argc, char** argv) {
  using namespace vslice;
  webhook::MutateOptions options;
  std::string host = "0.0.0.0", cert, key;
  int port = 9443;
  static const option kOptions[] = {{"listen", required_argument, nullptr, 'l'},
                                    {"tls-cert", required_argument, nullptr, 'c'},
                                    {"tls-key", required_argument, nullptr, 'k'},
                                    {"scheduler-name", required_argument, nullptr, 's'},
                                    {"ignore-namespaces", required_argument, nullptr, 'i'},
                                    {"keep-default-scheduler", no_argument, nullptr, 'd'},
                                    {"help", no_argument, nullptr, 'h'},
                                    {nullptr, 0, nullptr, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "", kOptions, nullptr)) != -1) {
    const std::string value = optarg ? optarg : "";
    switch (c) {
      case 'l':
        if (!httpd::ParseListenAddress(value, &host, &port)) {
          std::fprintf(stderr, "vslice-webhook: --listen \"%s\": expected HOST:PORT, e.g. 0.0.0.0:9443\n", value.c_str());
          return 2;
        }
        break;
      case 'c': cert = value; break;
      case 'k': key = value; break;
      case 's': options.scheduler_name = value; break;
      case 'i':
        for (std::string_view ns : hami::SplitFields(value, ',')) {
          ns = hami::TrimField(ns);
          if (!ns.empty()) options.ignored_namespaces.emplace(ns);
        }
        break;
      case 'd': options.overwrite_default_scheduler = false; break;
      case 'h': std::fputs(kUsage, stdout); return 0;
      default: std::fputs(kUsage, stderr); return 2;
    }
  }
  if (cert.empty() || key.empty()) {
    std::fprintf(stderr, "vslice-webhook: the API server calls webhooks over TLS only: give --tls-cert and --tls-key\n");
    return 2;
  }
  httpd::JsonServer server;
  auto review = [&](const nlohmann::json& body, int* status) { return webhook::ReviewPod(body, options, status); };
  server.Post("/mutate", review);
  server.Post("/webhook", review);
  server.Get("/healthz", [] { return 200; }, "");
  std::string error;
  if (!server.Listen(host, port, cert, key, &error)) {
    std::fprintf(stderr, "vslice-webhook: %s\n", error.c_str());
    return 1;
  }
  std::fprintf(stderr, "vslice-webhook: serving on %s:%d (HTTPS), scheduler name %s\n", host.c_str(), server.port(),
               options.scheduler_name.c_str());
  std::signal(SIGTERM, [](int) { stop_signal = 1; });
  std::signal(SIGINT, [](int) { stop_signal = 1; });
  while (!stop_signal) pause();
  server.Stop();
  return 0;
}
