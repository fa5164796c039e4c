#include "cli/paths.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "cli/cli_error.h"

namespace vslice::cli {
namespace {

constexpr std::size_t kMaxPodName = 128;

}  // namespace

std::string PodFolder(const Options& env) { return env.pod_dir; }

std::string PodRegionPath(const Options& env, const std::string& name) {
  return PodFolder(env) + "/" + name + ".region";
}

void EnsurePodFolder(const Options& env) {
  // Shared by every user's pods, like /tmp: sticky and writable by all.
  const std::string folder = PodFolder(env);
  if (folder == std::string(env.run_dir) + "/pods") EnsureDirectory(env.run_dir, 01777);
  EnsureDirectory(folder, 01777);
}

std::string NodeRegistryPath(const Options& env) { return env.registry_path; }

void CheckPodName(const std::string& option, const std::string& name) {
  bool ok = !name.empty() && name.size() <= kMaxPodName && name[0] != '.' && name[0] != '-';
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-');
  }
  if (!ok) {
    throw UsageError("bad value '" + name + "' for " + option +
                     ": expected 1 to 128 letters, digits, '.', '_' or '-', not starting with "
                     "'.' or '-'");
  }
}

std::string ExecutableDir() {
  std::vector<char> buf(4096);
  const ssize_t n = readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  if (n <= 0) {
    throw Failure(std::string("cannot read /proc/self/exe: ") + std::strerror(errno));
  }
  std::string exe(buf.data(), static_cast<std::size_t>(n));
  const std::size_t slash = exe.rfind('/');
  return slash == 0 ? "/" : exe.substr(0, slash);
}

std::string AbsolutePath(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  std::vector<char> cwd(4096);
  if (getcwd(cwd.data(), cwd.size()) == nullptr) {
    throw Failure(std::string("cannot get the current directory: ") + std::strerror(errno));
  }
  std::string base = cwd.data();
  if (path.empty() || path == ".") return base;
  if (path.compare(0, 2, "./") == 0) return base + path.substr(1);
  return base + "/" + path;
}

bool IsRegularFile(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool IsExecutableFile(const std::string& path) {
  return IsRegularFile(path) && access(path.c_str(), X_OK) == 0;
}

void EnsureDirectory(const std::string& dir, unsigned mode) {
  if (mkdir(dir.c_str(), static_cast<mode_t>(mode)) == 0) {
    chmod(dir.c_str(), static_cast<mode_t>(mode));  // mkdir applied the umask
    return;
  }
  struct stat st {};
  if (errno == EEXIST && stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return;
  throw Failure("cannot create folder " + dir + ": " + std::strerror(errno));
}

}  // namespace vslice::cli
