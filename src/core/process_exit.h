// Whether a process that left the pod is still tearing down.
//
// A process's slot lock (an OFD lock on the pod region) is released when the
// kernel closes the process's file descriptors on its way out. The device
// driver frees the process's device memory in that same phase, when it
// closes the driver's descriptors, and the kernel closes them in no order a
// reaper could rely on. A reaper that returned a dead process's quota the
// moment its lock came free could therefore let another process allocate
// that memory while the device still holds it. So a reaper first waits until
// the dead process has finished closing its descriptors: every one of its
// threads has either gone or become a zombie, which a thread only becomes
// after its files were released.
//
// A slot records its owner's identity (pid namespace, pid, start time) when
// it is claimed; a reaper in another pid namespace, or one that finds the pid
// reused by another process, has nothing to wait for.
#ifndef VSLICE_CORE_PROCESS_EXIT_H_
#define VSLICE_CORE_PROCESS_EXIT_H_

#include <sys/types.h>

#include <cstdint>

namespace vslice {

struct ProcessIdentity {
  std::uint64_t pid_namespace = 0;  // inode of /proc/self/ns/pid; 0: unknown
  std::uint64_t start_ticks = 0;    // field 22 of /proc/PID/stat
};

// The calling process's identity; zeros when /proc is not there. No heap.
ProcessIdentity OwnProcessIdentity();

// True while the process `pid` with `identity` exists and at least one of its
// threads is exiting but not yet a zombie (its descriptors may still be
// open). False when it is gone, fully exited, alive and not exiting (it
// closed or exec'd away its slot lock), of another pid namespace, or
// unknown. No heap.
bool ProcessStillExiting(pid_t pid, const ProcessIdentity& identity);

// The same, reading the process table under `proc_root` (laid out as /proc:
// <pid>/stat and <pid>/task/<tid>/stat) instead of /proc. The tests give it
// a process in the middle of exiting this way: a real one does not hold
// still there long enough to be looked at.
bool ProcessStillExitingIn(const char* proc_root, pid_t pid, const ProcessIdentity& identity);

}  // namespace vslice

#endif  // VSLICE_CORE_PROCESS_EXIT_H_
