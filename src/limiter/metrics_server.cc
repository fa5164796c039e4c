#include "limiter/metrics_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

#include "core/clock.h"
#include "core/log.h"

namespace vslice::limiter {
namespace {

constexpr std::size_t kMaxRequestBytes = 8192;
constexpr int kRequestTimeoutMs = 2000;
constexpr int kSendTimeoutMs = 5000;
constexpr int kSampleIntervalMs = 100;

bool ParsePort(std::string_view text, int* port) {
  if (text.empty() || text.size() > 5) return false;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value > 65535) return false;
  *port = value;
  return true;
}

// Sends all of `data`; false when the peer is gone or too slow.
bool SendAll(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

void Respond(int fd, const char* status, const char* content_type, const std::string& body,
             bool head, const char* extra_header = nullptr) {
  std::string response = "HTTP/1.1 ";
  response += status;
  response += "\r\nContent-Type: ";
  response += content_type;
  response += "\r\nContent-Length: " + std::to_string(body.size());
  response += "\r\nConnection: close\r\n";
  if (extra_header != nullptr) {
    response += extra_header;
    response += "\r\n";
  }
  response += "\r\n";
  if (!head) response += body;
  SendAll(fd, response.data(), response.size());
}

}  // namespace

bool ParseMetricsAddress(std::string_view text, MetricsEndpoint* out, std::string* why) {
  MetricsEndpoint e;
  if (text == "off" || text == "none") {
    *out = e;
    return true;
  }
  e.enabled = true;
  std::string_view host = "127.0.0.1";
  std::string_view port = text;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      *why = "an IPv6 address is written [ADDRESS]:PORT";
      return false;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    e.ipv6 = true;
  } else if (const std::size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (!ParsePort(port, &e.port)) {
    *why = "the port must be a number from 0 to 65535";
    return false;
  }
  if (host == "localhost") host = "127.0.0.1";
  if (host == "*") host = "0.0.0.0";
  e.host = std::string(host);
  unsigned char buffer[sizeof(in6_addr)];
  if (inet_pton(e.ipv6 ? AF_INET6 : AF_INET, e.host.c_str(), buffer) != 1) {
    *why = e.ipv6 ? "'" + e.host + "' is not an IPv6 address"
                  : "'" + e.host + "' is not an IPv4 address (or localhost, or *)";
    return false;
  }
  *out = e;
  return true;
}

bool MetricsServer::Start(const MetricsEndpoint& endpoint, MetricsCollector* collector,
                          std::string* error) {
  Stop();
  collector_ = collector;
  const int family = endpoint.ipv6 ? AF_INET6 : AF_INET;
  const int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("cannot create a socket for metrics: ") + std::strerror(errno);
    return false;
  }
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage address{};
  socklen_t length = 0;
  if (endpoint.ipv6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&address);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<std::uint16_t>(endpoint.port));
    inet_pton(AF_INET6, endpoint.host.c_str(), &a->sin6_addr);
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    length = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&address);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<std::uint16_t>(endpoint.port));
    inet_pton(AF_INET, endpoint.host.c_str(), &a->sin_addr);
    length = sizeof *a;
  }
  const std::string where = (endpoint.ipv6 ? "[" + endpoint.host + "]" : endpoint.host) + ":" +
                            std::to_string(endpoint.port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 || listen(fd, 16) != 0) {
    *error = "cannot serve metrics on " + where + ": " + std::strerror(errno);
    close(fd);
    return false;
  }
  // The port the kernel picked, for a requested port of 0.
  sockaddr_storage bound{};
  socklen_t bound_length = sizeof bound;
  int port = endpoint.port;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_length) == 0) {
    port = ntohs(endpoint.ipv6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                               : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  }
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    *error = std::string("cannot create an eventfd for metrics: ") + std::strerror(errno);
    close(fd);
    return false;
  }
  listen_fd_ = fd;
  url_ = "http://" + (endpoint.ipv6 ? "[" + endpoint.host + "]" : endpoint.host) + ":" +
         std::to_string(port) + "/metrics";
  thread_ = std::thread([this] { Run(); });
  return true;
}

void MetricsServer::Stop() {
  if (thread_.joinable()) {
    const std::uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof one);
    thread_.join();
  }
  if (listen_fd_ >= 0) close(listen_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
  listen_fd_ = -1;
  wake_fd_ = -1;
}

void MetricsServer::Run() {
  std::uint64_t last_sample = 0;
  for (;;) {
    const std::uint64_t now = (MonotonicNowNs() / 1'000'000ull);
    if (now - last_sample >= kSampleIntervalMs) {
      collector_->Sample();
      last_sample = now;
    }
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    const int timeout = static_cast<int>(last_sample + kSampleIntervalMs - (MonotonicNowNs() / 1'000'000ull));
    const int ready = poll(fds, 2, timeout < 0 ? 0 : timeout);
    if (ready < 0 && errno != EINTR) {
      Log(LogLevel::kError, "metrics: poll failed: %s; metrics stop", std::strerror(errno));
      return;
    }
    if (ready <= 0) continue;
    if (fds[1].revents != 0) return;  // Stop()
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;  // the peer gave up already, or out of descriptors for now
    Serve(client);
    close(client);
  }
}

void MetricsServer::Serve(int client) {
  const timeval send_timeout{kSendTimeoutMs / 1000, 0};
  setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);

  // Read the request head (up to the blank line), within the deadline.
  std::string request;
  const std::uint64_t deadline = (MonotonicNowNs() / 1'000'000ull) + kRequestTimeoutMs;
  char buffer[2048];
  for (;;) {
    if (request.find("\r\n\r\n") != std::string::npos ||
        request.find("\n\n") != std::string::npos) {
      break;
    }
    if (request.size() >= kMaxRequestBytes) {
      Respond(client, "431 Request Header Fields Too Large", "text/plain; charset=utf-8",
              "request too large\n", false);
      return;
    }
    const std::uint64_t now = (MonotonicNowNs() / 1'000'000ull);
    if (now >= deadline) return;  // too slow: drop it
    pollfd pfd{client, POLLIN, 0};
    const int ready = poll(&pfd, 1, static_cast<int>(deadline - now));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return;
    const ssize_t n = recv(client, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // closed before a whole request came
    request.append(buffer, static_cast<std::size_t>(n));
  }

  // "METHOD TARGET HTTP/1.x"
  const std::size_t line_end = request.find_first_of("\r\n");
  const std::string line = request.substr(0, line_end);
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string::npos ? std::string::npos : line.find(' ', sp1 + 1);
  if (sp1 == std::string::npos || sp2 == std::string::npos ||
      line.compare(sp2 + 1, 5, "HTTP/") != 0) {
    Respond(client, "400 Bad Request", "text/plain; charset=utf-8", "bad request\n", false);
    return;
  }
  const std::string method = line.substr(0, sp1);
  std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (const std::size_t query = target.find('?'); query != std::string::npos) {
    target.resize(query);
  }
  const bool head = method == "HEAD";
  if (method != "GET" && !head) {
    Respond(client, "405 Method Not Allowed", "text/plain; charset=utf-8",
            "only GET and HEAD\n", false, "Allow: GET, HEAD");
    return;
  }
  if (target == "/metrics") {
    std::string text;
    if (collector_->Render(&text)) {
      Respond(client, "200 OK", "text/plain; version=0.0.4; charset=utf-8", text, head);
    } else {
      Respond(client, "503 Service Unavailable", "text/plain; charset=utf-8", text, head);
    }
  } else if (target == "/") {
    Respond(client, "200 OK", "text/plain; charset=utf-8",
            "vslice-limiter: metrics at /metrics\n", head);
  } else {
    Respond(client, "404 Not Found", "text/plain; charset=utf-8", "not found; try /metrics\n",
            head);
  }
}

}  // namespace vslice::limiter
