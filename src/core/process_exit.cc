#include "core/process_exit.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace vslice {
namespace {

// PF_EXITING in a task's flags (field 9 of /proc/PID/task/TID/stat): the
// thread has entered do_exit.
constexpr unsigned long kTaskExiting = 0x4;

// Reads a small /proc file into `buffer` (NUL-terminated); false if absent.
bool ReadProcFile(const char* path, char* buffer, std::size_t size) {
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  std::size_t at = 0;
  while (at + 1 < size) {
    const ssize_t n = read(fd, buffer + at, size - 1 - at);
    if (n <= 0) break;
    at += static_cast<std::size_t>(n);
  }
  close(fd);
  buffer[at] = '\0';
  return at > 0;
}

struct TaskStat {
  char state = '?';
  unsigned long flags = 0;
  std::uint64_t start_ticks = 0;
};

// Parses /proc/.../stat: the fields after the command name, which is in
// parentheses and may itself contain spaces and parentheses.
bool ParseStat(const char* text, TaskStat* out) {
  const char* paren = std::strrchr(text, ')');
  if (paren == nullptr || paren[1] != ' ') return false;
  const char* p = paren + 2;
  out->state = *p;
  // Fields from 3 (state) on; flags is field 9, starttime field 22.
  for (int field = 3; field < 22 && *p != '\0'; ++field) {
    p = std::strchr(p, ' ');
    if (p == nullptr) return false;
    ++p;
    if (field + 1 == 9) out->flags = std::strtoul(p, nullptr, 10);
  }
  out->start_ticks = std::strtoull(p, nullptr, 10);
  return true;
}

// This process's pid namespace inode, once known (0: not looked up yet).
constinit std::atomic<std::uint64_t> g_own_pid_namespace{0};

std::uint64_t PidNamespaceInode(const char* path) {
  struct stat st;
  return stat(path, &st) == 0 ? static_cast<std::uint64_t>(st.st_ino) : 0;
}

}  // namespace

ProcessIdentity OwnProcessIdentity() {
  ProcessIdentity identity;
  identity.pid_namespace = PidNamespaceInode("/proc/self/ns/pid");
  char text[1024];
  TaskStat stat;
  if (ReadProcFile("/proc/self/stat", text, sizeof text) && ParseStat(text, &stat)) {
    identity.start_ticks = stat.start_ticks;
  }
  if (identity.start_ticks == 0) identity.pid_namespace = 0;
  return identity;
}

bool ProcessStillExiting(pid_t pid, const ProcessIdentity& identity) {
  return ProcessStillExitingIn("/proc", pid, identity);
}

bool ProcessStillExitingIn(const char* proc_root, pid_t pid, const ProcessIdentity& identity) {
  if (pid <= 0 || identity.pid_namespace == 0 || identity.start_ticks == 0) return false;
  // A process's pid namespace is fixed for its life: looked up once. (An
  // atomic, not a function-local static: its guard would pull the C++
  // runtime's exception machinery, and a constructor, into the interceptors.)
  std::uint64_t own_namespace = g_own_pid_namespace.load(std::memory_order_relaxed);
  if (own_namespace == 0) {
    own_namespace = PidNamespaceInode("/proc/self/ns/pid");
    g_own_pid_namespace.store(own_namespace, std::memory_order_relaxed);
  }
  if (own_namespace != identity.pid_namespace) return false;
  char path[320];
  char text[1024];
  TaskStat leader;
  std::snprintf(path, sizeof path, "%s/%d/stat", proc_root, static_cast<int>(pid));
  if (!ReadProcFile(path, text, sizeof text) || !ParseStat(text, &leader)) return false;
  if (leader.start_ticks != identity.start_ticks) return false;  // the pid was reused

  // Every thread: exiting and not yet a zombie means its process may still
  // hold descriptors. getdents64 into a stack buffer: no heap (this runs in
  // applications, possibly from inside an allocation hook).
  std::snprintf(path, sizeof path, "%s/%d/task", proc_root, static_cast<int>(pid));
  const int dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return false;
  bool exiting = false;
  bool any_alive = false;
  alignas(8) char entries[4096];
  for (;;) {
    const long n = syscall(SYS_getdents64, dir, entries, sizeof entries);
    if (n <= 0) break;
    for (long at = 0; at < n;) {
      const auto* entry = reinterpret_cast<const struct dirent64*>(entries + at);
      at += entry->d_reclen;
      if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
      char task_path[640];
      std::snprintf(task_path, sizeof task_path, "%s/%d/task/%s/stat", proc_root,
                    static_cast<int>(pid), entry->d_name);
      TaskStat task;
      if (!ReadProcFile(task_path, text, sizeof text) || !ParseStat(text, &task)) continue;
      if (task.state == 'Z' || task.state == 'X' || task.state == 'x') continue;
      any_alive = true;
      if ((task.flags & kTaskExiting) != 0) exiting = true;
    }
  }
  close(dir);
  return any_alive && exiting;
}

}  // namespace vslice
