#pragma once
// The rescue toolkit's effects on guest filesystems: finding and mounting the guest,
// unmounting everything under /mnt, files written atomically with owner and mode kept.
// Nothing here writes to a guest disk unless its caller asked for rw.
#include <string>
#include <vector>

#include "disks/model.h"
#include "guest/plan.h"
#include "sys/sys.h"

namespace lifeboat::guest {

struct Report {  // what happened, for the console
  std::string out, err;
};

// Scans block devices (libblkid when built in); the whole disks too when `disks` is given.
std::vector<disks::Volume> scan_volumes(sys::Sys& sys, Report& r, std::vector<disks::Disk>* disks = nullptr);

// Mounts `dev` at `target` (creating it). `type` "" tries the usual ones. Refuses rw when the
// device is already mounted anywhere. Returns false (and explains in r.err) on failure.
// With `guest_root`, `target` is a path inside the guest mounted at guest_root, resolved
// there (links as the guest sees them, never into the rescue system) and not created;
// `mounted_at` gets the directory it really went on.
bool mount_device(sys::Sys& sys, const std::string& dev, const std::string& target, std::string type,
                  bool rw, unsigned long extra_flags, const std::string& data, Report& r,
                  const std::string& guest_root = "", std::string* mounted_at = nullptr);

// Where `path` (a path inside the guest, e.g. "/etc/shadow") really is, with every
// directory on the way resolved inside the guest mounted at `root` (openat2
// RESOLVE_IN_ROOT: links as the guest sees them, never into the rescue system). The last
// component is left as it is (a link there is replaced by a rename, not followed).
// "" and `error` set when the directory does not resolve.
std::string in_guest(sys::Sys& sys, const std::string& root, const std::string& path, std::string& error);
// The same for a directory itself (a home directory).
std::string dir_in_guest(sys::Sys& sys, const std::string& root, const std::string& path, std::string& error);

// Is the directory tree at `dir` a guest root: /etc/fstab and /etc/os-release (or
// /usr/lib/os-release), looked up inside it (links as the guest sees them)?
bool looks_like_guest_root(sys::Sys& sys, const std::string& dir);
// Where the guest root is: a volume, and on btrfs the subvolume holding it ("" = the
// default subvolume).
struct RootLocation {
  std::string device;  // "/dev/vda2", "" when none was found
  std::string type;
  std::string subvol;  // "root", "@"
};
// Finds the guest root (a filesystem with /etc/os-release and /etc/fstab), probing
// candidates read-only under /run/lifeboat/rescue-probe; on btrfs the default subvolume,
// then each subvolume or directory at the top level (Fedora's "root", Ubuntu's "@").
// device "" when none (r.err says why).
RootLocation find_guest_root(sys::Sys& sys, const std::vector<disks::Volume>& volumes, Report& r);

// Mounts the guest root at /mnt/guest and its fstab entries below it. Appends every target
// it mounted to `mounted` (in order). When /mnt/guest is already a mount point it is used
// as it is; rw on a read-only one fails (no remount: it was mounted without journal
// replay). Returns false on failure of the root.
bool mount_guest(sys::Sys& sys, bool rw, std::vector<std::string>& mounted, Report& r);

// Unmounts the given targets in reverse order (remount ro when unmounting fails).
bool unmount_targets(sys::Sys& sys, const std::vector<std::string>& targets, Report& r);
// Unmounts everything under `prefix` (latest first). true when nothing is left.
bool unmount_under(sys::Sys& sys, const std::string& prefix, Report& r);

// Is the topmost mount at `path` read-write (per /proc/self/mounts)?
bool mount_is_rw(sys::Sys& sys, const std::string& path);
// Is `path` a mount point (per /proc/self/mountinfo)?
bool is_mount_point(sys::Sys& sys, const std::string& path);

// Writes `path` atomically: a temp file in the same directory, same mode/owner as the
// existing file (or `mode`/`uid`/`gid` when new), fsync, rename, fsync of the directory
// (sys::Sys::replace_file). Refuses to replace anything but a regular file (a symlink).
bool replace_file(sys::Sys& sys, const std::string& path, const std::string& content, mode_t mode, uid_t uid, gid_t gid,
                  std::string& error);


}  // namespace lifeboat::guest
