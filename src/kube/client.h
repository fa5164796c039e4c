// A small Kubernetes API client for vslice's daemons: JSON over HTTP(S)
// with libcurl and nlohmann::json, no generated types.
//
// Every call returns a Response. On failure `error` is one line naming the
// request and why it failed, with the API server's own explanation (the
// Status object's message) when it sent one, e.g.
//   PATCH /api/v1/nodes/n1: 409 Conflict: Operation cannot be fulfilled on
//   nodes "n1": the object has been modified; please apply your changes to
//   the latest version and try again
// Paths are API paths ("/api/v1/nodes/n1"); the helpers below build them.
//
// Thread safety: a Client may be used from several threads at once (each
// request has its own curl handle).
#ifndef VSLICE_KUBE_CLIENT_H_
#define VSLICE_KUBE_CLIENT_H_

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "kube/cluster_config.h"

namespace vslice::kube {

using Json = nlohmann::json;

struct Response {
  long status = 0;    // HTTP status; 0 when no response came
  Json body;          // the decoded body (null when empty or not JSON)
  std::string error;  // empty on success (2xx)
  bool ok() const { return error.empty(); }
  bool conflict() const { return status == 409; }
  bool not_found() const { return status == 404; }
};

// Selectors of a LIST or WATCH, in the API's syntax:
// field "spec.nodeName=n1,status.phase=Pending", label "app=x,tier!=db".
struct Selectors {
  std::string field = {};
  std::string label = {};
};

struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
  Json object;
};

struct ClientOptions {
  long connect_timeout_ms = 5000;
  long request_timeout_ms = 30000;  // not applied to watches
  std::string user_agent = "vslice";
};

class Client {
 public:
  explicit Client(ClusterConfig config, ClientOptions options = {});

  Response Get(const std::string& path) const;
  Response List(const std::string& path, const Selectors& selectors = {}) const;
  Response Post(const std::string& path, const Json& body) const;
  Response Delete(const std::string& path) const;
  // RFC 7386 merge patch (application/merge-patch+json). A patch that carries
  // metadata.resourceVersion is refused with 409 when the object changed.
  Response MergePatch(const std::string& path, const Json& patch) const;

  // Optimistic read-modify-write: GETs the object, asks `make_patch` for a
  // merge patch against it, and sends it with the object's resourceVersion.
  // On 409 it starts over, up to `attempts` times. `make_patch` returning
  // nullopt means nothing needs changing: the object read is returned as is.
  Response PatchWithRetry(const std::string& path,
                          const std::function<std::optional<Json>(const Json& current)>& make_patch,
                          int attempts = 5) const;

  // Streams changes after `resource_version` (empty: from now, after the
  // current state as ADDED events) for up to `timeout_seconds`, calling
  // `on_event` for each until it returns false. A Response with ok() means
  // the watch ended (timeout, or on_event said stop); an ERROR event (for
  // example 410 Gone: the version is too old) is passed to on_event.
  Response Watch(const std::string& path, const Selectors& selectors,
                 const std::string& resource_version, int timeout_seconds,
                 const std::function<bool(const WatchEvent&)>& on_event) const;

 private:
  Response Send(const char* method, const std::string& path, const std::string& query,
                const std::string* body, const char* content_type) const;

  ClusterConfig config_;
  ClientOptions options_;
};

// API paths. An empty namespace means all namespaces where the API has such
// a path (pods), as `kubectl -A` does.
std::string NodesPath();
std::string NodePath(std::string_view name);
std::string PodsPath(std::string_view ns = {});
std::string PodPath(std::string_view ns, std::string_view name);
std::string PodBindingPath(std::string_view ns, std::string_view name);

// A merge patch that sets (or, with a null value, removes) annotations:
// {"metadata":{"annotations":{...}}}.
Json AnnotationsPatch(const Json& annotations);

// metadata.annotations[key] of an object, or nullopt.
std::optional<std::string> Annotation(const Json& object, std::string_view key);

}  // namespace vslice::kube

#endif  // VSLICE_KUBE_CLIENT_H_
