// Where the Kubernetes API server is and how to authenticate to it.
//
// Two sources, as client-go has them:
//   - in-cluster: KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT and the
//     pod's service-account token and CA bundle under
//     /var/run/secrets/kubernetes.io/serviceaccount;
//   - a kubeconfig file (for running outside the cluster): its current
//     context (or a named one), that context's cluster and user.
// Exec and auth-provider plugins of a kubeconfig are not supported; such a
// user is refused with a message that says so.
#ifndef VSLICE_KUBE_CLUSTER_CONFIG_H_
#define VSLICE_KUBE_CLUSTER_CONFIG_H_

#include <optional>
#include <string>
#include <string_view>

namespace vslice::kube {

inline constexpr std::string_view kServiceAccountDir =
    "/var/run/secrets/kubernetes.io/serviceaccount";

struct ClusterConfig {
  std::string server;  // "https://10.96.0.1:443" or "http://127.0.0.1:8080"
  // Bearer token. When token_file is set it is read again before each
  // request, because projected service-account tokens are rotated.
  std::string token;
  std::string token_file;
  // Trust for the server's certificate: a PEM file or PEM bytes (neither:
  // the system's trust store).
  std::string ca_file;
  std::string ca_data;
  // Client certificate authentication (PEM file or bytes each).
  std::string client_cert_file;
  std::string client_cert_data;
  std::string client_key_file;
  std::string client_key_data;
  bool insecure_skip_tls_verify = false;
  // The context's namespace, "default" when it names none.
  std::string default_namespace = "default";
};

// From the environment and the service-account folder (`secrets_dir`,
// replaceable for tests). nullopt, with one line in `error`, when
// KUBERNETES_SERVICE_HOST/PORT are unset or the token cannot be read.
std::optional<ClusterConfig> InClusterConfig(std::string* error,
                                             std::string_view secrets_dir = kServiceAccountDir);

// From a kubeconfig file; `context` empty: its current-context. Relative
// file names in it are relative to the kubeconfig's folder.
std::optional<ClusterConfig> KubeconfigConfig(const std::string& path, std::string* error,
                                              std::string_view context = {});

// The configuration a daemon uses: `kubeconfig` when given; otherwise
// in-cluster when KUBERNETES_SERVICE_HOST is set; otherwise $KUBECONFIG,
// then ~/.kube/config.
std::optional<ClusterConfig> LoadClusterConfig(const std::string& kubeconfig, std::string* error);

}  // namespace vslice::kube

#endif  // VSLICE_KUBE_CLUSTER_CONFIG_H_
