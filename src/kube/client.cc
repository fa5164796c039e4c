#include "kube/client.h"

#include <curl/curl.h>

#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>

namespace vslice::kube {
namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

std::string Escape(std::string_view text) {
  char* escaped = curl_easy_escape(nullptr, text.data(), static_cast<int>(text.size()));
  std::string out = escaped != nullptr ? escaped : "";
  curl_free(escaped);
  return out;
}

std::string ReadToken(const ClusterConfig& config) {
  if (config.token_file.empty()) return config.token;
  std::ifstream in(config.token_file);
  if (!in) return config.token;  // keep the last token we had
  std::string token((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  return token.empty() ? config.token : token;
}

void SetBlob(CURL* curl, CURLoption option, const std::string& data) {
  curl_blob blob{const_cast<char*>(data.data()), data.size(), CURL_BLOB_COPY};
  curl_easy_setopt(curl, option, &blob);
}

// One line of the reason an API request failed: the Status message when the
// server sent one, else the start of the body.
std::string Reason(long status, const Json& body, const std::string& raw) {
  std::string reason = std::to_string(status);
  if (body.is_object() && body.contains("message") && body["message"].is_string()) {
    return reason + ": " + body["message"].get<std::string>();
  }
  std::string text = raw.substr(0, 200);
  for (char& c : text) {
    if (c == '\n' || c == '\r' || static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return text.empty() ? reason : reason + ": " + text;
}

std::string QueryOf(const Selectors& s) {
  std::string q;
  const auto add = [&](const char* key, const std::string& value) {
    if (value.empty()) return;
    q += q.empty() ? "" : "&";
    q += key;
    q += '=';
    q += Escape(value);
  };
  add("fieldSelector", s.field);
  add("labelSelector", s.label);
  return q;
}

size_t CollectBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// Splits a watch stream into lines, one JSON event each.
struct WatchSink {
  std::string pending;
  std::string raw;  // everything, for a non-200 answer's message
  const std::function<bool(const WatchEvent&)>* on_event = nullptr;
  bool streaming = false;  // the answer is 200: lines are events
  bool stopped = false;
  std::string parse_error;
};

size_t WatchWrite(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<WatchSink*>(user);
  const size_t n = size * count;
  if (!sink->streaming) {
    sink->raw.append(data, n);
    return n;
  }
  sink->pending.append(data, n);
  size_t start = 0;
  for (size_t nl; (nl = sink->pending.find('\n', start)) != std::string::npos; start = nl + 1) {
    const std::string line = sink->pending.substr(start, nl - start);
    if (line.find_first_not_of(" \r\t") == std::string::npos) continue;
    Json event = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (event.is_discarded() || !event.is_object()) {
      sink->parse_error = "watch event is not JSON: " + line.substr(0, 120);
      return 0;
    }
    WatchEvent e;
    e.type = event.value("type", "");
    e.object = event.contains("object") ? event["object"] : Json();
    if (!(*sink->on_event)(e)) {
      sink->stopped = true;
      return 0;  // makes curl stop the transfer
    }
  }
  sink->pending.erase(0, start);
  return n;
}

size_t WatchHeader(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<WatchSink*>(user);
  const std::string line(data, size * count);
  // "HTTP/1.1 200 OK": the body is an event stream.
  if (line.rfind("HTTP/", 0) == 0) {
    const size_t sp = line.find(' ');
    sink->streaming = sp != std::string::npos && line.compare(sp + 1, 3, "200") == 0;
  }
  return size * count;
}

}  // namespace

Client::Client(ClusterConfig config, ClientOptions options)
    : config_(std::move(config)), options_(std::move(options)) {
  GlobalInitOnce();
  while (!config_.server.empty() && config_.server.back() == '/') config_.server.pop_back();
}

namespace {

// Common settings of every request: TLS, authentication, timeouts.
SlistPtr Configure(CURL* curl, const ClusterConfig& config, const ClientOptions& options,
                   const std::string& url, const char* content_type) {
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, options.connect_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options.user_agent.c_str());
  if (config.insecure_skip_tls_verify) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!config.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, config.ca_file.c_str());
  if (!config.ca_data.empty()) SetBlob(curl, CURLOPT_CAINFO_BLOB, config.ca_data);
  if (!config.client_cert_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, config.client_cert_file.c_str());
  }
  if (!config.client_cert_data.empty()) SetBlob(curl, CURLOPT_SSLCERT_BLOB, config.client_cert_data);
  if (!config.client_key_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLKEY, config.client_key_file.c_str());
  }
  if (!config.client_key_data.empty()) SetBlob(curl, CURLOPT_SSLKEY_BLOB, config.client_key_data);

  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Accept: application/json");
  if (content_type != nullptr) {
    headers = curl_slist_append(headers, (std::string("Content-Type: ") + content_type).c_str());
  }
  const std::string token = ReadToken(config);
  if (!token.empty()) {
    headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  return SlistPtr(headers);
}

// A body as JSON; null when empty or not JSON (Reason then quotes the text).
Json ParseBody(const std::string& raw) {
  Json body = Json::parse(raw, nullptr, /*allow_exceptions=*/false);
  return body.is_discarded() ? Json() : body;
}

// "<what>: <curl's message> (server <server>)".
std::string CurlFailure(const std::string& what, const char* curl_error, CURLcode code,
                        const std::string& server) {
  return what + ": " + (curl_error[0] != '\0' ? curl_error : curl_easy_strerror(code)) +
         " (server " + server + ")";
}

}  // namespace

Response Client::Send(const char* method, const std::string& path, const std::string& query,
                      const std::string* body, const char* content_type) const {
  Response r;
  const std::string what = std::string(method) + " " + path;
  CurlPtr curl(curl_easy_init());
  if (!curl) {
    r.error = what + ": cannot create a curl handle";
    return r;
  }
  const std::string url = config_.server + path + (query.empty() ? "" : "?" + query);
  SlistPtr headers = Configure(curl.get(), config_, options_, url, content_type);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, options_.request_timeout_ms);
  curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method);
  if (body != nullptr) {
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  }
  std::string raw;
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, CollectBody);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &raw);
  char curl_error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, curl_error);
  const CURLcode code = curl_easy_perform(curl.get());
  if (code != CURLE_OK) {
    r.error = CurlFailure(what, curl_error, code, config_.server);
    return r;
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &r.status);
  r.body = ParseBody(raw);
  if (r.status < 200 || r.status >= 300) r.error = what + ": " + Reason(r.status, r.body, raw);
  return r;
}

Response Client::Get(const std::string& path) const {
  return Send("GET", path, "", nullptr, nullptr);
}

Response Client::List(const std::string& path, const Selectors& selectors) const {
  return Send("GET", path, QueryOf(selectors), nullptr, nullptr);
}

Response Client::Post(const std::string& path, const Json& body) const {
  const std::string text = body.dump();
  return Send("POST", path, "", &text, "application/json");
}

Response Client::Delete(const std::string& path) const {
  return Send("DELETE", path, "", nullptr, nullptr);
}

Response Client::MergePatch(const std::string& path, const Json& patch) const {
  const std::string text = patch.dump();
  return Send("PATCH", path, "", &text, "application/merge-patch+json");
}

Response Client::PatchWithRetry(
    const std::string& path,
    const std::function<std::optional<Json>(const Json& current)>& make_patch,
    int attempts) const {
  Response last;
  for (int i = 0; i < std::max(attempts, 1); ++i) {
    Response current = Get(path);
    if (!current.ok()) return current;
    std::optional<Json> patch = make_patch(current.body);
    if (!patch) return current;
    const Json version = current.body["metadata"].value("resourceVersion", Json());
    if (!version.is_null()) (*patch)["metadata"]["resourceVersion"] = version;
    last = MergePatch(path, *patch);
    if (!last.conflict()) return last;
  }
  last.error += " (gave up after " + std::to_string(std::max(attempts, 1)) + " attempts)";
  return last;
}

Response Client::Watch(const std::string& path, const Selectors& selectors,
                       const std::string& resource_version, int timeout_seconds,
                       const std::function<bool(const WatchEvent&)>& on_event) const {
  Response r;
  const std::string what = "WATCH " + path;
  CurlPtr curl(curl_easy_init());
  if (!curl) {
    r.error = what + ": cannot create a curl handle";
    return r;
  }
  std::string query = QueryOf(selectors);
  query += (query.empty() ? "" : "&") + std::string("watch=true&allowWatchBookmarks=true");
  if (!resource_version.empty()) query += "&resourceVersion=" + Escape(resource_version);
  if (timeout_seconds > 0) query += "&timeoutSeconds=" + std::to_string(timeout_seconds);
  const std::string url = config_.server + path + "?" + query;
  SlistPtr headers = Configure(curl.get(), config_, options_, url, nullptr);
  if (timeout_seconds > 0) {
    // The server ends the stream at timeoutSeconds; give it some slack.
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, (timeout_seconds + 10) * 1000L);
  }
  WatchSink sink;
  sink.on_event = &on_event;
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, WatchWrite);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, WatchHeader);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &sink);
  char curl_error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, curl_error);
  const CURLcode code = curl_easy_perform(curl.get());
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &r.status);
  if (sink.stopped) return r;
  if (!sink.parse_error.empty()) {
    r.error = what + ": " + sink.parse_error;
    return r;
  }
  if (code != CURLE_OK) {
    r.error = CurlFailure(what, curl_error, code, config_.server);
    return r;
  }
  if (r.status != 200) {
    r.body = ParseBody(sink.raw);
    r.error = what + ": " + Reason(r.status, r.body, sink.raw);
  }
  return r;
}

std::string NodesPath() { return "/api/v1/nodes"; }
std::string NodePath(std::string_view name) { return "/api/v1/nodes/" + Escape(name); }
std::string PodsPath(std::string_view ns) {
  return ns.empty() ? "/api/v1/pods" : "/api/v1/namespaces/" + Escape(ns) + "/pods";
}
std::string PodPath(std::string_view ns, std::string_view name) {
  return PodsPath(ns) + "/" + Escape(name);
}
std::string PodBindingPath(std::string_view ns, std::string_view name) {
  return PodPath(ns, name) + "/binding";
}

Json AnnotationsPatch(const Json& annotations) {
  return Json{{"metadata", Json{{"annotations", annotations}}}};
}

std::optional<std::string> Annotation(const Json& object, std::string_view key) {
  if (!object.is_object()) return std::nullopt;
  const auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return std::nullopt;
  const auto annos = meta->find("annotations");
  if (annos == meta->end() || !annos->is_object()) return std::nullopt;
  const auto value = annos->find(std::string(key));
  if (value == annos->end() || !value->is_string()) return std::nullopt;
  return value->get<std::string>();
}

}  // namespace vslice::kube
