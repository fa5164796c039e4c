#include "core/process_exit.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace vslice {
namespace {

TEST(ProcessExitTest, OwnIdentityIsKnownWhereThereIsProc) {
  if (access("/proc/self/stat", R_OK) != 0) GTEST_SKIP() << "no /proc here";
  const ProcessIdentity me = OwnProcessIdentity();
  EXPECT_NE(me.pid_namespace, 0u);
  EXPECT_NE(me.start_ticks, 0u);
  // Stable: the same on every call.
  const ProcessIdentity again = OwnProcessIdentity();
  EXPECT_EQ(again.pid_namespace, me.pid_namespace);
  EXPECT_EQ(again.start_ticks, me.start_ticks);
}

TEST(ProcessExitTest, ARunningProcessIsNotExiting) {
  if (access("/proc/self/stat", R_OK) != 0) GTEST_SKIP() << "no /proc here";
  EXPECT_FALSE(ProcessStillExiting(getpid(), OwnProcessIdentity()));
}

TEST(ProcessExitTest, AZombieHasFinishedExitingAndAReapedOneIsGone) {
  if (access("/proc/self/stat", R_OK) != 0) GTEST_SKIP() << "no /proc here";
  int to_parent[2];
  ASSERT_EQ(pipe(to_parent), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const ProcessIdentity mine = OwnProcessIdentity();
    (void)!write(to_parent[1], &mine, sizeof mine);
    pause();
    _exit(0);
  }
  close(to_parent[1]);
  ProcessIdentity identity;
  ASSERT_EQ(read(to_parent[0], &identity, sizeof identity),
            static_cast<ssize_t>(sizeof identity));
  close(to_parent[0]);
  EXPECT_NE(identity.start_ticks, 0u);
  EXPECT_FALSE(ProcessStillExiting(child, identity)) << "alive and not exiting";
  kill(child, SIGKILL);
  // A zombie (killed, not yet waited for) has closed all its descriptors.
  siginfo_t info{};
  ASSERT_EQ(waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT), 0);
  EXPECT_FALSE(ProcessStillExiting(child, identity)) << "a zombie";
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  EXPECT_FALSE(ProcessStillExiting(child, identity)) << "gone";
}

TEST(ProcessExitTest, AReusedPidOrAnUnknownIdentityIsNeverWaitedFor) {
  if (access("/proc/self/stat", R_OK) != 0) GTEST_SKIP() << "no /proc here";
  ProcessIdentity other = OwnProcessIdentity();
  other.start_ticks += 1;  // another process under this pid
  EXPECT_FALSE(ProcessStillExiting(getpid(), other));
  EXPECT_FALSE(ProcessStillExiting(getpid(), ProcessIdentity{}));
  ProcessIdentity elsewhere = OwnProcessIdentity();
  elsewhere.pid_namespace += 1;  // a pid of another pid namespace
  EXPECT_FALSE(ProcessStillExiting(getpid(), elsewhere));
  EXPECT_FALSE(ProcessStillExiting(0, OwnProcessIdentity()));
  EXPECT_FALSE(ProcessStillExiting(-5, OwnProcessIdentity()));
}

}  // namespace
}  // namespace vslice
