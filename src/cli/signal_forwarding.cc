#include "cli/signal_forwarding.h"

#include <errno.h>

#include <cstddef>

namespace vslice::cli {
namespace {

constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

// The dispositions vslice started with, restored in children.
struct sigaction g_original[sizeof kForwarded / sizeof kForwarded[0]];
bool g_installed = false;

volatile sig_atomic_t g_target = 0;
volatile sig_atomic_t g_received = 0;

void OnSignal(int sig, siginfo_t* info, void*) {
  const int saved_errno = errno;
  g_received = sig;
  const pid_t target = static_cast<pid_t>(g_target);
  if (target > 0 && (info == nullptr || info->si_code != SI_KERNEL)) kill(target, sig);
  errno = saved_errno;
}

}  // namespace

void InstallSignalForwarding() {
  struct sigaction sa {};
  sa.sa_sigaction = OnSignal;
  sa.sa_flags = SA_SIGINFO;  // no SA_RESTART: waitpid() returns EINTR and we loop
  sigemptyset(&sa.sa_mask);
  for (std::size_t i = 0; i < sizeof kForwarded / sizeof kForwarded[0]; ++i) {
    sigaction(kForwarded[i], nullptr, &g_original[i]);
    // A signal vslice was started with ignored (nohup) stays ignored, for
    // vslice and, through exec, for the command.
    if (g_original[i].sa_handler == SIG_IGN) continue;
    sigaction(kForwarded[i], &sa, nullptr);
  }
  g_installed = true;
}

sigset_t ForwardedSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kForwarded) sigaddset(&set, sig);
  return set;
}

void ResetForwardedSignals() {
  if (!g_installed) return;
  for (std::size_t i = 0; i < sizeof kForwarded / sizeof kForwarded[0]; ++i) {
    sigaction(kForwarded[i], &g_original[i], nullptr);
  }
}

void SetForwardTarget(pid_t pid) { g_target = pid; }

int ReceivedSignal() { return g_received; }

}  // namespace vslice::cli
