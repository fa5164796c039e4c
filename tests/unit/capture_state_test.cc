#include "core/capture_state.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace vslice {
namespace {

TEST(CaptureStateTest, CountsCapturesUntilTheLastEnds) {
  EXPECT_FALSE(CaptureInProgress());
  CaptureBegins();
  CaptureBegins();
  EXPECT_TRUE(CaptureInProgress());
  CaptureEnded();
  EXPECT_TRUE(CaptureInProgress());
  CaptureEnded();
  EXPECT_FALSE(CaptureInProgress());
  // An end without a begin (a capture this process never counted) is no
  // reason to count below zero.
  CaptureEnded();
  CaptureBegins();
  EXPECT_TRUE(CaptureInProgress());
  CaptureEnded();
  EXPECT_FALSE(CaptureInProgress());
}

TEST(CaptureStateTest, AWaitIsGrantedOnlyWhileNoCaptureIsInProgress) {
  {
    CaptureFreeWait wait;
    EXPECT_TRUE(wait);
  }
  CaptureBegins();
  {
    CaptureFreeWait wait;
    EXPECT_FALSE(wait);
  }
  CaptureEnded();
  CaptureFreeWait wait;
  EXPECT_TRUE(wait);
}

TEST(CaptureStateTest, ACaptureBeginsOnlyOnceTheWaitsGrantedBeforeItHaveFinished) {
  std::atomic<bool> granted{false};
  std::atomic<bool> finished{false};
  std::thread waiter([&] {
    {
      CaptureFreeWait wait;
      ASSERT_TRUE(wait);
      granted.store(true);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      finished.store(true);
    }
  });
  while (!granted.load()) std::this_thread::yield();
  CaptureBegins();
  EXPECT_TRUE(finished.load()) << "the capture began while a wait it forbids was under way";
  {
    CaptureFreeWait wait;
    EXPECT_FALSE(wait) << "a wait granted after the capture began";
  }
  CaptureEnded();
  waiter.join();
}

TEST(CaptureStateTest, AForkedChildStartsWithoutTheParentsCaptures) {
  CaptureBegins();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const bool clean = !CaptureInProgress() && static_cast<bool>(CaptureFreeWait());
    _exit(clean ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "the child saw its parent's capture in progress";
  EXPECT_TRUE(CaptureInProgress());
  CaptureEnded();
}

}  // namespace
}  // namespace vslice
