// vslice-scheduler: kube-scheduler extender for fractional GPU pods.
// See docs/KUBERNETES.md, "Control plane".
#include <getopt.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <string>

#include "httpd/json_server.h"
#include "kube/cluster_config.h"
#include "scheduler/scheduler_daemon.h"

namespace {

constexpr const char* kUsage =
    "usage: vslice-scheduler [--listen HOST:PORT] [--tls-cert FILE --tls-key FILE] [--kubeconfig FILE]\n"
    "                        [--node-policy binpack|spread] [--gpu-policy binpack|spread]\n"
    "                        [--lock-wait-ms N] [--lock-expiry-s N] [--verbose]\n"
    "Serves kube-scheduler's extender verbs: POST /filter, /prioritize, /bind; GET /healthz, /readyz.\n"
    "Defaults: --listen 0.0.0.0:8443, HAMi's policies (node binpack, GPU spread), lock wait 15000 ms,\n"
    "lock expiry 300 s. Without --tls-cert/--tls-key it serves plain HTTP.\n";

std::mutex log_mu;
void Log(const std::string& line) {
  std::lock_guard<std::mutex> g(log_mu);
  char when[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  std::fprintf(stderr, "%s vslice-scheduler: %s\n", when, line.c_str());
}

volatile std::sig_atomic_t stop_signal = 0;

// A whole number in [lo, hi] for `option`, or one line saying what is wrong.
bool Whole(const char* option, const std::string& text, long lo, long hi, long* out) {
  char* end = nullptr;
  *out = std::strtol(text.c_str(), &end, 10);
  if (end != text.c_str() && *end == '\0' && *out >= lo && *out <= hi) return true;
  std::fprintf(stderr, "vslice-scheduler: %s \"%s\": expected a whole number from %ld to %ld\n", option, text.c_str(), lo, hi);
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace vslice::scheduler;
  DaemonOptions options;
  std::string kubeconfig;
  static const option kOptions[] = {
      {"listen", required_argument, nullptr, 'l'},     {"tls-cert", required_argument, nullptr, 'c'},
      {"tls-key", required_argument, nullptr, 'k'},    {"kubeconfig", required_argument, nullptr, 'K'},
      {"node-policy", required_argument, nullptr, 'n'}, {"gpu-policy", required_argument, nullptr, 'g'},
      {"lock-wait-ms", required_argument, nullptr, 'w'}, {"lock-expiry-s", required_argument, nullptr, 'e'},
      {"verbose", no_argument, nullptr, 'v'},          {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0}};
  int c;
  long n;
  while ((c = getopt_long(argc, argv, "", kOptions, nullptr)) != -1) {
    const std::string value = optarg ? optarg : "";
    switch (c) {
      case 'l':
        if (!vslice::httpd::ParseListenAddress(value, &options.host, &options.port)) {
          std::fprintf(stderr, "vslice-scheduler: --listen \"%s\": expected HOST:PORT, e.g. 0.0.0.0:8443\n", value.c_str());
          return 2;
        }
        break;
      case 'c': options.tls_cert = value; break;
      case 'k': options.tls_key = value; break;
      case 'K': kubeconfig = value; break;
      case 'n':
      case 'g':
        if (!ParsePolicy(value, c == 'n' ? &options.defaults.node_policy : &options.defaults.gpu_policy)) {
          std::fprintf(stderr, "vslice-scheduler: --%s-policy \"%s\": expected binpack or spread\n",
                       c == 'n' ? "node" : "gpu", value.c_str());
          return 2;
        }
        break;
      case 'w':
        if (!Whole("--lock-wait-ms", value, 0, 600000, &n)) return 2;
        options.timings.lock_wait = std::chrono::milliseconds(n);
        break;
      case 'e':
        if (!Whole("--lock-expiry-s", value, 1, 86400, &n)) return 2;
        options.timings.lock_expiry = std::chrono::seconds(n);
        break;
      case 'v': options.verbose = true; break;
      case 'h': std::fputs(kUsage, stdout); return 0;
      default: std::fputs(kUsage, stderr); return 2;
    }
  }
  if (optind < argc) {
    std::fprintf(stderr, "vslice-scheduler: unexpected argument \"%s\"\n%s", argv[optind], kUsage);
    return 2;
  }
  std::string error;
  std::optional<vslice::kube::ClusterConfig> cluster = vslice::kube::LoadClusterConfig(kubeconfig, &error);
  if (!cluster) {
    std::fprintf(stderr, "vslice-scheduler: %s\n", error.c_str());
    return 1;
  }
  SchedulerDaemon daemon(*cluster, options, Log);
  if (!daemon.Start(&error)) {
    std::fprintf(stderr, "vslice-scheduler: %s\n", error.c_str());
    return 1;
  }
  Log("serving on " + options.host + ":" + std::to_string(daemon.port()) +
      (options.tls_cert.empty() ? " (plain HTTP: give --tls-cert and --tls-key for HTTPS)" : " (HTTPS)") +
      "; API server " + cluster->server + "; policies node " + std::string(PolicyName(options.defaults.node_policy)) +
      ", GPU " + std::string(PolicyName(options.defaults.gpu_policy)));
  std::signal(SIGTERM, [](int) { stop_signal = 1; });
  std::signal(SIGINT, [](int) { stop_signal = 1; });
  while (!stop_signal) pause();
  // Nothing to hand over: binds in flight fail and kube-scheduler retries
  // them. Exit now rather than wait for the current WATCH to end.
  Log("stopping");
  std::fflush(stderr);
  std::_Exit(0);
}
