#include "core/limiter_launcher.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

#include "core/log.h"

extern char** environ;

namespace vslice {
namespace {

// The limiter program: VSLICE_LIMITER, else beside the library this code is
// in (HAMi mounts the library and its helpers in one folder), else in a
// bin/ folder beside its lib/ folder (an installed tree, a build tree).
bool FindLimiter(const Options& options, char (&path)[kPathLength]) {
  if (options.limiter_path[0] != '\0') {
    std::snprintf(path, sizeof path, "%s", options.limiter_path);
    return access(path, X_OK) == 0;
  }
  Dl_info self{};
  if (dladdr(reinterpret_cast<const void*>(&FindLimiter), &self) == 0 || self.dli_fname == nullptr) {
    return false;
  }
  const char* slash = std::strrchr(self.dli_fname, '/');
  const int dir_length = slash == nullptr ? 1 : static_cast<int>(slash - self.dli_fname);
  const char* dir = slash == nullptr ? "." : self.dli_fname;
  for (const char* relative : {"/vslice-limiter", "/../bin/vslice-limiter"}) {
    std::snprintf(path, sizeof path, "%.*s%s", dir_length, dir, relative);
    if (access(path, X_OK) == 0) return true;
  }
  return false;
}

}  // namespace

void StartLimiterIfNeeded(const Options& options, PodRegion& region) {
  const bool wants_compute_control = options.compute_limit != 0 || options.registry_path[0] != '\0';
  if (!options.auto_limiter || !wants_compute_control || !region.is_open() ||
      region.LimiterAlive()) {
    return;
  }
  char limiter[kPathLength];
  if (!FindLimiter(options, limiter)) {
    Log(LogLevel::kWarning,
        "the pod asks for compute control but no limiter serves it and vslice-limiter was not "
        "found (set VSLICE_LIMITER); compute runs ungated");
    return;
  }
  char log_file[kPathLength + 16];
  std::snprintf(log_file, sizeof log_file, "%s.limiter.log", options.region_path);
  char idle[16];
  std::snprintf(idle, sizeof idle, "%d", kAutoLimiterIdleSeconds);
  char* const argv[] = {limiter, const_cast<char*>("--region"),
                        const_cast<char*>(options.region_path), const_cast<char*>("--detach"),
                        const_cast<char*>("--exit-when-idle"), idle,
                        const_cast<char*>("--log-file"), log_file, nullptr};

  // The limiter needs no interceptor: drop LD_PRELOAD from its environment.
  std::size_t count = 0;
  while (environ != nullptr && environ[count] != nullptr) ++count;
  char** env = static_cast<char**>(std::calloc(count + 1, sizeof(char*)));
  if (env == nullptr) return;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (std::strncmp(environ[i], "LD_PRELOAD=", 11) != 0) env[kept++] = environ[i];
  }

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  for (int fd = 0; fd < 3; ++fd) {
    posix_spawn_file_actions_addopen(&files, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
  }
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, limiter, &files, &attr, argv, env);
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attr);
  std::free(env);
  if (rc != 0) {
    Log(LogLevel::kWarning, "cannot start %s: %s; compute runs ungated", limiter,
        std::strerror(rc));
    return;
  }
  // With --detach the limiter forks and its first process exits at once:
  // nothing of it is left to this process.
  int status = 0;
  waitpid(pid, &status, 0);
  Log(LogLevel::kInfo, "started %s for the pod (log: %s)", limiter, log_file);
}

}  // namespace vslice
