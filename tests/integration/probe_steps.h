// What the CUDA probe (cuda_probe.cc) and the Ascend probe
// (tests/ascend/ascend_probe.cc) share in their steps: splitting a step's
// arguments, and the request loop whose output the harness's Latencies()
// reads.
#ifndef VSLICE_TESTS_INTEGRATION_PROBE_STEPS_H_
#define VSLICE_TESTS_INTEGRATION_PROBE_STEPS_H_

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace vslice::testing {

// "a:b:c" -> {"a", "b", "c"}; "" -> {""}.
inline std::vector<std::string> SplitColons(const std::string& text) {
  std::vector<std::string> parts;
  std::string::size_type start = 0;
  for (;;) {
    const auto colon = text.find(':', start);
    parts.push_back(text.substr(start, colon == std::string::npos ? std::string::npos
                                                                  : colon - start));
    if (colon == std::string::npos) return parts;
    start = colon + 1;
  }
}

// `count` requests, one every `period` (on a fixed schedule, so a late one
// does not shift the others): `request()` submits a request's work, waits
// for it and says whether it succeeded; its latency is from the call to its
// return. Prints "requests n=N p50_us=A p99_us=B max_us=C", or nothing and
// returns false at the first request that failed (a test then finds no
// result rather than the latencies of requests that did no work).
template <typename Request>
bool RunRequests(long count, std::chrono::milliseconds period, Request request) {
  std::vector<long long> latencies;
  auto next = std::chrono::steady_clock::now();
  for (long r = 0; r < count; ++r) {
    std::this_thread::sleep_until(next);
    next += period;
    const auto start = std::chrono::steady_clock::now();
    if (!request()) return false;
    latencies.push_back(std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count());
  }
  std::sort(latencies.begin(), latencies.end());
  auto at = [&](double q) {
    return latencies.empty() ? 0LL
                             : latencies[std::min(latencies.size() - 1,
                                                  static_cast<size_t>(q * latencies.size()))];
  };
  std::printf("requests n=%zu p50_us=%lld p99_us=%lld max_us=%lld\n", latencies.size(), at(0.50),
              at(0.99), latencies.empty() ? 0LL : latencies.back());
  std::fflush(stdout);
  return true;
}

}  // namespace vslice::testing

#endif  // VSLICE_TESTS_INTEGRATION_PROBE_STEPS_H_
