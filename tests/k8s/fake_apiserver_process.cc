#include "fake_apiserver_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace vslice::testing {

FakeApiServerProcess::~FakeApiServerProcess() { Stop(); }

bool FakeApiServerProcess::Start(const std::vector<std::string>& args) {
  int out[2];
  if (pipe(out) != 0) {
    error_ = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  std::vector<std::string> argv_s = {VSLICE_K8S_PYTHON, VSLICE_K8S_TEST_DIR "/fake_apiserver.py"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  pid_ = fork();
  if (pid_ < 0) {
    error_ = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  if (pid_ == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    std::vector<char*> argv;
    for (std::string& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    std::fprintf(stderr, "cannot start %s: %s\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  close(out[1]);
  // First line: "listening URL".
  std::string line;
  char c;
  while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
  close(out[0]);
  const std::string prefix = "listening ";
  if (line.rfind(prefix, 0) != 0) {
    error_ = "the API-server stand-in did not start (" + std::string(VSLICE_K8S_PYTHON) +
             " fake_apiserver.py printed \"" + line + "\")";
    Stop();
    return false;
  }
  url_ = line.substr(prefix.size());
  return true;
}

void FakeApiServerProcess::Stop() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

kube::ClusterConfig FakeApiServerProcess::Config() const {
  kube::ClusterConfig config;
  config.server = url_;
  return config;
}

bool FakeApiServerProcess::Seed(const std::string& collection_path,
                                const kube::Json& object) const {
  return Admin().Post(collection_path, object).ok();
}

bool FakeApiServerProcess::Inject(const std::string& method, const std::string& path, int status,
                                  int count) const {
  return Admin()
      .Post("/_test/inject",
            kube::Json{{"method", method}, {"path", path}, {"status", status}, {"count", count}})
      .ok();
}

kube::Json FakeApiServerProcess::Requests() const { return Admin().Get("/_test/requests").body; }

bool FakeApiServerProcess::ClearRequests() const {
  return Admin().Delete("/_test/requests").ok();
}

}  // namespace vslice::testing
