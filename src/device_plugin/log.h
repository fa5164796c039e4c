// The daemon's log: one line per event on stderr, with the time and level.
#ifndef VSLICE_DEVICE_PLUGIN_LOG_H_
#define VSLICE_DEVICE_PLUGIN_LOG_H_

namespace vslice::dp {

void LogInfo(const char* format, ...) __attribute__((format(printf, 1, 2)));
void LogError(const char* format, ...) __attribute__((format(printf, 1, 2)));

}  // namespace vslice::dp

#endif  // VSLICE_DEVICE_PLUGIN_LOG_H_
