#pragma once
// The shutdown sequence (halt / poweroff / reboot):
//   1. log it; stop services (no respawn)
//   2. kill(-1, SIGTERM), then SIGHUP (interactive shells ignore SIGTERM) and SIGCONT;
//      reap for up to 3 s (stop early when no child is left)
//   3. kill(-1, SIGKILL); reap briefly
//   4. sync(); unmount everything but the API filesystems, last mounted first
//      (umount2; if that fails: remount read-only, never MNT_DETACH); sync()
//   5. reboot(RB_HALT_SYSTEM | RB_POWER_OFF | RB_AUTOBOOT)
#include <functional>
#include <string>
#include <vector>

#include "boot/log.h"
#include "supervise/signals.h"
#include "supervise/supervisor.h"
#include "sys/sys.h"

namespace lifeboat {

// Mount points from /proc/self/mountinfo text to unmount, in order (reverse of mount
// order), leaving out /, /proc, /sys, /dev, /dev/pts and /run.
std::vector<std::string> plan_unmounts(const std::string& mountinfo);

struct ShutdownTimings {
  int term_wait_ms = 3000;
  int kill_wait_ms = 1000;
};

// Run after the filesystems are unmounted and before reboot(2): takes down what sits between
// the disks and the filesystems (LVM, dm-crypt, md arrays) so md marks its arrays clean.
using AfterUnmount = std::function<void()>;

// Returns only if it could not finish (not PID 1, or reboot(2) failed); logs why, and
// after a failed reboot(2) restarts the services (a console shell beats a dead machine).
// Outside PID 1 it never signals or reboots anything (safe in tests on a host).
void execute_shutdown(sys::Sys& sys, Log& log, Supervisor& sup, ShutdownKind kind, const AfterUnmount& after_unmount,
                      const ShutdownTimings& t = {}) noexcept;

}  // namespace lifeboat
