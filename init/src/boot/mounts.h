#pragma once
// Early mounts (/proc, /sys, /dev, /dev/pts, /run, /tmp) and the device nodes PID 1
// cannot live without (/dev/console, /dev/null).
#include <string>
#include <vector>

#include "sys/sys.h"

namespace lifeboat {

struct MountSpec {
  std::string source;
  std::string target;
  std::string fstype;
  unsigned long flags = 0;
  std::string data;
};

// The fixed table, in mount order.
const std::vector<MountSpec>& early_mounts();

// Mount points listed in /proc/self/mountinfo text (field 5, octal escapes decoded).
std::vector<std::string> mounted_targets(const std::string& mountinfo);

struct MountOutcome {
  std::string target;
  bool ok = false;
  bool already = false;  // was mounted before (or EBUSY)
  int err = 0;
};

// mkdir the mount point, skip it if already mounted, treat EBUSY as done.
std::vector<MountOutcome> do_early_mounts(sys::Sys& sys);

// mknod /dev/console (5,1) and /dev/null (1,3) when devtmpfs did not provide them.
// Returns the names it had to create.
std::vector<std::string> ensure_device_nodes(sys::Sys& sys);

// If fds 0/1/2 are closed (no /dev/console in the initramfs), point them at the console.
// Returns the fd to use for console logging (a dup of the console), or -1.
int ensure_console_fds(sys::Sys& sys) noexcept;

}  // namespace lifeboat
