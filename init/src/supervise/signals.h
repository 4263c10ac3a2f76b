#pragma once
// What a signal to PID 1 means (BusyBox init semantics).
//
//   SIGUSR1  halt
//   SIGUSR2  poweroff
//   SIGTERM  reboot
//   SIGINT   reboot (ctrl-alt-del: reboot(RB_DISABLE_CAD) makes the kernel send it)
//   SIGCHLD  reap children
//   others (SIGHUP, SIGQUIT, SIGPIPE, ...): ignored
//   SIGKILL  never reaches PID 1: the kernel protects it, and lifeboat installs no
//            handler at all (every signal is blocked and read from a signalfd).
namespace lifeboat {

enum class ShutdownKind { none, halt, poweroff, reboot };

const char* to_string(ShutdownKind k) noexcept;
ShutdownKind shutdown_for_signal(int signo) noexcept;
int signal_for_shutdown(ShutdownKind k) noexcept;  // for `rescue poweroff` etc.; 0 for none
int reboot_cmd_for(ShutdownKind k) noexcept;       // RB_HALT_SYSTEM / RB_POWER_OFF / RB_AUTOBOOT

}  // namespace lifeboat
