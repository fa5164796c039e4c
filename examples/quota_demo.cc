// quota_demo: one tenant process. It reports the device memory it sees, then
// takes device memory in 256 MiB blocks until the driver says no, and
// reports how far it got. Run two of them in one pod (scripts/demo.sh): each
// sees the pod's quota as the device's total, and together they never hold
// more than it.
//
//   vslice_quota_demo NAME [TURNS]
//
// With a TURNS file, two tenants named A and B take turns (A first), one
// step each, so that what they print is the same on every run: each reports
// what it sees once both have their context, then they take a block each in
// turn until refused. They write their turns into the file as lines
// ("A ready", "A turn", "A done"). Without it, a tenant runs on its own.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "cuda/cuda_abi.h"
#include "cuda/driver_api.h"

using namespace vslice::cuda;

namespace {

constexpr size_t kBlock = 256ull << 20;
// How long a tenant waits for the other's turn before it gives up.
constexpr auto kTurnTimeout = std::chrono::seconds(20);

double GiB(size_t bytes) { return static_cast<double>(bytes) / (1ull << 30); }

const char* ErrorName(CUresult r) {
  const char* name = "unknown error";
  cuGetErrorName(r, &name);
  return name;
}

// Two tenants' turns through a file both append to.
class Turns {
 public:
  Turns(std::string path, std::string me)
      : path_(std::move(path)), me_(std::move(me)), other_(me_ == "A" ? "B" : "A") {}
  bool enabled() const { return !path_.empty(); }

  void Say(const char* what) {
    if (!enabled()) return;
    const std::string line = me_ + " " + what + "\n";
    const int fd = open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      std::fprintf(stderr, "[%s] cannot write %s\n", me_.c_str(), path_.c_str());
      std::exit(1);
    }
    close(fd);
  }

  // Waits until both are ready and it is this tenant's turn: the other
  // took the last turn (A goes first), or the other is done.
  void WaitForMyTurn() {
    if (!enabled()) return;
    const auto deadline = std::chrono::steady_clock::now() + kTurnTimeout;
    while (!MyTurn()) {
      if (std::chrono::steady_clock::now() > deadline) {
        std::fprintf(stderr, "[%s] %s did not take its turn\n", me_.c_str(), other_.c_str());
        std::exit(1);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

 private:
  bool MyTurn() const {
    std::ifstream in(path_);
    bool me_ready = false, other_ready = false, other_done = false;
    std::string last;  // who took the last turn
    for (std::string who, what; in >> who >> what;) {
      if (what == "ready") {
        (who == me_ ? me_ready : other_ready) = true;
      } else {
        last = who;
        if (who == other_ && what == "done") other_done = true;
      }
    }
    if (!me_ready || !other_ready) return false;
    return other_done || (last.empty() ? me_ == "A" : last == other_);
  }

  std::string path_, me_, other_;
};

}  // namespace

int main(int argc, char** argv) {
  const std::string who = argc > 1 ? argv[1] : "tenant";
  Turns turns(argc > 2 ? argv[2] : "", who);
  CUdevice device = 0;
  CUcontext context = nullptr;
  CUresult r = cuInit(0);
  if (r == CUDA_SUCCESS) r = cuDeviceGet(&device, 0);
  if (r == CUDA_SUCCESS) r = cuDevicePrimaryCtxRetain(&context, device);
  if (r == CUDA_SUCCESS) r = cuCtxSetCurrent(context);
  if (r != CUDA_SUCCESS) {
    std::fprintf(stderr, "[%s] cannot initialise CUDA: %s\n", who.c_str(), ErrorName(r));
    turns.Say("done");
    return 1;
  }
  turns.Say("ready");
  turns.WaitForMyTurn();
  size_t free_bytes = 0, total = 0;
  cuMemGetInfo_v2(&free_bytes, &total);
  std::printf("[%s pid %d] device memory: total %.2f GiB, free %.2f GiB\n", who.c_str(), getpid(),
              GiB(total), GiB(free_bytes));
  std::fflush(stdout);
  turns.Say("turn");

  std::vector<CUdeviceptr> blocks;
  for (;;) {
    turns.WaitForMyTurn();
    CUdeviceptr p = 0;
    r = cuMemAlloc_v2(&p, kBlock);
    if (r != CUDA_SUCCESS) break;
    blocks.push_back(p);
    turns.Say("turn");
    // On its own, a tenant paces itself so that two can interleave.
    if (!turns.enabled()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  cuMemGetInfo_v2(&free_bytes, &total);
  std::printf("[%s pid %d] allocated %.2f GiB in %zu blocks, then: %s; pod now uses %.2f of "
              "%.2f GiB\n",
              who.c_str(), getpid(), GiB(blocks.size() * kBlock), blocks.size(), ErrorName(r),
              GiB(total - free_bytes), GiB(total));
  std::fflush(stdout);
  turns.Say("done");
  // Hold the blocks until the other is done too, so that it is refused at
  // the full quota rather than given what this one frees.
  turns.WaitForMyTurn();
  for (CUdeviceptr b : blocks) cuMemFree_v2(b);
  return 0;
}
