#pragma once
// Early mounts (/proc, /sys, /dev, /dev/pts, /run, /tmp) and the device nodes PID 1
// cannot live without (/dev/console, /dev/null).
#include <optional>
#include <string>
#include <string_view>
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

// /proc/self/mountinfo, parsed once for everyone: a line per mount, in mount order
// ("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw"): the device numbers,
// the mount point and the source, octal escapes decoded. Lines without a device are skipped.
struct MountInfo {
  unsigned major = 0, minor = 0;
  std::string mountpoint;
  std::string source;
};
std::vector<MountInfo> parse_mountinfo(std::string_view text);
// The mount point of major:minor, if mounted.
std::optional<std::string> mounted_at(const std::vector<MountInfo>& mounts, unsigned major, unsigned minor);
// Just the mount points, in mount order.
std::vector<std::string> mounted_targets(const std::string& mountinfo);
// Read and parsed (empty when unreadable).
std::vector<MountInfo> read_mountinfo(sys::Sys& sys, const std::string& path = "/proc/self/mountinfo");

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
