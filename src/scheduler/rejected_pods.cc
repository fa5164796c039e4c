#include "scheduler/rejected_pods.h"

#include <algorithm>

namespace vslice::scheduler {

void RejectedPods::Note(const std::string& ns, const std::string& name, Clock::time_point now) {
  std::lock_guard<std::mutex> g(mu_);
  pods_.try_emplace(ns + "/" + name, now, PodRef{ns, name});
}

void RejectedPods::Forget(const std::string& ns, const std::string& name) {
  std::lock_guard<std::mutex> g(mu_);
  pods_.erase(ns + "/" + name);
}

void RejectedPods::CapacityFreed(Clock::time_point now) {
  std::lock_guard<std::mutex> g(mu_);
  if (!freed_) freed_at_ = now;
  freed_ = true;
}

std::vector<PodRef> RejectedPods::TakeDue(Clock::time_point now, Clock::duration settle, std::size_t max) {
  std::lock_guard<std::mutex> g(mu_);
  std::vector<PodRef> due;
  if (!freed_ || now - freed_at_ < settle || pods_.empty()) return due;
  std::vector<std::pair<Clock::time_point, std::string>> order;
  for (const auto& [key, entry] : pods_) order.emplace_back(entry.first, key);
  std::sort(order.begin(), order.end());
  for (std::size_t i = 0; i < order.size() && due.size() < max; ++i) {
    auto it = pods_.find(order[i].second);
    due.push_back(it->second.second);
    pods_.erase(it);
  }
  freed_ = !pods_.empty() && due.size() == max;  // more to touch next round
  if (freed_) freed_at_ = now - settle;
  return due;
}

std::size_t RejectedPods::size() const {
  std::lock_guard<std::mutex> g(mu_);
  return pods_.size();
}

}  // namespace vslice::scheduler
