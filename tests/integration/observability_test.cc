// Seeing and steering a pod: the limiter's Prometheus metrics, `vslice
// status` and `vslice top`, `vslice set`, and the pod's own view through NVML
// (utilization, running processes). Real processes on the simulated device.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/pod_region.h"
#include "process_harness.h"

namespace vslice::testing {
namespace {

using std::chrono::milliseconds;

constexpr unsigned long long kMiB = 1ull << 20;
constexpr unsigned long long kGiB = 1ull << 30;

std::string Probe() { return BinDir() + "/vslice_probe"; }
std::string Limiter() { return BinDir() + "/vslice-limiter"; }
std::string Cli() { return BinDir() + "/vslice"; }

bool Contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The environment of the operator's tools: the pod's, without the interceptor.
std::map<std::string, std::string> ToolEnvironment(std::map<std::string, std::string> env) {
  env.erase("LD_PRELOAD");
  return env;
}

// ---- A minimal JSON reader, enough for `vslice status --json`. -----------

struct Json {
  enum Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = kNull;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Json> array;
  std::vector<std::pair<std::string, Json>> object;

  bool Has(const std::string& key) const {
    for (const auto& [k, v] : object) {
      if (k == key) return true;
    }
    return false;
  }
  const Json& operator[](const std::string& key) const {
    for (const auto& [k, v] : object) {
      if (k == key) return v;
    }
    static const Json null;
    return null;
  }
  const Json& operator[](std::size_t i) const {
    static const Json null;
    return i < array.size() ? array[i] : null;
  }
  bool is_null() const { return type == kNull; }
};

class JsonReader {
 public:
  explicit JsonReader(const std::string& text) : text_(text) {}
  Json Parse() {
    Json value = Value();
    Space();
    if (at_ != text_.size()) Fail("trailing characters");
    return value;
  }

 private:
  [[noreturn]] void Fail(const std::string& why) {
    throw std::runtime_error("bad JSON at " + std::to_string(at_) + ": " + why);
  }
  void Space() {
    while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_]))) ++at_;
  }
  bool Eat(char c) {
    Space();
    if (at_ < text_.size() && text_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }
  void Expect(char c) {
    if (!Eat(c)) Fail(std::string("expected ") + c);
  }
  bool Word(const char* word) {
    const std::size_t n = std::strlen(word);
    if (text_.compare(at_, n, word) != 0) return false;
    at_ += n;
    return true;
  }
  std::string String() {
    Expect('"');
    std::string out;
    while (at_ < text_.size() && text_[at_] != '"') {
      char c = text_[at_++];
      if (c == '\\') {
        if (at_ >= text_.size()) Fail("bad escape");
        c = text_[at_++];
        switch (c) {
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          case 'r': out += '\r'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'u': out += '?'; at_ += 4; break;
          default: out += c; break;
        }
      } else {
        out += c;
      }
    }
    Expect('"');
    return out;
  }
  Json Value() {
    Space();
    Json v;
    if (at_ >= text_.size()) Fail("unexpected end");
    const char c = text_[at_];
    if (c == '{') {
      ++at_;
      v.type = Json::kObject;
      if (Eat('}')) return v;
      do {
        Space();
        std::string key = String();
        Expect(':');
        v.object.emplace_back(key, Value());
      } while (Eat(','));
      Expect('}');
    } else if (c == '[') {
      ++at_;
      v.type = Json::kArray;
      if (Eat(']')) return v;
      do {
        v.array.push_back(Value());
      } while (Eat(','));
      Expect(']');
    } else if (c == '"') {
      v.type = Json::kString;
      v.string = String();
    } else if (Word("true")) {
      v.type = Json::kBool;
      v.boolean = true;
    } else if (Word("false")) {
      v.type = Json::kBool;
    } else if (Word("null")) {
      v.type = Json::kNull;
    } else {
      std::size_t used = 0;
      v.type = Json::kNumber;
      try {
        v.number = std::stod(text_.substr(at_, 40), &used);
      } catch (const std::exception&) {
        Fail("bad value");
      }
      at_ += used;
    }
    return v;
  }

  const std::string& text_;
  std::size_t at_ = 0;
};

Json ParseJson(const std::string& text) { return JsonReader(text).Parse(); }

// ---- Prometheus text and HTTP. ------------------------------------------

struct MetricSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct Scrape {
  std::vector<MetricSample> samples;
  std::map<std::string, std::string> types;  // name -> counter/gauge
  std::set<std::string> helps;

  // The value of the one sample of `name` whose labels include `labels`.
  std::optional<double> Value(const std::string& name,
                              const std::map<std::string, std::string>& labels = {}) const {
    std::optional<double> found;
    for (const MetricSample& s : samples) {
      if (s.name != name) continue;
      bool match = true;
      for (const auto& [k, v] : labels) {
        auto it = s.labels.find(k);
        match = match && it != s.labels.end() && it->second == v;
      }
      if (!match) continue;
      if (found) {
        ADD_FAILURE() << "more than one sample of " << name << " matches";
        return std::nullopt;
      }
      found = s.value;
    }
    return found;
  }
};

Scrape ParseMetrics(const std::string& text) {
  Scrape scrape;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0) {
      scrape.helps.insert(line.substr(7, line.find(' ', 7) - 7));
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      const std::size_t sp = line.find(' ', 7);
      scrape.types[line.substr(7, sp - 7)] = line.substr(sp + 1);
      continue;
    }
    if (line[0] == '#') continue;
    MetricSample s;
    const std::size_t brace = line.find('{');
    const std::size_t space = line.rfind(' ');
    if (brace != std::string::npos && brace < space) {
      s.name = line.substr(0, brace);
      const std::size_t close = line.rfind('}');
      std::string labels = line.substr(brace + 1, close - brace - 1);
      // name="value" pairs; values in these tests hold no escaped quotes.
      std::size_t at = 0;
      while (at < labels.size()) {
        const std::size_t eq = labels.find('=', at);
        const std::size_t q1 = labels.find('"', eq);
        const std::size_t q2 = labels.find('"', q1 + 1);
        s.labels[labels.substr(at, eq - at)] = labels.substr(q1 + 1, q2 - q1 - 1);
        at = q2 + 1;
        if (at < labels.size() && labels[at] == ',') ++at;
      }
    } else {
      s.name = line.substr(0, space);
    }
    s.value = std::stod(line.substr(space + 1));
    scrape.samples.push_back(s);
  }
  return scrape;
}

struct HttpResponse {
  std::string status_line;
  std::string head;
  std::string body;
};

// One request to 127.0.0.1:port over a plain socket; the server closes.
HttpResponse HttpGet(int port, const std::string& path, const std::string& method = "GET") {
  HttpResponse response;
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ADD_FAILURE() << "cannot connect to port " << port << ": " << std::strerror(errno);
    close(fd);
    return response;
  }
  const timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  const std::string request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    ADD_FAILURE() << "send failed";
  }
  std::string all;
  char buffer[4096];
  for (ssize_t n; (n = recv(fd, buffer, sizeof buffer, 0)) > 0;) all.append(buffer, n);
  close(fd);
  const std::size_t end = all.find("\r\n\r\n");
  response.head = all.substr(0, end);
  response.status_line = all.substr(0, all.find("\r\n"));
  if (end != std::string::npos) response.body = all.substr(end + 4);
  return response;
}

// A pod: its region in the scratch folder, its environment, its limiter.
class Pod {
 public:
  Pod(const Scratch& scratch, const std::string& name,
      const std::map<std::string, std::string>& extra = {})
      : scratch_(scratch), name_(name), env_(PodEnvironment(scratch)) {
    env_["VSLICE_REGION"] = scratch.File(name + ".region");
    for (const auto& [k, v] : extra) env_[k] = v;
  }

  // Starts the limiter with `args`, logging to <name>.limiter.log, and waits
  // until its first pass (or, with metrics, until it names its address).
  void StartLimiter(std::vector<std::string> args = {}, bool metrics = false) {
    std::vector<std::string> argv{Limiter(), "--region", region(), "--log-file", log_path()};
    argv.insert(argv.end(), args.begin(), args.end());
    limiter_ = std::make_unique<Background>(argv, env_);
    const auto end = std::chrono::steady_clock::now() + milliseconds(10000);
    while (std::chrono::steady_clock::now() < end) {
      const std::string log = ReadFile(log_path());
      if (!metrics && Contains(log, "limiter pid")) break;
      if (const std::size_t at = log.find("serving metrics at http://127.0.0.1:");
          at != std::string::npos) {
        port_ = std::stoi(log.substr(at + std::strlen("serving metrics at http://127.0.0.1:")));
        break;
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
    std::this_thread::sleep_for(milliseconds(200));  // its first passes
  }

  std::unique_ptr<Background> Hold(const std::string& size) {
    auto p = std::make_unique<Background>(
        std::vector<std::string>{Probe(), "alloc:mem:" + size, "ready", "wait"}, env_);
    EXPECT_TRUE(p->WaitForLine("ready")) << "a probe of pod " << name_ << " did not start";
    return p;
  }

  ProcessResult Cli(std::vector<std::string> args) {
    args.insert(args.begin(), vslice::testing::Cli());
    return RunProcess(args, ToolEnvironment(env_));
  }

  std::map<std::string, std::string>& env() { return env_; }
  std::string region() { return env_["VSLICE_REGION"]; }
  std::string log_path() const { return scratch_.File(name_ + ".limiter.log"); }
  int metrics_port() const { return port_; }
  pid_t limiter_pid() const { return limiter_ ? limiter_->pid() : -1; }
  Background* limiter() { return limiter_.get(); }

 private:
  const Scratch& scratch_;
  std::string name_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<Background> limiter_;
  int port_ = -1;
};

// ---- Metrics --------------------------------------------------------------

TEST(MetricsTest, AScrapeShowsMemoryQuotaLaunchesDeviceTimeAndHeartbeat) {
  if (RealGpu()) GTEST_SKIP() << "the spin step needs the simulated device";
  Scratch scratch;
  Pod pod(scratch, "pod", {{"VSLICE_MEMORY_LIMIT", "1g"}, {"VSLICE_COMPUTE", "50"}});
  pod.StartLimiter({"--metrics-address", "127.0.0.1:0"}, /*metrics=*/true);
  ASSERT_GT(pod.metrics_port(), 0) << ReadFile(pod.log_path());

  auto holder = pod.Hold("512m");
  const ProcessResult spin = RunProcess({Probe(), "spin:500"}, pod.env());
  ASSERT_EQ(spin.exit_code, 0) << spin.out << spin.err;
  EXPECT_EQ(spin.err, "") << "the interceptor must be quiet at the default log level";
  std::this_thread::sleep_for(milliseconds(300));  // the spinner's slot is reaped

  const HttpResponse r = HttpGet(pod.metrics_port(), "/metrics");
  ASSERT_EQ(r.status_line, "HTTP/1.1 200 OK") << r.head;
  EXPECT_TRUE(Contains(r.head, "Content-Type: text/plain; version=0.0.4")) << r.head;
  const Scrape m = ParseMetrics(r.body);
  const std::map<std::string, std::string> dev0{{"pod", "pod"}, {"device", "0"}};

  EXPECT_EQ(m.Value("vslice_memory_used_bytes", dev0), 512.0 * kMiB) << r.body;
  EXPECT_EQ(m.Value("vslice_memory_quota_bytes", dev0), 1024.0 * kMiB);
  // Every device has the 1 GiB quota; only the one the pod used is listed.
  EXPECT_FALSE(m.Value("vslice_memory_quota_bytes", {{"pod", "pod"}, {"device", "1"}}))
      << r.body;
  EXPECT_EQ(m.Value("vslice_memory_peak_bytes", dev0), 512.0 * kMiB);
  EXPECT_EQ(m.Value("vslice_refused_allocations_total", dev0), 0.0);
  // The spinner has exited: its launches stay in the pod's counter.
  EXPECT_GT(m.Value("vslice_launches_total", dev0).value_or(0), 100.0) << r.body;
  EXPECT_GT(m.Value("vslice_device_time_seconds_total", dev0).value_or(0), 0.05);
  EXPECT_GT(m.Value("vslice_compute_slots_total", dev0).value_or(0), 0.0);
  EXPECT_EQ(m.Value("vslice_compute_cap_ratio", dev0), 0.5);
  EXPECT_EQ(m.Value("vslice_compute_weight", dev0), 1.0);
  EXPECT_EQ(m.Value("vslice_compute_managed", {{"pod", "pod"}}), 1.0);
  EXPECT_TRUE(m.Value("vslice_throttled_seconds_total", dev0).has_value());
  EXPECT_LT(m.Value("vslice_limiter_heartbeat_age_seconds").value_or(99), 1.0);
  EXPECT_EQ(m.Value("vslice_active_processes"), 1.0);
  EXPECT_EQ(m.Value("vslice_process_memory_used_bytes",
                    {{"pid", std::to_string(holder->pid())}, {"device", "0"}}),
            512.0 * kMiB);
  EXPECT_EQ(m.Value("vslice_process_allocations_total", {{"pid", std::to_string(holder->pid())}}),
            1.0);

  // Every sample belongs to a family with HELP and TYPE; counters end in _total.
  for (const MetricSample& s : m.samples) {
    EXPECT_EQ(m.helps.count(s.name), 1u) << s.name;
    ASSERT_EQ(m.types.count(s.name), 1u) << s.name;
    const std::string& type = m.types.at(s.name);
    EXPECT_TRUE(type == "counter" || type == "gauge") << s.name;
    const bool total = s.name.size() > 6 && s.name.compare(s.name.size() - 6, 6, "_total") == 0;
    EXPECT_EQ(type == "counter", total) << s.name;
  }

  EXPECT_EQ(HttpGet(pod.metrics_port(), "/nothing").status_line, "HTTP/1.1 404 Not Found");
  EXPECT_EQ(HttpGet(pod.metrics_port(), "/metrics", "POST").status_line,
            "HTTP/1.1 405 Method Not Allowed");
  const HttpResponse head = HttpGet(pod.metrics_port(), "/metrics", "HEAD");
  EXPECT_EQ(head.status_line, "HTTP/1.1 200 OK");
  EXPECT_EQ(head.body, "");
  holder->Wait();
}

TEST(MetricsTest, TheEnvironmentTurnsMetricsOnAndTheyAreOffOtherwise) {
  Scratch scratch;
  Pod quiet(scratch, "quiet");
  quiet.StartLimiter();
  EXPECT_FALSE(Contains(ReadFile(quiet.log_path()), "metrics")) << ReadFile(quiet.log_path());

  Pod pod(scratch, "pod", {{"VSLICE_METRICS_ADDRESS", "127.0.0.1:0"}});
  pod.StartLimiter({}, /*metrics=*/true);
  ASSERT_GT(pod.metrics_port(), 0) << ReadFile(pod.log_path());
  const Scrape m = ParseMetrics(HttpGet(pod.metrics_port(), "/metrics").body);
  // Collected without any cap or quota: the pod is simply listed.
  EXPECT_EQ(m.Value("vslice_limiter_info", {{"pod", "pod"}}), 1.0);
  EXPECT_EQ(m.Value("vslice_compute_managed", {{"pod", "pod"}}), 0.0);
}

TEST(MetricsTest, AValueNoWriterWritesIsRefusedNotScraped) {
  Scratch scratch;
  Pod pod(scratch, "pod");
  pod.StartLimiter({"--metrics-address", "127.0.0.1:0"}, /*metrics=*/true);
  ASSERT_GT(pod.metrics_port(), 0) << ReadFile(pod.log_path());
  PodRegion region;
  char error[512];
  ASSERT_TRUE(region.OpenExisting(pod.region().c_str(), error, sizeof error)) << error;
  region.layout()->gates[2].weight.store(1504018833);
  const HttpResponse bad = HttpGet(pod.metrics_port(), "/metrics");
  EXPECT_EQ(bad.status_line, "HTTP/1.1 503 Service Unavailable") << bad.head;
  EXPECT_EQ(bad.body, "region file " + pod.region() +
                          ": gates[2].weight is 1504018833, expected 0..1000 (0 until a limiter "
                          "sets it, then 1..1000)\n");
  region.layout()->gates[2].weight.store(0);
  EXPECT_EQ(HttpGet(pod.metrics_port(), "/metrics").status_line, "HTTP/1.1 200 OK");
}

TEST(MetricsTest, ABadAddressIsAUsageError) {
  Scratch scratch;
  Pod pod(scratch, "pod");
  for (const char* bad : {"127.0.0.1:99999", "nowhere:80", "[::1]", ""}) {
    const ProcessResult r = RunProcess(
        {Limiter(), "--region", pod.region(), "--metrics-address", bad}, pod.env());
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_TRUE(Contains(r.err, "--metrics-address")) << r.err;
  }
}

// ---- vslice status / top / set ---------------------------------------------

TEST(StatusTest, JsonShowsEveryProcessItsMemoryTheQuotaAndALiveLimiter) {
  Scratch scratch;
  Pod pod(scratch, "pod", {{"VSLICE_MEMORY_LIMIT", "1g"}});
  pod.StartLimiter();
  auto a = pod.Hold("256m");
  auto b = pod.Hold("128m");

  const ProcessResult r = pod.Cli({"status", "--region", pod.region(), "--json", "--interval", "200"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json s = ParseJson(r.out);
  EXPECT_EQ(s["region"].string, pod.region());
  EXPECT_EQ(s["name"].string, "pod");
  EXPECT_NEAR(s["interval_ms"].number, 200, 100);
  ASSERT_FALSE(s["limiter"].is_null()) << r.out;
  EXPECT_EQ(s["limiter"]["pid"].number, pod.limiter_pid());
  EXPECT_FALSE(s["limiter"]["stale"].boolean);
  EXPECT_LT(s["limiter"]["heartbeat_age_ns"].number, 1e9);
  EXPECT_FALSE(s["compute_managed"].boolean);  // no cap, no registry
  EXPECT_TRUE(s["registry"].is_null());

  const Json& dev0 = s["devices"][0];
  EXPECT_EQ(dev0["device"].number, 0);
  // The interceptor recorded the device's memory when a probe made its context.
  if (!RealGpu()) {
    EXPECT_EQ(dev0["total_bytes"].number, 80.0 * kGiB) << r.out;
  }
  EXPECT_EQ(dev0["quota_bytes"].number, 1024.0 * kMiB);
  EXPECT_EQ(dev0["used_bytes"].number, 384.0 * kMiB);
  EXPECT_TRUE(dev0["cap_percent"].is_null());
  EXPECT_EQ(dev0["weight"].number, 1);
  EXPECT_TRUE(dev0["device_time_share_percent"].is_null()) << "not managed: not measured";
  EXPECT_TRUE(dev0["gate_open"].is_null()) << "not managed: no gate, as the text's '-'";
  EXPECT_EQ(s["devices"].array.size(), 1u) << "only the device in use: " << r.out;
  EXPECT_EQ(s["other_devices"]["quota_bytes"].number, 1024.0 * kMiB) << r.out;

  std::map<double, double> held;  // pid -> bytes on device 0
  for (const Json& p : s["processes"].array) {
    held[p["pid"].number] = p["used_bytes"]["0"].number;
    EXPECT_EQ(p["used_bytes"].object.size(), 1u) << "a key per listed device: " << r.out;
  }
  EXPECT_EQ(held.size(), 2u) << r.out;
  EXPECT_EQ(held[a->pid()], 256.0 * kMiB);
  EXPECT_EQ(held[b->pid()], 128.0 * kMiB);

  const ProcessResult text = pod.Cli({"status", "--pod", "pod", "--interval", "0"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(Contains(text.out, "processes:  2 active")) << text.out;
  EXPECT_TRUE(Contains(text.out, "compute:    not managed")) << text.out;
  EXPECT_TRUE(Contains(text.out, "384.00 MiB")) << text.out;
  EXPECT_TRUE(Contains(text.out, "  other devices: quota 1.00 GiB, cap none, weight 1\n"))
      << text.out;
  // The GATE column says "-" where the JSON says null.
  EXPECT_EQ(LinesStartingWith(text.out, "  0       none  1       normal  -      0.00 s").size(),
            1u)
      << text.out;
  a->Wait();
  b->Wait();
}

TEST(StatusTest, TheRegistryListsEveryPodOfTheNodeWithItsShare) {
  if (RealGpu()) GTEST_SKIP() << "the spin step needs the simulated device";
  Scratch scratch;
  const std::map<std::string, std::string> node{{"VSLICE_REGISTRY", scratch.File("node.registry")},
                                                {"VSLICE_SIM_STATE", scratch.File("sim.state")}};
  std::map<std::string, std::string> capped = node;
  capped["VSLICE_COMPUTE"] = "30";
  Pod a(scratch, "alpha", capped);
  Pod b(scratch, "beta", node);
  a.StartLimiter();
  b.StartLimiter();
  Background spin_a({Probe(), "spin:2500"}, a.env());
  Background spin_b({Probe(), "spin:2500"}, b.env());
  std::this_thread::sleep_for(milliseconds(500));

  const ProcessResult r = a.Cli({"status", "--pod", "alpha", "--json", "--interval", "1000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json s = ParseJson(r.out);
  EXPECT_TRUE(s["compute_managed"].boolean);
  const double share_a = s["devices"][0]["device_time_share_percent"].number;
  EXPECT_GT(share_a, 10) << r.out;
  EXPECT_LT(share_a, 50) << r.out;
  const Json& registry = s["registry"];
  ASSERT_FALSE(registry.is_null()) << r.out;
  EXPECT_EQ(registry["path"].string, scratch.File("node.registry"));
  std::map<std::string, const Json*> pods;
  for (const Json& p : registry["pods"].array) pods[p["name"].string] = &p;
  ASSERT_EQ(pods.size(), 2u) << r.out;
  EXPECT_EQ((*pods["alpha"])["limiter_pid"].number, a.limiter_pid());
  EXPECT_EQ((*pods["beta"])["limiter_pid"].number, b.limiter_pid());
  EXPECT_TRUE((*pods["alpha"])["alive"].boolean);
  EXPECT_EQ((*pods["alpha"])["devices"][0]["cap_percent"].number, 30);
  EXPECT_TRUE((*pods["beta"])["devices"][0]["cap_percent"].is_null());
  const double node_a = (*pods["alpha"])["devices"][0]["device_time_share_percent"].number;
  const double node_b = (*pods["beta"])["devices"][0]["device_time_share_percent"].number;
  EXPECT_GT(node_b, node_a) << r.out;
  EXPECT_GT(node_a + node_b, 80) << "contended: the device is busy all the time";

  // From pod a's environment, the node: a's region, which is the registry's
  // alpha, and beta, known from the registry only.
  const ProcessResult from_a = a.Cli({"status", "--interval", "0"});
  ASSERT_EQ(from_a.exit_code, 0) << from_a.err;
  EXPECT_TRUE(Contains(from_a.out, "pods:       1 with a region here, 1 more in the registry"))
      << from_a.out;
  EXPECT_EQ(LinesStartingWith(from_a.out, "  alpha  0  ").size(), 1u) << from_a.out;
  EXPECT_EQ(LinesStartingWith(from_a.out, "  beta   #0 ").size(), 1u) << from_a.out;
  const Json from_a_json = ParseJson(a.Cli({"status", "--json", "--interval", "0"}).out);
  ASSERT_EQ(from_a_json["pods"].array.size(), 2u);
  EXPECT_EQ(from_a_json["pods"][0]["region"].string, a.region());
  EXPECT_FALSE(from_a_json["pods"][0]["registry_entry"].is_null()) << "alpha is one pod";
  EXPECT_TRUE(from_a_json["pods"][1]["region"].is_null());

  // Without a region of its own here, status shows the node's pods from the
  // registry: a line per pod and device.
  std::map<std::string, std::string> operator_env = ToolEnvironment(a.env());
  operator_env["VSLICE_REGION"] = scratch.File("missing.region");
  const ProcessResult node_only =
      RunProcess({Cli(), "status", "--interval", "0"}, operator_env);
  ASSERT_EQ(node_only.exit_code, 0) << node_only.err;
  EXPECT_TRUE(Contains(node_only.out, "pods:       0 with a region here, 2 more in the registry"))
      << node_only.out;
  EXPECT_EQ(LinesStartingWith(node_only.out, "  alpha  #0  ").size(), 1u) << node_only.out;
  EXPECT_EQ(LinesStartingWith(node_only.out, "  beta   #0  ").size(), 1u) << node_only.out;
  EXPECT_TRUE(Contains(node_only.out, "registry:   " + scratch.File("node.registry") + ", 2 pods"))
      << node_only.out;
  // ... but a region asked for by name must exist.
  EXPECT_EQ(RunProcess({Cli(), "status", "--region", scratch.File("missing.region")},
                       operator_env).exit_code,
            1);
  spin_a.Wait();
  spin_b.Wait();
}

TEST(TopTest, TwoReportsFitEightyColumns) {
  Scratch scratch;
  Pod pod(scratch, "a-pod-with-a-rather-long-name-to-see-the-screen-cut-it",
          {{"VSLICE_MEMORY_LIMIT", "2g"}, {"VSLICE_REGISTRY", scratch.File("node.registry")}});
  pod.StartLimiter();
  auto holder = pod.Hold("64m");
  const ProcessResult r = pod.Cli({"top", "--iterations", "2", "--interval", "100"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(LinesStartingWith(r.out, "vslice top").size(), 2u) << r.out;
  EXPECT_EQ(LinesStartingWith(r.out, "  a-pod-with-a-ra~  0 ").size(), 2u) << r.out;
  EXPECT_EQ(LinesStartingWith(r.out, "registry:").size(), 2u) << r.out;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_LE(line.size(), 80u) << line;
    EXPECT_EQ(line.find('\033'), std::string::npos) << "no escape codes into a pipe";
  }
  EXPECT_TRUE(Contains(r.out, "64.00 MiB")) << r.out;
  holder->Wait();
}

TEST(SetTest, AQuotaBelowWhatThePodHoldsIsRefusedAndAboveItApplies) {
  Scratch scratch;
  Pod pod(scratch, "pod", {{"VSLICE_MEMORY_LIMIT", "1g"}});
  auto holder = pod.Hold("512m");
  const ProcessResult low = pod.Cli({"set", "--memory", "256m"});
  EXPECT_EQ(low.exit_code, 1);
  EXPECT_TRUE(Contains(low.err, "holds 512.00 MiB")) << low.err;
  Json s = ParseJson(pod.Cli({"status", "--pod", "pod", "--json", "--interval", "0"}).out);
  EXPECT_EQ(s["devices"][0]["quota_bytes"].number, 1024.0 * kMiB) << "nothing changed";

  const ProcessResult high = pod.Cli({"set", "--device", "0", "--memory", "768m", "--compute", "40"});
  EXPECT_EQ(high.exit_code, 0) << high.err;
  s = ParseJson(pod.Cli({"status", "--pod", "pod", "--json", "--interval", "0"}).out);
  EXPECT_EQ(s["devices"][0]["quota_bytes"].number, 768.0 * kMiB);
  EXPECT_EQ(s["devices"][0]["cap_percent"].number, 40);
  holder->Wait();
}

// ---- The node: every pod, without naming a region ------------------------

// The environment of an operator on the node: the tools, no pod of its own
// (a region that does not exist), the test's pod folder.
std::map<std::string, std::string> OperatorEnvironment(const Scratch& scratch) {
  std::map<std::string, std::string> env = ToolEnvironment(PodEnvironment(scratch));
  env["VSLICE_REGION"] = scratch.File("no-such.region");
  return env;
}

// `vslice run --pod NAME ARGS -- probe alloc:mem:SIZE ready wait`, started.
std::unique_ptr<Background> RunPod(const std::map<std::string, std::string>& env,
                                   const std::string& name, std::vector<std::string> args,
                                   const std::string& size) {
  std::vector<std::string> argv{Cli(), "run", "--pod", name};
  argv.insert(argv.end(), args.begin(), args.end());
  for (const char* a : {"--", "", "", "ready", "wait"}) argv.push_back(a);
  argv[argv.size() - 4] = Probe();
  argv[argv.size() - 3] = "alloc:mem:" + size;
  auto pod = std::make_unique<Background>(argv, env);
  EXPECT_TRUE(pod->WaitForLine("ready")) << "pod " << name << " did not start";
  return pod;
}

TEST(NodeTest, StatusTopAndSetSeeEveryPodWithoutARegion) {
  Scratch scratch;
  const auto env = OperatorEnvironment(scratch);
  auto alpha = RunPod(env, "alpha", {"--memory", "1g"}, "64m");
  auto beta = RunPod(env, "beta", {"--memory", "2g", "--compute", "30"}, "32m");

  const ProcessResult status = RunProcess({Cli(), "status", "--interval", "0"}, env);
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_TRUE(Contains(status.out, "pods:       2 with a region here\n")) << status.out;
  const auto alpha_rows = LinesStartingWith(status.out, "  alpha  0 ");
  ASSERT_EQ(alpha_rows.size(), 1u) << "a line per pod and device: " << status.out;
  EXPECT_TRUE(Contains(alpha_rows[0], "64.00 MiB  1.00 GiB  none  1 ")) << alpha_rows[0];
  const auto beta_rows = LinesStartingWith(status.out, "  beta   0 ");
  ASSERT_EQ(beta_rows.size(), 1u) << status.out;
  EXPECT_TRUE(Contains(beta_rows[0], "32.00 MiB  2.00 GiB  30% ")) << beta_rows[0];

  const Json json = ParseJson(RunProcess({Cli(), "status", "--json", "--interval", "0"}, env).out);
  EXPECT_EQ(json["pod_folder"].string, scratch.File("pods"));
  ASSERT_EQ(json["pods"].array.size(), 2u);
  EXPECT_EQ(json["pods"][0]["name"].string, "alpha");
  EXPECT_EQ(json["pods"][0]["region"].string, scratch.File("pods/alpha.region"));
  EXPECT_EQ(json["pods"][0]["devices"][0]["used_bytes"].number, 64.0 * kMiB);
  EXPECT_EQ(json["pods"][1]["devices"][0]["cap_percent"].number, 30);

  const ProcessResult top = RunProcess({Cli(), "top", "--iterations", "1"}, env);
  ASSERT_EQ(top.exit_code, 0) << top.err;
  EXPECT_EQ(LinesStartingWith(top.out, "  alpha  0 ").size(), 1u) << top.out;
  EXPECT_EQ(LinesStartingWith(top.out, "  beta   0 ").size(), 1u) << top.out;

  // set: one pod by name; several without one is a usage error naming them.
  const ProcessResult ambiguous = RunProcess({Cli(), "set", "--compute", "40"}, env);
  EXPECT_EQ(ambiguous.exit_code, 2);
  EXPECT_EQ(ambiguous.err,
            "vslice set: 2 pods here (alpha, beta): pick one with --pod NAME or --region PATH\n");
  const ProcessResult set = RunProcess({Cli(), "set", "--pod", "beta", "--compute", "40"}, env);
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_TRUE(Contains(set.out, "device 0: compute cap 40% (was 30%)")) << set.out;
  const Json beta_json =
      ParseJson(RunProcess({Cli(), "status", "--pod", "beta", "--json", "--interval", "0"}, env).out);
  EXPECT_EQ(beta_json["devices"][0]["cap_percent"].number, 40);
  const Json alpha_json = ParseJson(
      RunProcess({Cli(), "status", "--pod", "alpha", "--json", "--interval", "0"}, env).out);
  EXPECT_TRUE(alpha_json["devices"][0]["cap_percent"].is_null()) << "alpha was left alone";

  const ProcessResult missing = RunProcess({Cli(), "status", "--pod", "gamma"}, env);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(Contains(missing.err, "vslice status: no pod gamma here: no region " +
                                        scratch.File("pods/gamma.region") +
                                        "; pods here: alpha, beta"))
      << missing.err;
  EXPECT_EQ(RunProcess({Cli(), "status", "--pod", "alpha", "--region", "/x"}, env).exit_code, 2);
  for (auto* pod : {alpha.get(), beta.get()}) {
    pod->CloseInput();
    EXPECT_EQ(pod->Wait().exit_code, 0);
  }
}

TEST(NodeTest, NoPodsSaysWhereItLookedAndHowToStartOne) {
  Scratch scratch;
  const auto env = OperatorEnvironment(scratch);
  const std::string message =
      "no pods found: no region in " + scratch.File("pods") + " (VSLICE_POD_DIR), none at " +
      scratch.File("no-such.region") +
      " (VSLICE_REGION), no node registry (VSLICE_REGISTRY=off); start one with: vslice run "
      "--pod NAME -- COMMAND, or name a region with --region\n";
  for (const char* command : {"status", "top", "set"}) {
    std::vector<std::string> argv{Cli(), command};
    if (std::string(command) == "set") argv.push_back("--compute=50");
    const ProcessResult r = RunProcess(argv, env);
    EXPECT_EQ(r.exit_code, 1) << command;
    EXPECT_EQ(r.err, "vslice " + std::string(command) + ": " + message);
    EXPECT_EQ(r.out, "");
  }
}

TEST(NodeTest, APodWithValuesNoWriterWritesIsAnErrorAndTheOthersAreShown) {
  Scratch scratch;
  const auto env = OperatorEnvironment(scratch);
  ASSERT_EQ(mkdir(scratch.File("pods").c_str(), 0755), 0);
  std::uint64_t quota[kMaxDevices];
  for (auto& q : quota) q = kGiB;
  PodRegion good, bad;
  char error[512];
  ASSERT_TRUE(good.Open(scratch.File("pods/good.region").c_str(), quota, error, sizeof error));
  ASSERT_TRUE(bad.Open(scratch.File("pods/bad.region").c_str(), quota, error, sizeof error));
  bad.layout()->gates[1].weight.store(1504018833);

  const ProcessResult r = RunProcess({Cli(), "status", "--interval", "0"}, env);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "vslice status: region file " + scratch.File("pods/bad.region") +
                       ": gates[1].weight is 1504018833, expected 0..1000 (0 until a limiter sets "
                       "it, then 1..1000)\n");
  const auto good_rows = LinesStartingWith(r.out, "  good  ");
  ASSERT_EQ(good_rows.size(), 1u) << r.out;
  EXPECT_TRUE(Contains(good_rows[0], "0 B   1.00 GiB  none  1 ")) << r.out;
  const auto bad_rows = LinesStartingWith(r.out, "  bad   ");
  ASSERT_EQ(bad_rows.size(), 1u) << r.out;
  EXPECT_TRUE(Contains(bad_rows[0], "unreadable")) << r.out;
  EXPECT_FALSE(Contains(r.out, "1504018833")) << "shown as data: " << r.out;
  const Json json = ParseJson(RunProcess({Cli(), "status", "--json", "--interval", "0"}, env).out);
  EXPECT_TRUE(Contains(json["pods"][0]["error"].string, "gates[1].weight is 1504018833"));
  EXPECT_FALSE(json["pods"][0].Has("devices"));

  const ProcessResult one = RunProcess({Cli(), "status", "--pod", "bad"}, env);
  EXPECT_EQ(one.exit_code, 1);
  EXPECT_EQ(one.out, "");
  EXPECT_TRUE(Contains(one.err, "gates[1].weight is 1504018833")) << one.err;
}

// ---- The pod's view through NVML -------------------------------------------

// "nvml_procs V count=N PID:BYTES ... -> R": pid -> bytes.
std::map<long, unsigned long long> NvmlProcesses(const std::string& out, const std::string& version) {
  std::map<long, unsigned long long> procs;
  const auto lines = LinesStartingWith(out, "nvml_procs " + version + " ");
  if (lines.size() != 1) {
    ADD_FAILURE() << "no nvml_procs " << version << " line: " << out;
    return procs;
  }
  EXPECT_TRUE(Contains(lines[0], "-> 0")) << lines[0];
  std::istringstream in(lines[0]);
  for (std::string word; in >> word;) {
    const std::size_t colon = word.find(':');
    if (colon == std::string::npos) continue;
    procs[std::stol(word.substr(0, colon))] = std::stoull(word.substr(colon + 1));
  }
  return procs;
}

TEST(NvmlViewTest, RunningProcessesAreThePodsOwn) {
  if (RealGpu()) GTEST_SKIP() << "other tenants are simulated";
  Scratch scratch;
  Pod a(scratch, "a", {{"VSLICE_MEMORY_LIMIT", "1g"}});
  Pod b(scratch, "b");  // another tenant on the same device
  auto held_a = a.Hold("64m");
  auto held_b = b.Hold("128m");

  const ProcessResult in_a =
      RunProcess({Probe(), "nvml_procs:v1", "nvml_procs:v2", "nvml_procs:v3"}, a.env());
  ASSERT_EQ(in_a.exit_code, 0) << in_a.err;
  for (const char* version : {"v1", "v2", "v3"}) {
    const auto procs = NvmlProcesses(in_a.out, version);
    ASSERT_EQ(procs.count(held_a->pid()), 1u) << in_a.out;
    EXPECT_EQ(procs.at(held_a->pid()), 64 * kMiB);
    EXPECT_EQ(procs.count(held_b->pid()), 0u) << "another pod's process: " << in_a.out;
  }
  const ProcessResult in_b = RunProcess({Probe(), "nvml_procs"}, b.env());
  const auto procs_b = NvmlProcesses(in_b.out, "v3");
  EXPECT_EQ(procs_b.count(held_b->pid()), 1u) << in_b.out;
  EXPECT_EQ(procs_b.count(held_a->pid()), 0u) << in_b.out;

  // Outside any pod (no interceptor) the driver lists everyone.
  std::map<std::string, std::string> host = a.env();
  host.erase("LD_PRELOAD");
  const auto all = NvmlProcesses(RunProcess({Probe(), "nvml_procs"}, host).out, "v3");
  EXPECT_EQ(all.count(held_a->pid()), 1u);
  EXPECT_EQ(all.count(held_b->pid()), 1u);

  // Control disabled: the driver's list, unfiltered.
  std::map<std::string, std::string> disabled = a.env();
  disabled["CUDA_DISABLE_CONTROL"] = "true";
  const auto passed = NvmlProcesses(RunProcess({Probe(), "nvml_procs"}, disabled).out, "v3");
  EXPECT_EQ(passed.count(held_b->pid()), 1u);
  held_a->Wait();
  held_b->Wait();
}

// "nvml_util gpu=G ..." -> G.
int NvmlUtilization(const ProcessResult& r) {
  const auto lines = LinesStartingWith(r.out, "nvml_util gpu=");
  if (lines.empty()) {
    ADD_FAILURE() << "no nvml_util line: " << r.out << r.err;
    return -1;
  }
  EXPECT_TRUE(Contains(lines.back(), "-> 0")) << lines.back();
  return std::stoi(lines.back().substr(std::strlen("nvml_util gpu=")));
}

TEST(NvmlViewTest, UtilizationIsThePodsMeasuredShare) {
  if (RealGpu()) GTEST_SKIP() << "the spin step needs the simulated device";
  Scratch scratch;
  const std::map<std::string, std::string> node{{"VSLICE_REGISTRY", scratch.File("node.registry")}};
  std::map<std::string, std::string> capped = node;
  capped["VSLICE_COMPUTE"] = "30";
  Pod a(scratch, "a", capped);
  Pod b(scratch, "b", node);
  Pod c(scratch, "c");  // no limiter: not managed
  a.StartLimiter();
  b.StartLimiter();
  Background spin_a({Probe(), "spin:3500"}, a.env());
  Background spin_b({Probe(), "spin:3500"}, b.env());
  std::this_thread::sleep_for(milliseconds(800));

  // Each pod's view: its own share of the device (the first query waits
  // half a second for a measurement).
  Background util_a({Probe(), "nvml_util", "hold:1000", "nvml_util"}, a.env());
  Background util_b({Probe(), "nvml_util", "hold:1000", "nvml_util"}, b.env());
  const int share_a = NvmlUtilization(util_a.Wait());
  const int share_b = NvmlUtilization(util_b.Wait());
  EXPECT_GE(share_a, 15);
  EXPECT_LE(share_a, 50) << "pod a is capped at 30%";
  EXPECT_GE(share_b, 50);
  EXPECT_LE(share_b, 90);
  // An unmanaged pod sees the device as the driver does: busy (less the
  // gaps of the hand-overs between a and b).
  EXPECT_GE(NvmlUtilization(RunProcess({Probe(), "nvml_util"}, c.env())), 60);
  spin_a.Wait();
  spin_b.Wait();
}

}  // namespace
}  // namespace vslice::testing
