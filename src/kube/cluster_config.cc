#include "kube/cluster_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace vslice::kube {
namespace {

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Trim(std::string s) {
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

// The entry of a kubeconfig list ("clusters", "users", "contexts") named
// `name`, as its inner map ("cluster", "user", "context").
std::optional<YAML::Node> NamedEntry(const YAML::Node& root, const char* list, const char* inner,
                                     const std::string& name) {
  const YAML::Node entries = root[list];
  if (!entries || !entries.IsSequence()) return std::nullopt;
  for (const YAML::Node& entry : entries) {
    const YAML::Node entry_name = entry["name"];
    if (entry_name && entry_name.IsScalar() && entry_name.as<std::string>() == name) {
      const YAML::Node value = entry[inner];
      return value && value.IsMap() ? value : YAML::Node(YAML::NodeType::Map);
    }
  }
  return std::nullopt;
}

std::string Scalar(const YAML::Node& node, const char* key) {
  const YAML::Node value = node[key];
  return value && value.IsScalar() ? value.as<std::string>() : std::string();
}

// base64 "-data" fields carry PEM bytes.
bool DecodeData(const YAML::Node& node, const char* key, std::string* out, std::string* error) {
  const std::string text = Scalar(node, key);
  if (text.empty()) return true;
  const std::vector<unsigned char> bytes = YAML::DecodeBase64(text);
  if (bytes.empty()) {
    *error = std::string(key) + " is not valid base64: expected the base64 of a PEM file";
    return false;
  }
  out->assign(bytes.begin(), bytes.end());
  return true;
}

std::string Resolve(const std::filesystem::path& base, const std::string& file) {
  if (file.empty() || std::filesystem::path(file).is_absolute()) return file;
  return (base / file).string();
}

}  // namespace

std::optional<ClusterConfig> InClusterConfig(std::string* error, std::string_view secrets_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || *host == '\0' || port == nullptr || *port == '\0') {
    *error =
        "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not "
        "set (give a kubeconfig to run outside the cluster)";
    return std::nullopt;
  }
  ClusterConfig config;
  const std::string h = host;
  // An IPv6 service address needs brackets in a URL.
  config.server = "https://" + (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + port;
  const std::string dir(secrets_dir);
  config.token_file = dir + "/token";
  const std::optional<std::string> token = ReadFile(config.token_file);
  if (!token || Trim(*token).empty()) {
    *error = "cannot read the service-account token " + config.token_file +
             ": mount the pod's service account (automountServiceAccountToken)";
    return std::nullopt;
  }
  config.token = Trim(*token);
  if (std::filesystem::exists(dir + "/ca.crt")) config.ca_file = dir + "/ca.crt";
  if (const std::optional<std::string> ns = ReadFile(dir + "/namespace"); ns && !Trim(*ns).empty()) {
    config.default_namespace = Trim(*ns);
  }
  return config;
}

std::optional<ClusterConfig> KubeconfigConfig(const std::string& path, std::string* error,
                                              std::string_view context_name) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    *error = "kubeconfig " + path + ": " + e.what();
    return std::nullopt;
  }
  const auto fail = [&](const std::string& what) {
    *error = "kubeconfig " + path + ": " + what;
    return std::nullopt;
  };
  if (!root.IsMap()) return fail("is not a kubeconfig (expected a YAML map with clusters, users, contexts)");
  std::string name(context_name);
  if (name.empty()) name = Scalar(root, "current-context");
  if (name.empty()) return fail("has no current-context; name a context");
  const std::optional<YAML::Node> found_context = NamedEntry(root, "contexts", "context", name);
  if (!found_context) return fail("has no context named \"" + name + "\"");
  const YAML::Node& context = *found_context;
  const std::string cluster_name = Scalar(context, "cluster");
  const std::string user_name = Scalar(context, "user");
  const std::optional<YAML::Node> found_cluster = NamedEntry(root, "clusters", "cluster", cluster_name);
  if (!found_cluster) return fail("context \"" + name + "\" names cluster \"" + cluster_name + "\", which is not in clusters");

  const std::filesystem::path base = std::filesystem::path(path).parent_path();
  const YAML::Node& cluster = *found_cluster;
  ClusterConfig config;
  config.server = Scalar(cluster, "server");
  if (config.server.empty()) return fail("cluster \"" + cluster_name + "\" has no server");
  config.ca_file = Resolve(base, Scalar(cluster, "certificate-authority"));
  config.insecure_skip_tls_verify = Scalar(cluster, "insecure-skip-tls-verify") == "true";
  std::string why;
  if (!DecodeData(cluster, "certificate-authority-data", &config.ca_data, &why)) return fail(why);
  if (const std::string ns = Scalar(context, "namespace"); !ns.empty()) config.default_namespace = ns;

  if (!user_name.empty()) {
    const std::optional<YAML::Node> found_user = NamedEntry(root, "users", "user", user_name);
    if (!found_user) return fail("context \"" + name + "\" names user \"" + user_name + "\", which is not in users");
    const YAML::Node& user = *found_user;
    if (user["exec"] || user["auth-provider"]) {
      return fail("user \"" + user_name +
                  "\" authenticates through an exec or auth-provider plugin, which vslice does not "
                  "run: use a token or a client certificate");
    }
    config.token = Scalar(user, "token");
    config.token_file = Resolve(base, Scalar(user, "tokenFile"));
    if (!config.token_file.empty()) {
      const std::optional<std::string> token = ReadFile(config.token_file);
      if (!token) return fail("cannot read tokenFile " + config.token_file);
      config.token = Trim(*token);
    }
    config.client_cert_file = Resolve(base, Scalar(user, "client-certificate"));
    config.client_key_file = Resolve(base, Scalar(user, "client-key"));
    if (!DecodeData(user, "client-certificate-data", &config.client_cert_data, &why) ||
        !DecodeData(user, "client-key-data", &config.client_key_data, &why)) {
      return fail(why);
    }
  }
  return config;
}

std::optional<ClusterConfig> LoadClusterConfig(const std::string& kubeconfig, std::string* error) {
  if (!kubeconfig.empty()) return KubeconfigConfig(kubeconfig, error);
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  if (host != nullptr && *host != '\0') return InClusterConfig(error);
  if (const char* env = std::getenv("KUBECONFIG"); env != nullptr && *env != '\0') {
    // KUBECONFIG may list several files; the first one is used.
    std::string first = env;
    first = first.substr(0, first.find(':'));
    return KubeconfigConfig(first, error);
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    const std::string path = std::string(home) + "/.kube/config";
    if (std::filesystem::exists(path)) return KubeconfigConfig(path, error);
  }
  *error =
      "no Kubernetes API configuration: not in a cluster (KUBERNETES_SERVICE_HOST unset), no "
      "--kubeconfig, no KUBECONFIG and no ~/.kube/config";
  return std::nullopt;
}

}  // namespace vslice::kube
