// A tiny logger that is safe to call from inside a preloaded library.
//
// Each message becomes one line
//   vslice[<pid>] <LEVEL>: <message>\n
// formatted into a 1024-byte stack buffer (longer messages are truncated,
// the line always ends with '\n') and emitted with a single write(2), so
// lines from several processes sharing one file do not interleave. No heap,
// no locks, no stdio FILE*, no global constructors; errno is preserved.
//
// The level and the output fd live in std::atomic<int>s and can be changed
// from any thread at any time. LoadOptions() does not touch the logger: the
// caller applies Options::log_level with SetLogLevel().
#ifndef VSLICE_CORE_LOG_H_
#define VSLICE_CORE_LOG_H_

#include "core/options.h"

namespace vslice {

inline constexpr int kLogLineLength = 1024;

// Messages above this level are dropped. Default: LogLevel::kWarning.
void SetLogLevel(LogLevel level);
LogLevel CurrentLogLevel();
// True when a message at `level` would be written (to skip costly arguments).
bool LogEnabled(LogLevel level);

// Where lines go. Default: 2 (stderr). A negative fd turns output off.
// The logger never opens or closes the fd.
void SetLogFd(int fd);
int CurrentLogFd();

// printf-style. A single trailing '\n' in the message is dropped (the line
// gets exactly one).
void Log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// Writes each of options.errors at kError level, plus a line saying how many
// more there were when error_count exceeds kMaxOptionErrors; then, at
// kWarning level, InertSettingWarning() when there is one.
void LogOptionErrors(const Options& options);

// One line for a setting vslice accepts but does not act on yet, or nullptr:
// CUDA_OVERSUBSCRIBE / VSLICE_OVERSUBSCRIBE set to true (HAMi sets it when a
// device's memory is scaled beyond its size).
const char* InertSettingWarning(const Options& options);

}  // namespace vslice

#endif  // VSLICE_CORE_LOG_H_
