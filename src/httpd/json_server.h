// An HTTPS (or, without a certificate, plain HTTP) server answering JSON
// POSTs, for the control-plane daemons: kube-scheduler and the API server
// call them with JSON bodies and expect JSON back. Built on cpp-httplib.
//
//   JsonServer server;
//   server.Post("/filter", [&](const nlohmann::json& in, int* status) { return Filter(in); });
//   server.Get("/readyz", [&] { return ready ? 200 : 503; }, "waiting for the first LIST");
//   if (!server.Listen("0.0.0.0", 8443, cert, key, &error)) ...
//   server.Stop();
#ifndef VSLICE_HTTPD_JSON_SERVER_H_
#define VSLICE_HTTPD_JSON_SERVER_H_

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace vslice::httpd {

// "HOST:PORT" (IPv6 as "[::]:PORT") into host and port 0-65535; false when
// it is not that.
bool ParseListenAddress(const std::string& text, std::string* host, int* port);

class JsonServer {
 public:
  // Handles a decoded body; sets *status when not 200.
  using PostHandler = std::function<nlohmann::json(const nlohmann::json& body, int* status)>;
  // A probe: returns the status; `message` is the body when not 200.
  using ProbeHandler = std::function<int()>;

  JsonServer();
  ~JsonServer();

  void Post(const std::string& path, PostHandler handler);
  void Get(const std::string& path, ProbeHandler handler, std::string message);
  // Every request that was served or refused, one line each (method, path,
  // status, milliseconds), when set.
  void OnLog(std::function<void(const std::string&)> log) { log_ = std::move(log); }

  // Binds (port 0: any free port; see port()) and serves on a thread. With
  // cert_file and key_file, TLS; else plain HTTP. False with *error.
  bool Listen(const std::string& host, int port, const std::string& cert_file, const std::string& key_file,
              std::string* error);
  int port() const { return port_; }
  void Stop();

 private:
  void Install();
  std::unique_ptr<httplib::Server> server_;
  std::function<void(const std::string&)> log_;
  std::vector<std::pair<std::string, PostHandler>> posts_;
  std::vector<std::tuple<std::string, ProbeHandler, std::string>> gets_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace vslice::httpd

#endif  // VSLICE_HTTPD_JSON_SERVER_H_
