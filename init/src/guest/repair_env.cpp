#include "guest/repair_env.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "common/text.h"
#include "guest/plan.h"

namespace lifeboat::guest {

namespace {

std::string parent_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

bool under(const std::string& path, const std::string& dir) {
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/');
}

}  // namespace

void ensure_disk_links(sys::Sys& sys, const std::vector<disks::Volume>& volumes, Report& r, const std::string& dev) {
  std::size_t failed = 0;
  std::string first_error;
  for (const auto& [link, target] : disk_links(volumes)) {
    const std::string path = dev + link.substr(4);  // "/dev/disk/..." under `dev`
    if (sys.lstat(path).ok()) continue;
    (void)sys.mkdir_p(parent_of(path), 0755);
    auto st = sys.symlink(target, path);
    if (!st.ok() && st.err != EEXIST && !failed++) first_error = path + ": " + sys::error_text(st.err);
  }
  if (failed) r.err += strformat("rescue: /dev/disk links: %zu not made (%s)\n", failed, escape_control(first_error).c_str());
}

bool RepairEnv::setup() {
  // mount_guest() made the links; a guest mounted by hand did not.
  if (!sys_.exists("/dev/disk/by-uuid")) ensure_disk_links(sys_, scan_volumes(sys_, r_), r_);
  if (!bind_basics()) return false;
  mount_efivars();
  setup_resolv_conf();
  return true;
}

bool RepairEnv::bind_basics() {
  for (const char* src : {"/proc", "/sys", "/dev", "/dev/pts", "/run"}) {
    // The bind target is resolved inside the guest (a guest's /proc may be a link to
    // anywhere: it must land inside the guest, never on the rescue system's files) and
    // the bind goes onto the directory that was resolved.
    auto fd = sys_.open_in_root(root_, src, O_PATH | O_DIRECTORY);
    if (!fd.ok()) {
      r_.err += strformat("rescue: chroot: %s in the guest: %s (not bound)\n", src, sys::error_text(fd.err));
      continue;
    }
    auto real = sys_.fd_path(fd.value);
    const std::string target = real.ok() ? real.value : root_ + src;
    if (is_mount_point(sys_, target)) {
      sys_.close_quietly(fd.value);
      continue;
    }
    auto st = sys_.mount(src, "/proc/self/fd/" + std::to_string(fd.value), "", MS_BIND, "");
    sys_.close_quietly(fd.value);
    if (!st.ok()) {
      r_.err += strformat("rescue: chroot: bind %s: %s\n", src, sys::error_text(st.err));
      return false;
    }
    binds_.emplace_back(src, target);
  }
  return true;
}

void RepairEnv::mount_efivars() {
  if (!sys_.exists(efi_dir_)) return;  // the rescue system did not boot with EFI
  std::string sys_target;
  for (const auto& [src, target] : binds_)
    if (src == "/sys") sys_target = target;
  if (sys_target.empty()) return;
  const std::string target = sys_target + "/firmware/efi/efivars";
  if (is_mount_point(sys_, target)) return;
  auto st = sys_.mount("efivarfs", target, "efivarfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "");
  if (!st.ok()) {
    r_.err += strformat("rescue: chroot: efivarfs: %s (grub-install and efibootmgr cannot set boot entries)\n",
                        sys::error_text(st.err));
    return;
  }
  efivars_ = target;
}

bool RepairEnv::inside_bound_fs(const std::string& real) const {
  for (const auto& [src, target] : binds_)
    if (src != "/run" && under(real, target)) return true;
  return false;
}

std::string RepairEnv::make_placeholder(const std::string& path) {
  // The deepest directory that exists (resolved inside the guest), then the rest made.
  std::vector<std::string> missing;
  std::string dir = parent_of(path), real, error;
  while (true) {
    real = dir_in_guest(sys_, root_, dir, error);
    if (!real.empty() || dir == "/") break;
    missing.push_back(dir.substr(dir.find_last_of('/') + 1));
    dir = parent_of(dir);
  }
  if (real.empty() || inside_bound_fs(real)) {
    r_.err += "rescue: chroot: DNS: " + escape_control(path) + ": " +
              (real.empty() ? escape_control(error) : "inside /proc, /sys or /dev") + " (resolv.conf left as it is)\n";
    return "";
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    real += "/" + *it;
    auto st = sys_.mkdir(real, 0755);
    if (!st.ok()) {
      r_.err += "rescue: chroot: DNS: mkdir " + escape_control(real) + ": " + sys::error_text(st.err) + "\n";
      return "";
    }
    created_dirs_.push_back(real);
  }
  real += "/" + path.substr(path.find_last_of('/') + 1);
  auto fd = sys_.open(real, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (!fd.ok()) {
    r_.err += "rescue: chroot: DNS: " + escape_control(real) + ": " + sys::error_text(fd.err) + "\n";
    return "";
  }
  sys_.close_quietly(fd.value);
  created_file_ = real;
  return real;
}

void RepairEnv::setup_resolv_conf() {
  auto text = sys_.read_file(resolv_source_, 64 << 10);
  if (!text.ok() || text.value.find("nameserver") == std::string::npos) {
    r_.out += "rescue: chroot: DNS: the rescue system has no resolver; the guest's resolv.conf is used as it is\n";
    return;
  }
  // Follow the guest's /etc/resolv.conf link by link, inside the guest (a systemd-resolved
  // guest: ../run/systemd/resolve/stub-resolv.conf, which is in the rescue system's /run here).
  std::string path = "/etc/resolv.conf", target;
  for (int hop = 0; hop < 40 && target.empty(); ++hop) {
    std::string error;
    std::string real = in_guest(sys_, root_, path, error);
    if (real.empty()) {
      target = make_placeholder(path);
      if (target.empty()) return;
      break;
    }
    auto st = sys_.lstat(real);
    if (!st.ok()) {
      if (st.err != ENOENT) {
        r_.err += "rescue: chroot: DNS: " + escape_control(path) + ": " + sys::error_text(st.err) + "\n";
        return;
      }
      target = make_placeholder(path);
      if (target.empty()) return;
    } else if (S_ISLNK(st.value.mode)) {
      auto link = sys_.readlink(real);
      if (!link.ok()) {
        r_.err += "rescue: chroot: DNS: readlink " + escape_control(path) + ": " + sys::error_text(link.err) + "\n";
        return;
      }
      path = join_guest_path(parent_of(path), link.value);
    } else if (S_ISREG(st.value.mode)) {
      if (inside_bound_fs(real)) {
        r_.err += "rescue: chroot: DNS: /etc/resolv.conf leads into /proc, /sys or /dev (left as it is)\n";
        return;
      }
      target = real;
    } else {
      r_.err += "rescue: chroot: DNS: " + escape_control(path) + " is not a regular file (left as it is)\n";
      return;
    }
  }
  if (target.empty()) {
    r_.err += "rescue: chroot: DNS: /etc/resolv.conf: too many levels of links (left as it is)\n";
    return;
  }
  // Read-only: a package script in the chroot must not rewrite the rescue system's file.
  auto st = sys_.mount(resolv_source_, target, "", MS_BIND, "");
  if (st.ok()) {
    resolv_target_ = target;
    st = sys_.mount("", target, "", MS_BIND | MS_REMOUNT | MS_RDONLY, "");
  }
  if (!st.ok()) {
    r_.err += "rescue: chroot: DNS: bind " + escape_control(target) + ": " + sys::error_text(st.err) + "\n";
    return;
  }
  r_.out += "rescue: chroot: DNS: the rescue system's resolvers for this session (over " + escape_control(path) + ")\n";
}

void RepairEnv::teardown() {
  if (torn_down_) return;
  torn_down_ = true;
  auto unmount = [&](const std::string& target) {
    auto st = sys_.umount2(target, 0);
    if (!st.ok()) st = sys_.umount2(target, MNT_DETACH);  // busy: a process left behind in the chroot
    if (!st.ok()) r_.err += strformat("rescue: chroot: umount %s: %s\n", target.c_str(), sys::error_text(st.err));
  };
  if (!resolv_target_.empty()) unmount(resolv_target_);
  // Placeholders go before the binds: one made in /run is only reachable through the bind.
  if (!created_file_.empty()) {
    auto st = sys_.unlink(created_file_);
    if (!st.ok()) r_.err += "rescue: chroot: DNS: remove " + escape_control(created_file_) + ": " + sys::error_text(st.err) + "\n";
  }
  for (auto it = created_dirs_.rbegin(); it != created_dirs_.rend(); ++it) (void)sys_.rmdir(*it);
  if (!efivars_.empty()) unmount(efivars_);
  for (auto it = binds_.rbegin(); it != binds_.rend(); ++it) unmount(it->second);
}

}  // namespace lifeboat::guest
