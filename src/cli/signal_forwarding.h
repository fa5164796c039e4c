// `vslice run` passes SIGINT, SIGTERM, SIGHUP and SIGQUIT on to the command.
//
// A signal sent to vslice itself (kill, a supervisor) is forwarded to the
// command. A signal the terminal sent (Ctrl-C, Ctrl-\, hangup; si_code
// SI_KERNEL) is not: the terminal already sent it to the whole foreground
// process group, the command included, and it must not get it twice.
// vslice itself never dies of these signals while the command runs: it waits
// for the command and exits with its status.
#ifndef VSLICE_CLI_SIGNAL_FORWARDING_H_
#define VSLICE_CLI_SIGNAL_FORWARDING_H_

#include <signal.h>
#include <sys/types.h>

namespace vslice::cli {

// Installs the handlers (not for a signal vslice was started with ignored,
// as under nohup). Until SetForwardTarget(), signals are only recorded.
void InstallSignalForwarding();
// The signals forwarded, for blocking them around fork().
sigset_t ForwardedSignals();
// Restores the dispositions vslice was started with (in a child, before exec).
void ResetForwardedSignals();
// From now on signals go to `pid` (0: nowhere).
void SetForwardTarget(pid_t pid);
// The last forwarded-kind signal received, 0 if none.
int ReceivedSignal();

}  // namespace vslice::cli

#endif  // VSLICE_CLI_SIGNAL_FORWARDING_H_
