#include "device_plugin/log.h"

#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace vslice::dp {
namespace {

void Write(const char* level, const char* format, va_list args) {
  static std::mutex mu;
  char text[2048];
  std::vsnprintf(text, sizeof text, format, args);
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::lock_guard<std::mutex> lock(mu);
  std::fprintf(stderr, "%s vslice-device-plugin %s: %s\n", stamp, level, text);
}

}  // namespace

void LogInfo(const char* format, ...) {
  va_list args;
  va_start(args, format);
  Write("INFO", format, args);
  va_end(args);
}

void LogError(const char* format, ...) {
  va_list args;
  va_start(args, format);
  Write("ERROR", format, args);
  va_end(args);
}

}  // namespace vslice::dp
