#include "limiter/process_liveness.h"

#include <errno.h>
#include <signal.h>

#include <cstdio>
#include <cstring>

namespace vslice::limiter {
namespace {

// The state letter of /proc/<pid>/stat, or 0 when it cannot be read.
char ProcState(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  std::FILE* f = std::fopen(path, "re");
  if (f == nullptr) return 0;
  char buf[512];
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  // "<pid> (<comm>) <state> ...": comm may contain spaces and ')', so the
  // state follows the last ')'.
  const char* close = std::strrchr(buf, ')');
  if (close == nullptr || close[1] != ' ') return 0;
  return close[2];
}

}  // namespace

bool ProcessAlive(pid_t pid) {
  if (pid <= 0) return false;
  if (kill(pid, 0) != 0 && errno != EPERM) return false;
  const char state = ProcState(pid);
  return state != 'Z' && state != 'X';
}

}  // namespace vslice::limiter
