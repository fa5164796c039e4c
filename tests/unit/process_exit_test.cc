#include "core/process_exit.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
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

// The moment a reaper waits for: a process whose threads are on their way
// out (PF_EXITING) and not yet zombies, so that its descriptors, the
// driver's among them, may still be open. No real process holds still there
// long enough to be looked at, so the process table is written out here, as
// the kernel shows it.
class ExitingProcessTest : public ::testing::Test {
 protected:
  static constexpr pid_t kPid = 4242;
  static constexpr unsigned long kExiting = 0x4;  // PF_EXITING
  static constexpr unsigned long kOtherFlags = 0x400040;

  void SetUp() override {
    if (access("/proc/self/ns/pid", R_OK) != 0) GTEST_SKIP() << "no /proc here";
    char pattern[] = "/tmp/vslice-proc-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
    identity_ = OwnProcessIdentity();  // the reaper's own pid namespace
    identity_.start_ticks = 987654;
  }
  void TearDown() override {
    if (!root_.empty()) std::filesystem::remove_all(root_);
  }

  // /proc/<kPid>/stat (the leader) or /proc/<kPid>/task/<tid>/stat, with a
  // command name that has spaces and parentheses, as names may.
  void WriteStat(const std::string& relative, char state, unsigned long flags,
                 unsigned long long start_ticks = 987654) {
    const std::string dir = root_ + "/" + std::to_string(kPid) + relative;
    std::filesystem::create_directories(dir);
    std::ofstream out(dir + "/stat");
    // Fields: pid (comm) state ppid pgrp session tty tpgid flags ... starttime (22).
    out << kPid << " (a (b) c) " << state << " 1 1 1 0 -1 " << flags
        << " 0 0 0 0 0 0 0 0 20 0 1 0 " << start_ticks << " 0 0\n";
  }
  void WriteThread(int tid, char state, unsigned long flags) {
    WriteStat("/task/" + std::to_string(tid), state, flags);
  }
  bool StillExiting() { return ProcessStillExitingIn(root_.c_str(), kPid, identity_); }

  std::string root_;
  ProcessIdentity identity_;
};

TEST_F(ExitingProcessTest, AThreadExitingAndNotYetAZombieIsWaitedFor) {
  WriteStat("", 'Z', kOtherFlags | kExiting);  // the leader exited first
  WriteThread(kPid, 'Z', kOtherFlags | kExiting);
  WriteThread(kPid + 1, 'D', kOtherFlags | kExiting);  // closing the driver's files
  WriteThread(kPid + 2, 'S', kOtherFlags);
  EXPECT_TRUE(StillExiting());
}

TEST_F(ExitingProcessTest, ZombiesRunningThreadsAndAnotherProcessAreNot) {
  WriteStat("", 'S', kOtherFlags);
  WriteThread(kPid, 'S', kOtherFlags);
  WriteThread(kPid + 1, 'R', kOtherFlags);
  EXPECT_FALSE(StillExiting()) << "alive and not exiting";

  WriteThread(kPid + 1, 'Z', kOtherFlags | kExiting);
  WriteThread(kPid, 'X', kOtherFlags | kExiting);
  EXPECT_FALSE(StillExiting()) << "every thread is a zombie or dead: its files are closed";

  WriteThread(kPid + 2, 'D', kOtherFlags | kExiting);
  EXPECT_TRUE(StillExiting());
  WriteStat("", 'S', kOtherFlags, 111);  // the pid now belongs to another process
  EXPECT_FALSE(StillExiting()) << "a reused pid";
  EXPECT_FALSE(ProcessStillExitingIn((root_ + "/nothing").c_str(), kPid, identity_)) << "gone";
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
