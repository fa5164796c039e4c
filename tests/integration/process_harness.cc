#include "process_harness.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace vslice::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<char*> CStrings(const std::vector<std::string>& v, std::vector<std::string>& storage) {
  storage = v;
  std::vector<char*> out;
  for (std::string& s : storage) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

pid_t Spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            int* in, int* out, int* err) {
  int pin[2], pout[2], perr[2];
  if (pipe2(pin, O_CLOEXEC) != 0 || pipe2(pout, O_CLOEXEC) != 0 || pipe2(perr, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pin[0], 0);
  posix_spawn_file_actions_adddup2(&actions, pout[1], 1);
  posix_spawn_file_actions_adddup2(&actions, perr[1], 2);
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<std::string> argv_storage, env_storage;
  std::vector<char*> cargv = CStrings(argv, argv_storage);
  std::vector<char*> cenv = CStrings(env_strings, env_storage);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, cargv[0], &actions, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&actions);
  close(pin[0]);
  close(pout[1]);
  close(perr[1]);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  *in = pin[1];
  *out = pout[0];
  *err = perr[0];
  return pid;
}

int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Drains both pipes until EOF on both or the deadline.
void Drain(int out, int err, std::string* out_text, std::string* err_text, Clock::time_point end) {
  pollfd fds[2] = {{out, POLLIN, 0}, {err, POLLIN, 0}};
  int open_count = 2;
  char buffer[4096];
  while (open_count > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
    if (left.count() <= 0) break;
    if (poll(fds, 2, static_cast<int>(left.count())) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP)) == 0) continue;
      const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n <= 0) {
        fds[i].fd = -1;
        --open_count;
      } else {
        (i == 0 ? out_text : err_text)->append(buffer, static_cast<size_t>(n));
      }
    }
  }
}

ProcessResult Reap(pid_t pid, Clock::time_point end) {
  ProcessResult result;
  int status = 0;
  for (;;) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (Clock::now() > end) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      result.err += "\n[harness: killed after timeout]\n";
      break;
    }
    usleep(2000);
  }
  result.exit_code = ExitCode(status);
  return result;
}

}  // namespace

bool RealGpu() {
  const char* v = getenv("VSLICE_TEST_REAL_GPU");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

namespace {
// A build moved elsewhere (the GPU machine gets a copy) names its new home.
std::string BuildPath(const char* compiled, const char* leaf) {
  const char* moved = getenv("VSLICE_TEST_BUILD_DIR");
  return moved != nullptr ? std::string(moved) + "/" + leaf : std::string(compiled);
}
}  // namespace

std::string BinDir() { return BuildPath(VSLICE_TEST_BIN_DIR, "bin"); }
std::string LibDir() { return BuildPath(VSLICE_TEST_LIB_DIR, "lib"); }
std::string SimLibDir() { return BuildPath(VSLICE_TEST_SIM_LIB_DIR, "sim-lib"); }

Scratch::Scratch() {
  char pattern[] = "/tmp/vslice-test-XXXXXX";
  if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

Scratch::~Scratch() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::map<std::string, std::string> PodEnvironment(const Scratch& scratch) {
  std::map<std::string, std::string> env;
  env["PATH"] = BinDir() + ":/usr/local/bin:/usr/bin:/bin";
  env["LD_PRELOAD"] = LibDir() + "/libvslice.so";
  env["VSLICE_REGION"] = scratch.File("pod.region");
  // The pods `vslice run --pod` makes, and the node view lists, stay in the
  // test's folder.
  env["VSLICE_POD_DIR"] = scratch.File("pods");
  // Exact byte counts in the tests; the reserve has a test of its own.
  env["VSLICE_CONTEXT_RESERVE"] = "0";
  // The node's default state (pods, registry) in the test's own folder, and
  // no node registry unless a test asks for one: a pod then starts no
  // limiter of its own (the default-registry tests turn it back on).
  env["VSLICE_RUN_DIR"] = scratch.path();
  env["VSLICE_REGISTRY"] = "off";
  if (RealGpu()) {
    // (VSLICE_SIM_STATE: a rehearsal of the GPU mode on the simulator, with
    // its libraries on LD_LIBRARY_PATH.)
    for (const char* keep : {"LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES", "HOME", "VSLICE_SIM_STATE"}) {
      if (const char* v = getenv(keep)) env[keep] = v;
    }
  } else {
    env["LD_LIBRARY_PATH"] = SimLibDir();
    env["VSLICE_SIM_STATE"] = scratch.File("sim.state");
  }
  return env;
}

ProcessResult RunProcess(const std::vector<std::string>& argv,
                  const std::map<std::string, std::string>& env, int timeout_ms) {
  int in, out, err;
  const pid_t pid = Spawn(argv, env, &in, &out, &err);
  close(in);
  const auto end = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string out_text, err_text;
  Drain(out, err, &out_text, &err_text, end);
  close(out);
  close(err);
  ProcessResult result = Reap(pid, end);
  result.out = out_text;
  result.err = err_text + result.err;
  return result;
}

Background::Background(const std::vector<std::string>& argv,
                       const std::map<std::string, std::string>& env) {
  pid_ = Spawn(argv, env, &in_, &out_, &err_);
}

Background::~Background() {
  if (!waited_) {
    Kill(SIGKILL);
    Wait(5000);
  }
}

bool Background::WaitForLine(const std::string& line, int timeout_ms) {
  const auto end = Clock::now() + std::chrono::milliseconds(timeout_ms);
  char buffer[4096];
  for (;;) {
    size_t nl;
    while ((nl = out_buffer_.find('\n', scanned_)) != std::string::npos) {
      const bool match = out_buffer_.compare(scanned_, nl - scanned_, line) == 0;
      scanned_ = nl + 1;
      if (match) return true;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
    if (left.count() <= 0) return false;
    pollfd fd{out_, POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(left.count())) <= 0) continue;
    const ssize_t n = read(out_, buffer, sizeof buffer);
    if (n <= 0) return false;
    out_buffer_.append(buffer, static_cast<size_t>(n));
  }
}

void Background::CloseInput() {
  if (in_ >= 0) close(in_);
  in_ = -1;
}

void Background::Kill(int signal) {
  if (pid_ > 0 && !waited_) kill(pid_, signal);
}

ProcessResult Background::Wait(int timeout_ms) {
  CloseInput();
  const auto end = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string out_text = out_buffer_, err_text;
  Drain(out_, err_, &out_text, &err_text, end);
  close(out_);
  close(err_);
  ProcessResult result = Reap(pid_, end);
  waited_ = true;
  result.out = out_text;
  result.err = err_text + result.err;
  return result;
}

std::vector<std::string> LinesStartingWith(const std::string& text, const std::string& prefix) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) lines.push_back(line);
  }
  return lines;
}

double SpinRate(const ProcessResult& r) {
  const auto lines = LinesStartingWith(r.out, "spin kernels=");
  if (lines.size() != 1) {
    ADD_FAILURE() << "no spin result: " << r.out << r.err;
    return 0;
  }
  const std::string& line = lines[0];
  const double kernels = std::stod(line.substr(line.find('=') + 1));
  const double us = std::stod(line.substr(line.find("elapsed_us=") + 11));
  return kernels / (us / 1e6);
}

std::string AtStep(int ms_from_now) {
  const auto at = std::chrono::system_clock::now() + std::chrono::milliseconds(ms_from_now);
  return "at:" + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    at.time_since_epoch())
                                    .count());
}

RequestLatency Latencies(const ProcessResult& r) {
  const auto lines = LinesStartingWith(r.out, "requests n=");
  if (lines.size() != 1) {
    ADD_FAILURE() << "no requests result: " << r.out << r.err;
    return {};
  }
  const std::string& line = lines[0];
  auto field = [&](const std::string& name) {
    const auto at = line.find(name + "=");
    return at == std::string::npos ? -1.0 : std::stod(line.substr(at + name.size() + 1)) / 1000.0;
  };
  return RequestLatency{field("p50_us"), field("p99_us"), field("max_us")};
}

void PrintLatency(const std::string& what, const RequestLatency& l) {
  std::printf("[ latency ] %s: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", what.c_str(), l.p50_ms,
              l.p99_ms, l.max_ms);
}

std::map<std::string, std::string> With(std::map<std::string, std::string> env,
                                        const std::map<std::string, std::string>& more) {
  env.insert(more.begin(), more.end());
  return env;
}

}  // namespace vslice::testing
