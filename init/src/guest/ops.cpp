#include "guest/ops.h"

#include "guest/repair_env.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "common/text.h"
#include "disks/guest.h"
#include "disks/probe.h"
#include "disks/stack.h"
#include "guest/repair_env.h"

namespace lifeboat::guest {

namespace {

std::vector<disks::MountInfo> mountinfo(sys::Sys& sys) { return read_mountinfo(sys); }

bool device_numbers(sys::Sys& sys, const std::string& dev, unsigned& major_, unsigned& minor_) {
  auto st = sys.stat(dev);  // follows /dev/VG/LV links to their node
  if (!st.ok() || !S_ISBLK(st.value.mode)) return false;
  major_ = major(st.value.rdev);
  minor_ = minor(st.value.rdev);
  return true;
}

const char* const kProbeDir = "/run/lifeboat/rescue-probe";

}  // namespace

std::vector<disks::Volume> scan_volumes(sys::Sys& sys, Report& r, std::vector<disks::Disk>* disks) {
  auto probers = disks::default_probers(sys);
  auto scan = disks::scan_disks(sys, probers);
  for (const auto& p : scan.problems) r.err += "rescue: disks: " + p + "\n";
  if (disks) *disks = scan.disks;
  return scan.volumes;
}

bool mount_is_rw(sys::Sys& sys, const std::string& path) {
  auto text = sys.read_file("/proc/self/mounts", 4 << 20);
  if (!text.ok()) return false;
  bool rw = false;
  for (auto line : split_lines(text.value)) {
    auto f = split_ws(line);
    if (f.size() >= 4 && f[1] == path) rw = f[3].substr(0, 3) == "rw," || f[3] == "rw";  // the last one wins
  }
  return rw;
}

bool is_mount_point(sys::Sys& sys, const std::string& path) {
  for (const auto& m : mountinfo(sys))
    if (m.mountpoint == path) return true;
  return false;
}

std::string dir_in_guest(sys::Sys& sys, const std::string& root, const std::string& path, std::string& error) {
  auto fd = sys.open_in_root(root, path.empty() ? "/" : path, O_PATH | O_DIRECTORY);
  if (!fd.ok()) {
    error = path + " (in the guest): " + sys::error_text(fd.err);
    return "";
  }
  auto real = sys.fd_path(fd.value);
  sys.close_quietly(fd.value);
  if (!real.ok()) {
    error = path + ": " + sys::error_text(real.err);
    return "";
  }
  return real.value;
}

std::string in_guest(sys::Sys& sys, const std::string& root, const std::string& path, std::string& error) {
  const auto slash = path.find_last_of('/');
  const std::string parent = slash == std::string::npos ? "/" : path.substr(0, slash);
  const std::string leaf = slash == std::string::npos ? path : path.substr(slash + 1);
  if (leaf.empty() || leaf == "." || leaf == "..") {
    error = path + ": not a file name";
    return "";
  }
  std::string dir = dir_in_guest(sys, root, parent.empty() ? "/" : parent, error);
  if (dir.empty()) return "";
  return (dir == "/" ? "" : dir) + "/" + leaf;
}

bool mount_device(sys::Sys& sys, const std::string& dev, const std::string& target_in, std::string type,
                  bool rw, unsigned long extra_flags, const std::string& data, Report& r,
                  const std::string& guest_root, std::string* mounted_at) {
  // A mount point inside the guest is resolved inside the guest's root (openat2
  // RESOLVE_IN_ROOT), the way the guest itself would see it: a link such as /srv ->
  // /root/.ssh lands in the guest's /root/.ssh, never in the rescue system's. The mount
  // then goes onto the directory that was resolved (/proc/self/fd/N), not onto a path
  // that could be swapped. A missing mount point is not created.
  std::string target = target_in;
  int dir_fd = -1;
  struct CloseFd {
    sys::Sys& s;
    int& fd;
    ~CloseFd() {
      if (fd >= 0) s.close_quietly(fd);
    }
  } close_fd{sys, dir_fd};
  std::string mount_target = target;
  if (!guest_root.empty()) {
    auto fd = sys.open_in_root(guest_root, target_in, O_PATH | O_DIRECTORY);
    if (!fd.ok()) {
      r.err += strformat("rescue: mount: %s: mount point %s in the guest: %s\n", dev.c_str(), target_in.c_str(),
                         sys::error_text(fd.err));
      return false;
    }
    dir_fd = fd.value;
    auto real = sys.fd_path(dir_fd);
    if (!real.ok()) {
      r.err += strformat("rescue: mount: %s: %s\n", target_in.c_str(), sys::error_text(real.err));
      return false;
    }
    target = real.value;
    mount_target = "/proc/self/fd/" + std::to_string(dir_fd);
  }
  if (mounted_at) *mounted_at = target;
  unsigned maj = 0, min = 0;
  if (!device_numbers(sys, dev, maj, min)) {
    r.err += "rescue: mount: " + dev + ": not a block device\n";
    return false;
  }
  if (rw) {
    // After a check-mode boot, md arrays and LVM volumes are read-only: made writable now.
    auto uevent = sys.read_file(strformat("/sys/dev/block/%u:%u/uevent", maj, min), 4096);
    for (auto line : split_lines(uevent.ok() ? uevent.value : ""))
      if (line.starts_with("DEVNAME=")) {
        std::string problem = disks::make_writable(sys, disks::polling_runner(sys), std::string(line.substr(8)));
        if (!problem.empty()) {
          r.err += "rescue: mount: " + dev + ": " + problem + "\n";
          return false;
        }
      }
    if (!device_numbers(sys, dev, maj, min)) {  // an LV activated again: its node was made anew
      r.err += "rescue: mount: " + dev + ": not a block device any more\n";
      return false;
    }
  }
  auto mounts = mountinfo(sys);
  if (auto at = disks::mounted_at(mounts, maj, min)) {
    // btrfs: another subvolume of a mounted filesystem is a normal second mount.
    if (rw && type != "btrfs") {
      r.err += "rescue: mount: " + dev + " is already mounted at " + *at +
               ": refusing to mount it read-write a second time (rescue umount first)\n";
      return false;
    }
    if (*at == target) {
      r.out += "rescue: mount: " + dev + " already mounted at " + target + "\n";
      return true;
    }
  }
  if (guest_root.empty()) {
    if (auto st = sys.mkdir_p(target, 0755); !st.ok()) {
      r.err += strformat("rescue: mount: mkdir %s: %s\n", target.c_str(), sys::error_text(st.err));
      return false;
    }
  }
  std::vector<std::string> types;
  if (!type.empty() && type != "auto") types.push_back(type);
  else types = {"ext4", "xfs", "btrfs", "vfat", "ext3", "ext2"};
  unsigned long flags = extra_flags | (rw ? 0 : MS_RDONLY);
  // A read-only mount must not write at all (ext4 processes an orphan list even with
  // ro,noload): the device is read-only while it is mounted; once mounted ro, nothing writes.
  // (Not when it is mounted already: a second mount shares the live superblock, and a
  // read-only device would break the other, perhaps read-write, mount.)
  disks::ReadOnlyGuard guard(sys);
  if (!rw && !disks::mounted_at(mounts, maj, min)) {
    disks::Disk d;
    d.path = dev;
    if (auto problem = guard.protect({d}); !problem.empty()) {
      r.err += "rescue: mount: cannot make " + dev + " read-only (" + problem + "): not mounting\n";
      return false;
    }
  }
  int last = 0;
  for (const auto& t : types) {
    // Read-only means read-only: no journal replay (a `ro` ext4/xfs mount would write it).
    std::string opts = data;
    if (!rw) {
      auto fam = disks::family_of(t);
      const char* no_replay = t == "ext2" ? "" : disks::no_replay_option(fam);
      if (*no_replay) opts = opts.empty() ? no_replay : opts + "," + no_replay;
    }
    auto st = sys.mount(dev, mount_target, t, flags, opts);
    if (!st.ok() && st.err == EINVAL && opts != data) st = sys.mount(dev, mount_target, t, flags, data);
    if (!st.ok() && st.err == EINVAL && !data.empty()) st = sys.mount(dev, mount_target, t, flags, "");
    if (st.ok()) {
      r.out += strformat("rescue: mounted %s (%s) at %s %s\n", dev.c_str(), t.c_str(), target.c_str(),
                         rw ? "read-write" : "read-only");
      return true;
    }
    last = st.err;
  }
  r.err += strformat("rescue: mount: %s at %s: %s\n", dev.c_str(), target.c_str(), sys::error_text(last));
  return false;
}

bool looks_like_guest_root(sys::Sys& sys, const std::string& dir) {
  auto present = [&](const char* path) {
    auto f = sys.read_guest_file(dir, path, 64 * 1024);
    return f.ok() || f.err != ENOENT;  // a FIFO or an oversized file is still there
  };
  return present("/etc/fstab") && (present("/etc/os-release") || present("/usr/lib/os-release"));
}

namespace {

// The top-level entry of a btrfs mounted with subvolid=5 that holds a guest root.
std::string btrfs_root_subvol(sys::Sys& sys, const std::string& top) {
  for (const auto& name : disks::subvol_candidates(sys, top))
    if (looks_like_guest_root(sys, top + "/" + name)) return name;
  return "";
}

}  // namespace

RootLocation find_guest_root(sys::Sys& sys, const std::vector<disks::Volume>& volumes, Report& r) {
  auto mounts = mountinfo(sys);
  for (const auto& v : volumes) {
    auto fam = disks::family_of(v.type);
    if (fam != disks::Family::ext && fam != disks::Family::xfs && fam != disks::Family::btrfs &&
        fam != disks::Family::other)
      continue;
    // Mounted already (e.g. /mnt/guest): look there.
    if (auto at = disks::mounted_at(mounts, v.major, v.minor)) {
      if (looks_like_guest_root(sys, *at)) return {v.path, v.type, ""};
      continue;
    }
    const std::string dir = std::string(kProbeDir) + "/" + v.name;
    if (!sys.mkdir_p(dir, 0700).ok()) continue;
    // Even `ro,noload` lets ext4 process an orphan list (a write): the device itself is
    // made read-only while it is probed, as the boot's disks step does.
    disks::ReadOnlyGuard guard(sys);
    disks::Disk dev;
    dev.path = v.path;
    if (auto problem = guard.protect({dev}); !problem.empty()) continue;  // never probe unguarded
    const std::string opts = disks::no_replay_option(fam);
    const unsigned long flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
    auto look = [&](const std::string& data, bool top_level) -> std::optional<std::string> {
      if (!sys.mount(v.path, dir, v.type, flags, data).ok()) return std::nullopt;
      std::optional<std::string> found;
      if (!top_level && looks_like_guest_root(sys, dir)) found = "";
      else if (top_level) {
        std::string sub = btrfs_root_subvol(sys, dir);
        if (!sub.empty()) found = sub;
      }
      if (auto um = sys.umount2(dir, 0); !um.ok()) {
        r.err += strformat("rescue: cannot unmount probe %s: %s\n", dir.c_str(), sys::error_text(um.err));
        (void)sys.umount2(dir, MNT_DETACH);
      }
      return found;
    };
    if (auto f = look(opts, false)) return {v.path, v.type, *f};
    if (fam == disks::Family::btrfs)
      if (auto f = look(opts + ",subvolid=5", true)) return {v.path, v.type, *f};
  }
  r.err += "rescue: no guest root found (a filesystem with /etc/os-release and /etc/fstab)\n";
  return {};
}

bool mount_guest(sys::Sys& sys, bool rw, std::vector<std::string>& mounted, Report& r) {
  const std::string root = kGuestRoot;
  if (is_mount_point(sys, root)) {
    if (rw && !mount_is_rw(sys, root)) {
      // Mounted read-only without journal replay: a remount would write without the
      // journal. Unmount and mount again is the caller's choice.
      r.err += "rescue: the guest is mounted read-only at " + root + ": 'rescue umount' first\n";
      return false;
    }
    r.out += "rescue: guest already mounted at " + root + "\n";
    return true;
  }
  auto volumes = scan_volumes(sys, r);
  ensure_disk_links(sys, volumes, r);  // grub-probe and update-initramfs look there
  RootLocation loc = find_guest_root(sys, volumes, r);
  if (loc.device.empty()) return false;
  if (!mount_device(sys, loc.device, root, loc.type, rw, 0, loc.subvol.empty() ? "" : "subvol=" + loc.subvol, r))
    return false;
  mounted.push_back(root);
  auto fstab_text = sys.read_guest_file(root, "/etc/fstab", 1 << 20);
  if (!fstab_text.ok()) {
    r.err += strformat("rescue: %s/etc/fstab: %s\n", root.c_str(), sys::error_text(fstab_text.err));
    return true;
  }
  auto fstab = disks::parse_fstab(fstab_text.value);
  for (const auto& e : fstab.errors) r.err += "rescue: guest fstab: " + e.field + ": " + e.message + "\n";
  std::vector<std::string> points = {"/"};
  for (const auto& m : plan_guest_mounts(fstab.entries, volumes, root)) {
    if (!m.skip.empty()) {
      r.out += "rescue: guest fstab: " + m.mountpoint + " (" + m.spec + "): skipped: " + m.skip + "\n";
      continue;
    }
    std::string where;
    if (mount_device(sys, m.device, m.mountpoint, m.type, rw, m.flags, m.data, r, root, &where)) {
      mounted.push_back(where);
      points.push_back(m.mountpoint);
    }
  }
  // /boot and /boot/efi by partition type when the fstab did not mount them (it may be the
  // broken part), where the guest has the directory.
  std::string root_disk;
  for (const auto& v : volumes)
    if (v.path == loc.device) root_disk = v.disk;
  for (const auto& m : plan_boot_by_type(points, volumes, root_disk, root)) {
    auto dir = sys.open_in_root(root, m.mountpoint, O_PATH | O_DIRECTORY);
    if (!dir.ok()) continue;
    sys.close_quietly(dir.value);
    std::string where;
    if (mount_device(sys, m.device, m.mountpoint, m.type, rw, m.flags, m.data, r, root, &where)) {
      mounted.push_back(where);
      points.push_back(m.mountpoint);
      r.out += "rescue: " + m.mountpoint + ": " + m.device + " (found by its partition type: the fstab does not mount it)\n";
    }
  }
  return true;
}

bool unmount_targets(sys::Sys& sys, const std::vector<std::string>& targets, Report& r) {
  bool ok = true;
  sys.sync();
  for (auto it = targets.rbegin(); it != targets.rend(); ++it) {
    auto st = sys.umount2(*it, 0);
    if (st.ok()) continue;
    if (st.err == EINVAL || st.err == ENOENT) continue;  // not mounted (any more)
    ok = false;
    auto ro = sys.mount("", *it, "", MS_REMOUNT | MS_RDONLY, "");
    r.err += strformat("rescue: umount %s: %s%s\n", it->c_str(), sys::error_text(st.err),
                       ro.ok() ? " (remounted read-only)" : "");
  }
  return ok;
}

bool unmount_under(sys::Sys& sys, const std::string& prefix, Report& r) {
  auto order = unmount_order(mountinfo(sys), prefix);
  if (order.empty()) return true;
  sys.sync();
  bool ok = true;
  for (const auto& mp : order) {
    auto st = sys.umount2(mp, 0);
    if (st.ok()) {
      r.out += "rescue: unmounted " + mp + "\n";
      continue;
    }
    if (st.err == EINVAL) continue;  // gone with a parent already
    ok = false;
    auto ro = sys.mount("", mp, "", MS_REMOUNT | MS_RDONLY, "");
    r.err += strformat("rescue: umount %s: %s%s\n", mp.c_str(), sys::error_text(st.err),
                       ro.ok() ? " (remounted read-only)" : "");
  }
  return ok;
}

bool replace_file(sys::Sys& sys, const std::string& path, const std::string& content, mode_t mode, uid_t uid,
                  gid_t gid, std::string& error) {
  sys::ReplaceOptions o;
  o.mode = mode;
  o.uid = static_cast<int>(uid);
  o.gid = static_cast<int>(gid);
  o.keep_existing = true;
  o.sync_dir = true;
  return sys.replace_file(path, content, o, &error).ok();
}

}  // namespace lifeboat::guest
