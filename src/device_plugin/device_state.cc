#include "device_plugin/device_state.h"

namespace vslice::dp {

bool DeviceState::Set(std::vector<PhysicalDevice> devices) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (version_ != 0 && devices_ == devices) return false;
    devices_ = std::move(devices);
    ++version_;
  }
  cv_.notify_all();
  return true;
}

std::vector<PhysicalDevice> DeviceState::devices() const {
  std::lock_guard<std::mutex> lock(mu_);
  return devices_;
}

std::uint64_t DeviceState::version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return version_;
}

std::uint64_t DeviceState::WaitChange(std::uint64_t seen, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return version_ != seen; });
  return version_;
}

}  // namespace vslice::dp
