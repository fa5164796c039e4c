// A minimal HTTP/1.x responder for Prometheus: GET (or HEAD) /metrics
// answers the pod's metrics as text/plain; version=0.0.4, / a pointer to
// /metrics, anything else 404 (405 for other methods). One connection at a
// time, "Connection: close", requests up to 8 KiB, 2 s to send a request:
// a scraper needs no more, and a slow or hostile client can delay only
// other scrapes, never the limiter.
//
// It runs on a thread of its own, which also calls MetricsCollector::Sample()
// every 100 ms; the limiter's passes and its compute arbitration never wait
// for it.
#ifndef VSLICE_LIMITER_METRICS_SERVER_H_
#define VSLICE_LIMITER_METRICS_SERVER_H_

#include <string>
#include <string_view>
#include <thread>

#include "limiter/metrics.h"

namespace vslice::limiter {

// Where to listen. Parsed from "off", "PORT", "HOST:PORT" or "[IPV6]:PORT";
// HOST is an IPv4 address, "localhost" (127.0.0.1) or "*" (every IPv4
// interface); PORT 0..65535, 0 for one the kernel picks.
struct MetricsEndpoint {
  bool enabled = false;
  bool ipv6 = false;
  std::string host;  // numeric address
  int port = 0;
};

// False, with the reason in `why`, when `text` is none of the forms above.
bool ParseMetricsAddress(std::string_view text, MetricsEndpoint* out, std::string* why);

class MetricsServer {
 public:
  MetricsServer() = default;
  ~MetricsServer() { Stop(); }
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds and starts the thread. False, with one line in `error`, when the
  // address cannot be bound.
  bool Start(const MetricsEndpoint& endpoint, MetricsCollector* collector, std::string* error);
  // Stops the thread and closes the socket (idempotent).
  void Stop();

  // "http://127.0.0.1:9400/metrics", with the port actually bound.
  const std::string& url() const { return url_; }

 private:
  void Run();
  void Serve(int client);

  MetricsCollector* collector_ = nullptr;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: Stop() wakes the thread
  std::thread thread_;
  std::string url_;
};

}  // namespace vslice::limiter

#endif  // VSLICE_LIMITER_METRICS_SERVER_H_
