#include "supervise/signals.h"

#include <sys/reboot.h>

#include <csignal>

namespace lifeboat {

const char* to_string(ShutdownKind k) noexcept {
  switch (k) {
    case ShutdownKind::halt: return "halt";
    case ShutdownKind::poweroff: return "poweroff";
    case ShutdownKind::reboot: return "reboot";
    default: return "none";
  }
}

ShutdownKind shutdown_for_signal(int signo) noexcept {
  switch (signo) {
    case SIGUSR1: return ShutdownKind::halt;
    case SIGUSR2: return ShutdownKind::poweroff;
    case SIGTERM:
    case SIGINT: return ShutdownKind::reboot;
    default: return ShutdownKind::none;
  }
}

int signal_for_shutdown(ShutdownKind k) noexcept {
  switch (k) {
    case ShutdownKind::halt: return SIGUSR1;
    case ShutdownKind::poweroff: return SIGUSR2;
    case ShutdownKind::reboot: return SIGTERM;
    default: return 0;
  }
}

int reboot_cmd_for(ShutdownKind k) noexcept {
  switch (k) {
    case ShutdownKind::halt: return RB_HALT_SYSTEM;
    case ShutdownKind::poweroff: return RB_POWER_OFF;
    default: return RB_AUTOBOOT;
  }
}

}  // namespace lifeboat
