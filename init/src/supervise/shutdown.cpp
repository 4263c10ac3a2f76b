#include "supervise/shutdown.h"

#include <sys/mount.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <csignal>

#include "boot/mounts.h"
#include "boot/tools.h"

namespace lifeboat {

std::vector<std::string> plan_unmounts(const std::string& mountinfo) {
  // The tools stay: LVM, cryptsetup and mdadm take the stacks down after the unmounts.
  static const char* const keep[] = {"/", "/proc", "/sys", "/dev", "/dev/pts", "/run", kToolsDir};
  std::vector<std::string> out;
  auto targets = mounted_targets(mountinfo);
  for (auto it = targets.rbegin(); it != targets.rend(); ++it) {
    bool kept = std::any_of(std::begin(keep), std::end(keep), [&](const char* k) { return *it == k; });
    if (!kept) out.push_back(*it);
  }
  return out;
}

namespace {

// Reaps (through the supervisor, so its books stay right) until no child is left (true)
// or the time is up (false).
bool reap_all(sys::Sys& sys, Supervisor& sup, int wait_ms) noexcept {
  const std::int64_t deadline = sys.monotonic_ms() + wait_ms;
  for (;;) {
    if (sup.reap()) return true;
    const std::int64_t left = deadline - sys.monotonic_ms();
    if (left <= 0) return false;
    // Only a wake-up (SIGCHLD or 100 ms): what happened is read from waitpid above.
    (void)sys.wait_event(static_cast<int>(std::min<std::int64_t>(left, 100)), -1);
  }
}

}  // namespace

void execute_shutdown(sys::Sys& sys, Log& log, Supervisor& sup, ShutdownKind kind, const AfterUnmount& after_unmount,
                      const ShutdownTimings& t) noexcept {
  log.info("shutdown: %s", to_string(kind));
  sup.stop_services();
  if (sys.getpid() != 1) {
    log.info("shutdown: not PID 1: not signalling every process, not rebooting");
    return;
  }

  // SIGHUP too: interactive shells ignore SIGTERM; SIGCONT wakes stopped processes.
  for (int sig : {SIGTERM, SIGHUP, SIGCONT}) {
    if (auto st = sys.kill(-1, sig); !st.ok() && st.err != ESRCH)
      log.info("shutdown: kill(-1, %d): %s", sig, sys::error_text(st.err));
  }
  if (!reap_all(sys, sup, t.term_wait_ms)) {
    log.info("shutdown: sending SIGKILL to what is left");
    if (auto st = sys.kill(-1, SIGKILL); !st.ok() && st.err != ESRCH)
      log.info("shutdown: kill(-1, SIGKILL): %s", sys::error_text(st.err));
    reap_all(sys, sup, t.kill_wait_ms);
  }
  sys.sync();

  auto info = sys.read_file("/proc/self/mountinfo");
  if (info.ok()) {
    std::vector<std::string> plan;
    try {
      plan = plan_unmounts(info.value);
    } catch (...) {
    }
    for (const auto& target : plan) {
      auto st = sys.umount2(target, 0);
      if (st.ok()) continue;
      auto ro = sys.mount("", target, "", MS_REMOUNT | MS_RDONLY, "");
      log.info("shutdown: umount %s: %s; %s", target.c_str(), sys::error_text(st.err),
               ro.ok() ? "remounted read-only" : "remount read-only failed too");
    }
  } else {
    log.info("shutdown: /proc/self/mountinfo: %s", sys::error_text(info.err));
  }
  sys.sync();
  if (after_unmount) {
    try {
      after_unmount();
    } catch (...) {
    }
    sys.sync();
  }

  log.info("%s", kind == ShutdownKind::halt ? "halting" : kind == ShutdownKind::poweroff ? "powering off" : "rebooting");
  auto st = sys.reboot(reboot_cmd_for(kind));
  // Still here: reboot(2) failed. Bring the consoles back rather than leave a dead machine.
  log.info("shutdown: reboot(2): %s; restarting services", sys::error_text(st.err));
  sup.resume_services();
}

}  // namespace lifeboat
