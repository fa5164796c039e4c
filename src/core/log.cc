#include "core/log.h"

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <unistd.h>

namespace vslice {
namespace {

// Constant-initialized (constexpr constructors): no global constructor runs.
constinit std::atomic<int> g_level{static_cast<int>(LogLevel::kWarning)};
constinit std::atomic<int> g_fd{2};

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kError: return "ERROR";
    case LogLevel::kWarning: return "WARNING";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kDebug: return "DEBUG";
  }
  return "LOG";
}

// Formats one line of at most kLogLineLength bytes and writes it.
void EmitV(LogLevel level, const char* fmt, va_list args) {
  const int fd = g_fd.load(std::memory_order_relaxed);
  if (fd < 0) return;
  const int saved_errno = errno;

  char line[kLogLineLength];
  constexpr int kMaxText = kLogLineLength - 1;  // bytes before the '\n'
  int n = std::snprintf(line, sizeof line, "vslice[%d] %s: ", static_cast<int>(getpid()),
                        LevelName(level));
  if (n < 0) n = 0;
  if (n > kMaxText) n = kMaxText;
  // Writes at most sizeof line - n - 1 characters plus a NUL, so the text
  // never goes past line[kMaxText - 1].
  int m = std::vsnprintf(line + n, sizeof line - static_cast<std::size_t>(n), fmt, args);
  if (m < 0) m = 0;
  if (m > kMaxText) m = kMaxText;  // keeps n + m from overflowing
  int len = n + m;
  if (len > kMaxText) len = kMaxText;  // truncated
  if (len > n && line[len - 1] == '\n') --len;
  line[len++] = '\n';  // len <= kLogLineLength

  ssize_t w;
  do {
    w = ::write(fd, line, static_cast<std::size_t>(len));
  } while (w < 0 && errno == EINTR);
  errno = saved_errno;
}

}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level), std::memory_order_relaxed); }

LogLevel CurrentLogLevel() { return static_cast<LogLevel>(g_level.load(std::memory_order_relaxed)); }

bool LogEnabled(LogLevel level) {
  return static_cast<int>(level) <= g_level.load(std::memory_order_relaxed) &&
         g_fd.load(std::memory_order_relaxed) >= 0;
}

void SetLogFd(int fd) { g_fd.store(fd, std::memory_order_relaxed); }

int CurrentLogFd() { return g_fd.load(std::memory_order_relaxed); }

void Log(LogLevel level, const char* fmt, ...) {
  if (!LogEnabled(level)) return;
  va_list args;
  va_start(args, fmt);
  EmitV(level, fmt, args);
  va_end(args);
}

void LogOptionErrors(const Options& options) {
  int stored = options.error_count;
  if (stored > kMaxOptionErrors) stored = kMaxOptionErrors;
  for (int i = 0; i < stored; ++i) {
    // The strings are NUL-terminated by LoadOptions; "%.*s" guards anyway.
    Log(LogLevel::kError, "%.*s", kOptionErrorLength, options.errors[i]);
  }
  if (options.error_count > kMaxOptionErrors) {
    Log(LogLevel::kError, "%d more configuration errors were not recorded",
        options.error_count - kMaxOptionErrors);
  }
  if (const char* warning = InertSettingWarning(options)) Log(LogLevel::kWarning, "%s", warning);
}

const char* InertSettingWarning(const Options& options) {
  if (!options.oversubscribe) return nullptr;
  return "CUDA_OVERSUBSCRIBE (or VSLICE_OVERSUBSCRIBE) is true, which vslice accepts but does "
         "not act on yet: device memory is not oversubscribed, so allocations beyond what the "
         "device has fail and memory queries report at most what it has; unset it to silence "
         "this";
}

}  // namespace vslice
