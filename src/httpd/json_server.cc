#include "httpd/json_server.h"

#include <httplib.h>

#include <chrono>
#include <fstream>

namespace vslice::httpd {

bool ParseListenAddress(const std::string& text, std::string* host, int* port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return false;
  long value = 0;
  for (std::size_t i = colon + 1; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9' || (value = value * 10 + (text[i] - '0')) > 65535) return false;
  }
  *host = text.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
  *port = static_cast<int>(value);
  return true;
}

JsonServer::JsonServer() = default;

JsonServer::~JsonServer() { Stop(); }

void JsonServer::Post(const std::string& path, PostHandler handler) { posts_.emplace_back(path, std::move(handler)); }

void JsonServer::Get(const std::string& path, ProbeHandler handler, std::string message) {
  gets_.emplace_back(path, std::move(handler), std::move(message));
}

void JsonServer::Install() {
  for (auto& [path, handler] : posts_) {
    server_->Post(path, [this, path = path, handler = handler](const httplib::Request& req, httplib::Response& res) {
      const auto start = std::chrono::steady_clock::now();
      int status = 200;
      nlohmann::json body = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
      nlohmann::json out;
      if (body.is_discarded()) {
        status = 400;
        out = {{"Error", "the request body is not JSON"}, {"error", "the request body is not JSON"}};
      } else {
        out = handler(body, &status);
      }
      res.status = status;
      res.set_content(out.dump(), "application/json");
      if (log_) {
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
        log_("POST " + path + " " + std::to_string(status) + " " + std::to_string(us.count() / 1000.0) + " ms");
      }
    });
  }
  for (auto& [path, handler, message] : gets_) {
    server_->Get(path, [handler = handler, message = message](const httplib::Request&, httplib::Response& res) {
      res.status = handler();
      res.set_content(res.status == 200 ? "ok\n" : message + "\n", "text/plain");
    });
  }
}

bool JsonServer::Listen(const std::string& host, int port, const std::string& cert_file, const std::string& key_file,
                        std::string* error) {
  const bool tls = !cert_file.empty() || !key_file.empty();
  if (tls) {
    for (const std::string& f : {cert_file, key_file}) {
      if (f.empty() || !std::ifstream(f).good()) {
        *error = "TLS needs both a certificate and a key file; cannot read \"" + f + "\"";
        return false;
      }
    }
    auto ssl = std::make_unique<httplib::SSLServer>(cert_file.c_str(), key_file.c_str());
    if (!ssl->is_valid()) {
      *error = "cannot load the TLS certificate " + cert_file + " with key " + key_file + " (PEM expected)";
      return false;
    }
    server_ = std::move(ssl);
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  // kube-scheduler keeps connections open; bound the threads and waits.
  server_->set_keep_alive_max_count(1000);
  // Replies go out in more than one write: without this, Nagle's algorithm
  // and the client's delayed ACK add 40 ms to every answer.
  server_->set_tcp_nodelay(true);
  // A bind may wait seconds for a node lock; filters must not queue
  // behind it, so there are threads to spare.
  server_->new_task_queue = [] { return new httplib::ThreadPool(64); };
  server_->set_read_timeout(30, 0);
  Install();
  port_ = port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (port_ <= 0) {
    *error = "cannot listen on " + host + ":" + std::to_string(port);
    return false;
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  for (int i = 0; i < 2000 && !server_->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return true;
}

void JsonServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace vslice::httpd
