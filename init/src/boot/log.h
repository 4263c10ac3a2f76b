#pragma once
// Console + kernel log. Each line is "lifeboat: <text>" on the console and
// "<6>lifeboat: <text>" in /dev/kmsg. Lines logged before a sink is attached are kept
// (bounded) and replayed when it attaches, so nothing from early boot is lost.
//
// Never log a secret: name the field, not its value.
#include <cstdarg>
#include <string>
#include <string_view>
#include <vector>

#include "sys/sys.h"

namespace lifeboat {

class Log {
 public:
  explicit Log(sys::Sys& sys) noexcept : sys_(sys) {}
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  // Console sink (not owned: PID 1 keeps it open for its whole life).
  void attach_console(int fd) noexcept;
  // Opens /dev/kmsg for writing; replays early lines. Returns false if it can't.
  bool attach_kmsg(const std::string& path = "/dev/kmsg") noexcept;
  // Stop buffering early lines (after both sinks had their chance).
  void end_early() noexcept;
  void set_debug(bool on) noexcept { debug_ = on; }
  bool debug_enabled() const noexcept { return debug_; }
  int console_fd() const noexcept { return console_fd_; }

  // "lifeboat: <text>"
  void line(std::string_view text) noexcept;
  void info(const char* fmt, ...) noexcept __attribute__((format(printf, 2, 3)));
  void debug(const char* fmt, ...) noexcept __attribute__((format(printf, 2, 3)));

 private:
  void vinfo(const char* fmt, va_list ap) noexcept;
  void emit_console(std::string_view text) noexcept;
  void emit_kmsg(std::string_view text) noexcept;

  sys::Sys& sys_;
  int console_fd_ = -1;
  int kmsg_fd_ = -1;
  bool debug_ = false;
  bool early_ = true;
  std::vector<std::string> early_lines_;
  std::size_t early_bytes_ = 0;
};

// The kernel echoes kmsg records at or above the console loglevel to the console, which
// would print every line twice. Lower it to 4 (warnings+) unless the user asked for
// verbosity on the command line. Writes <proc>/sys/kernel/printk.
sys::Status quiet_console_loglevel(sys::Sys& sys, const std::string& proc = "/proc") noexcept;

// The kernel keeps at most 10 lines per 5 s that a process writes to /dev/kmsg (the rest:
// "N output lines suppressed due to ratelimiting"), which left most of the boot's steps out
// of dmesg. Turns the limit off (<proc>/sys/kernel/printk_devkmsg = on); fails, and changes
// nothing, when printk.devkmsg= on the kernel command line has set it.
sys::Status unlimit_kmsg(sys::Sys& sys, const std::string& proc = "/proc") noexcept;

}  // namespace lifeboat
