#pragma once
// Which consoles get a shell (or a login prompt).
//
// /proc/consoles lines look like
//   ttyS0                -W- (EC p a)    4:64
//   tty0                 -WU (E  p  )    4:1
// One service per distinct device; tty0 means "the foreground VT" and becomes /dev/tty1.
// Unreadable or empty: /dev/console.
#include <string>
#include <vector>

#include "config/boot_options.h"
#include "sys/sys.h"

namespace lifeboat {

struct ConsoleInfo {
  std::string name;      // "ttyS0"
  std::string flags;     // "-W-"
  std::string status;    // "EC p a" (inside the parentheses)
  int major = -1;
  int minor = -1;
  bool enabled() const noexcept { return status.find('E') != std::string::npos; }
};

std::vector<ConsoleInfo> parse_proc_consoles(const std::string& text);

struct ConsoleDevice {
  std::string path;  // "/dev/ttyS0"
  std::string term;  // "vt100" on serial/hypervisor consoles, "linux" on VTs
  bool operator==(const ConsoleDevice&) const = default;
};

// Distinct devices, in /proc/consoles order. Entries without a device number
// (netconsole) are left out. Empty input: {/dev/console, linux}.
std::vector<ConsoleDevice> console_devices(const std::vector<ConsoleInfo>& consoles);

// "ttyS0" -> "vt100", "tty1" -> "linux", "console" -> "linux".
std::string term_for(const std::string& device_name);

struct ConsoleCommand {
  sys::SpawnSpec spawn;
  std::string name;  // service name, e.g. "shell@ttyS0"
};

// shell: /bin/sh -l as root, own session, tty as controlling terminal.
// login: /sbin/getty -L 0 <tty> <term> (BusyBox), which prompts via /bin/login.
ConsoleCommand console_command(const ConsoleDevice& dev, ConsoleMode mode);

class Supervisor;
// Effects: reads /proc/consoles, registers one service per console device that exists.
// Returns the service names (e.g. "shell@ttyS0, shell@tty1") for the step line.
std::string register_console_services(sys::Sys& sys, Supervisor& sup, ConsoleMode mode);

}  // namespace lifeboat
