#include "core/log.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <string>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

namespace vslice {
namespace {

// Sends the logger into a pipe for the duration of a test and restores the
// previous fd and level afterwards.
class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(pipe(fds_), 0);
    ASSERT_EQ(fcntl(fds_[0], F_SETFL, O_NONBLOCK), 0);
    saved_fd_ = CurrentLogFd();
    saved_level_ = CurrentLogLevel();
    SetLogFd(fds_[1]);
  }
  void TearDown() override {
    SetLogFd(saved_fd_);
    SetLogLevel(saved_level_);
    close(fds_[0]);
    close(fds_[1]);
  }

  // Everything written so far.
  std::string Drain() {
    std::string out;
    char buf[4096];
    for (;;) {
      const ssize_t n = read(fds_[0], buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }

  std::string Prefix(const char* level) {
    return "vslice[" + std::to_string(getpid()) + "] " + level + ": ";
  }

  int fds_[2] = {-1, -1};
  int saved_fd_ = 2;
  LogLevel saved_level_ = LogLevel::kWarning;
};

TEST_F(LogTest, DefaultLevelIsWarning) {
  // The process-wide default, before any test changed it (TearDown restores).
  EXPECT_EQ(saved_level_, LogLevel::kWarning);
  EXPECT_EQ(saved_fd_, 2);
}

TEST_F(LogTest, LineFormat) {
  SetLogLevel(LogLevel::kDebug);
  Log(LogLevel::kError, "device %d: %s", 3, "out of memory");
  EXPECT_EQ(Drain(), Prefix("ERROR") + "device 3: out of memory\n");
  Log(LogLevel::kWarning, "w");
  EXPECT_EQ(Drain(), Prefix("WARNING") + "w\n");
  Log(LogLevel::kInfo, "i %llu", 42ull);
  EXPECT_EQ(Drain(), Prefix("INFO") + "i 42\n");
  Log(LogLevel::kDebug, "d");
  EXPECT_EQ(Drain(), Prefix("DEBUG") + "d\n");
}

TEST_F(LogTest, TrailingNewlineIsNotDoubled) {
  SetLogLevel(LogLevel::kInfo);
  Log(LogLevel::kInfo, "hello\n");
  EXPECT_EQ(Drain(), Prefix("INFO") + "hello\n");
  Log(LogLevel::kInfo, "%s", "");
  EXPECT_EQ(Drain(), Prefix("INFO") + "\n");
}

TEST_F(LogTest, LevelFiltering) {
  SetLogLevel(LogLevel::kError);
  EXPECT_EQ(CurrentLogLevel(), LogLevel::kError);
  Log(LogLevel::kWarning, "dropped");
  Log(LogLevel::kInfo, "dropped");
  Log(LogLevel::kDebug, "dropped");
  Log(LogLevel::kError, "kept");
  EXPECT_EQ(Drain(), Prefix("ERROR") + "kept\n");
  EXPECT_TRUE(LogEnabled(LogLevel::kError));
  EXPECT_FALSE(LogEnabled(LogLevel::kWarning));

  SetLogLevel(LogLevel::kWarning);
  Log(LogLevel::kInfo, "dropped");
  Log(LogLevel::kWarning, "a");
  Log(LogLevel::kError, "b");
  EXPECT_EQ(Drain(), Prefix("WARNING") + "a\n" + Prefix("ERROR") + "b\n");

  SetLogLevel(LogLevel::kInfo);
  Log(LogLevel::kDebug, "dropped");
  Log(LogLevel::kInfo, "c");
  EXPECT_EQ(Drain(), Prefix("INFO") + "c\n");
}

TEST_F(LogTest, LongMessageIsTruncatedToOneLine) {
  SetLogLevel(LogLevel::kError);
  const std::string huge(5000, 'x');
  Log(LogLevel::kError, "%s", huge.c_str());
  const std::string line = Drain();
  ASSERT_EQ(line.size(), static_cast<std::size_t>(kLogLineLength));
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  const std::string prefix = Prefix("ERROR");
  EXPECT_EQ(line.substr(0, prefix.size()), prefix);
  EXPECT_EQ(line.substr(prefix.size(), line.size() - prefix.size() - 1),
            std::string(kLogLineLength - 1 - prefix.size(), 'x'));
}

TEST_F(LogTest, MessageThatExactlyFills) {
  SetLogLevel(LogLevel::kError);
  const std::string prefix = Prefix("ERROR");
  const std::string fill(kLogLineLength - 1 - prefix.size(), 'y');
  Log(LogLevel::kError, "%s", fill.c_str());
  EXPECT_EQ(Drain(), prefix + fill + "\n");
  // One more byte is cut, not wrapped onto a second line.
  Log(LogLevel::kError, "%sz", fill.c_str());
  EXPECT_EQ(Drain(), prefix + fill + "\n");
}

TEST_F(LogTest, EachLineIsOneWrite) {
  // Into a datagram socket every write is a datagram of its own, and a read
  // returns one: a line written in two parts would come back as two.
  int sockets[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sockets), 0);
  SetLogFd(sockets[0]);
  SetLogLevel(LogLevel::kError);
  const std::string long_text(kLogLineLength, 'w');  // cut to one line, still one write
  for (int i = 0; i < 5; ++i) Log(LogLevel::kError, "n=%d %s", i, i == 4 ? long_text.c_str() : "");
  SetLogFd(fds_[1]);
  std::vector<std::string> writes;
  char buf[2 * kLogLineLength];
  for (ssize_t n; (n = recv(sockets[1], buf, sizeof buf, 0)) > 0;) writes.emplace_back(buf, n);
  close(sockets[0]);
  close(sockets[1]);
  ASSERT_EQ(writes.size(), 5u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(writes[i], Prefix("ERROR") + "n=" + std::to_string(i) + " \n") << "write " << i;
  }
  EXPECT_EQ(writes[4].size(), static_cast<std::size_t>(kLogLineLength));
  EXPECT_EQ(writes[4].rfind(Prefix("ERROR") + "n=4 www", 0), 0u);
  EXPECT_EQ(writes[4].back(), '\n');
}

TEST_F(LogTest, PreservesErrno) {
  SetLogLevel(LogLevel::kError);
  errno = ENOENT;
  Log(LogLevel::kError, "x");
  EXPECT_EQ(errno, ENOENT);
  // Also when the write itself fails.
  SetLogFd(9999);
  errno = EAGAIN;
  Log(LogLevel::kError, "x");
  EXPECT_EQ(errno, EAGAIN);
}

TEST_F(LogTest, NegativeFdTurnsOutputOff) {
  SetLogLevel(LogLevel::kDebug);
  SetLogFd(-1);
  EXPECT_FALSE(LogEnabled(LogLevel::kError));
  Log(LogLevel::kError, "nowhere");
  SetLogFd(fds_[1]);
  EXPECT_EQ(Drain(), "");
}

TEST_F(LogTest, OversubscriptionIsAcceptedButSaysItDoesNothingYet) {
  SetLogLevel(LogLevel::kWarning);
  Options options{};
  LogOptionErrors(options);
  EXPECT_EQ(Drain(), "");
  options.oversubscribe = true;
  LogOptionErrors(options);
  EXPECT_EQ(Drain(), Prefix("WARNING") + InertSettingWarning(options) + "\n");
  EXPECT_NE(std::string(InertSettingWarning(options)).find("does not act on"), std::string::npos);
}

TEST_F(LogTest, LogOptionErrors) {
  SetLogLevel(LogLevel::kError);
  Options options{};
  options.error_count = 2;
  std::snprintf(options.errors[0], kOptionErrorLength, "first problem");
  std::snprintf(options.errors[1], kOptionErrorLength, "second %%d problem");
  LogOptionErrors(options);
  EXPECT_EQ(Drain(), Prefix("ERROR") + "first problem\n" + Prefix("ERROR") + "second %d problem\n");
}

TEST_F(LogTest, LogOptionErrorsReportsUnstored) {
  SetLogLevel(LogLevel::kError);
  Options options{};
  options.error_count = kMaxOptionErrors + 3;
  for (int i = 0; i < kMaxOptionErrors; ++i) {
    std::snprintf(options.errors[i], kOptionErrorLength, "e%d", i);
  }
  LogOptionErrors(options);
  std::string expected;
  for (int i = 0; i < kMaxOptionErrors; ++i) expected += Prefix("ERROR") + "e" + std::to_string(i) + "\n";
  expected += Prefix("ERROR") + "3 more configuration errors were not recorded\n";
  EXPECT_EQ(Drain(), expected);
}

TEST_F(LogTest, LogOptionErrorsFromLoadOptions) {
  SetLogLevel(LogLevel::kError);
  const Options options = LoadOptions(
      [](const char* name, void*) -> const char* {
        return std::strcmp(name, "CUDA_DEVICE_MEMORY_LIMIT_1") == 0 ? "2gb2" : nullptr;
      },
      nullptr);
  LogOptionErrors(options);
  const std::string out = Drain();
  EXPECT_EQ(out.rfind(Prefix("ERROR") + "CUDA_DEVICE_MEMORY_LIMIT_1=\"2gb2\" is not a size", 0), 0u)
      << out;
  EXPECT_EQ(out.back(), '\n');
  EXPECT_EQ(out.find('\n'), out.size() - 1);
}

TEST_F(LogTest, ErrorsAreNotLoggedWhenOutputIsOff) {
  SetLogLevel(LogLevel::kError);
  Options options{};
  options.error_count = 1;
  std::snprintf(options.errors[0], kOptionErrorLength, "x");
  SetLogFd(-1);
  LogOptionErrors(options);
  SetLogFd(fds_[1]);
  EXPECT_EQ(Drain(), "");
}

}  // namespace
}  // namespace vslice
