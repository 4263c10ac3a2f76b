#include "boot/mounts.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cerrno>

#include "common/text.h"

namespace lifeboat {

const std::vector<MountSpec>& early_mounts() {
  static const std::vector<MountSpec> table = {
      {"proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, ""},
      {"sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, ""},
      {"devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755"},
      {"devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "mode=620,ptmxmode=666"},
      {"tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"},
      {"tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777"},
      // The rootfs is a ramfs (kernel-config: rootfstype=ramfs), which has no size limit:
      // root's home, where an admin copies files to, is a tmpfs capped like /tmp, so a big
      // copy fails with ENOSPC instead of the OOM killer. So is /mnt, where the guests are
      // mounted: a copy to /mnt/guest before the guest is mounted there lands in it.
      {"tmpfs", "/root", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700"},
      {"tmpfs", "/mnt", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"},
  };
  return table;
}


std::vector<MountInfo> parse_mountinfo(std::string_view text) {
  // 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
  std::vector<MountInfo> out;
  for (std::string_view line : split_lines(text)) {
    auto f = split_ws(line);
    if (f.size() < 5) continue;
    auto colon = f[2].find(':');
    long long maj = 0, min = 0;
    if (colon == std::string_view::npos || !parse_int(f[2].substr(0, colon), maj) ||
        !parse_int(f[2].substr(colon + 1), min) || maj < 0 || min < 0)
      continue;
    MountInfo mi;
    mi.major = static_cast<unsigned>(maj);
    mi.minor = static_cast<unsigned>(min);
    mi.mountpoint = unescape_octal(f[4]);
    for (std::size_t i = 5; i + 2 < f.size(); ++i) {
      if (f[i] == "-") {
        mi.source = unescape_octal(f[i + 2]);
        break;
      }
    }
    out.push_back(std::move(mi));
  }
  return out;
}

std::optional<std::string> mounted_at(const std::vector<MountInfo>& mounts, unsigned major, unsigned minor) {
  for (const auto& m : mounts)
    if (m.major == major && m.minor == minor) return m.mountpoint;
  return std::nullopt;
}

std::vector<std::string> mounted_targets(const std::string& mountinfo) {
  std::vector<std::string> out;
  for (auto& m : parse_mountinfo(mountinfo)) out.push_back(std::move(m.mountpoint));
  return out;
}

std::vector<MountInfo> read_mountinfo(sys::Sys& sys, const std::string& path) {
  auto text = sys.read_file(path, 4 << 20);
  return text.ok() ? parse_mountinfo(text.value) : std::vector<MountInfo>{};
}

std::vector<MountOutcome> do_early_mounts(sys::Sys& sys) {
  std::vector<MountOutcome> out;
  // What is mounted: asked of /proc once it answers (it may be there already, or be the first
  // thing mounted here), then kept up to date with our own mounts.
  std::optional<std::vector<std::string>> targets;
  for (const auto& m : early_mounts()) {
    MountOutcome o{m.target};
    if (!targets) {
      auto info = sys.read_file("/proc/self/mountinfo");
      if (info.ok()) targets = mounted_targets(info.value);
    }
    if (targets && std::find(targets->begin(), targets->end(), m.target) != targets->end()) {
      o.ok = o.already = true;
      out.push_back(o);
      continue;
    }
    auto mk = sys.mkdir(m.target, 0755);
    if (!mk.ok() && mk.err != EEXIST) {
      o.err = mk.err;
      out.push_back(o);
      continue;
    }
    auto st = sys.mount(m.source, m.target, m.fstype, m.flags, m.data);
    if (st.ok()) {
      o.ok = true;
      if (targets) targets->push_back(m.target);
    } else if (st.err == EBUSY) {
      o.ok = o.already = true;
    } else {
      o.err = st.err;
    }
    out.push_back(o);
  }
  return out;
}

std::vector<std::string> ensure_device_nodes(sys::Sys& sys) {
  struct Node {
    const char* path;
    unsigned maj, min;
  };
  static const Node nodes[] = {{"/dev/console", 5, 1}, {"/dev/null", 1, 3}};
  std::vector<std::string> created;
  for (const auto& n : nodes) {
    if (sys.exists(n.path)) continue;
    auto st = sys.mknod(n.path, S_IFCHR | (n.min == 3 ? 0666 : 0600), makedev(n.maj, n.min));
    if (st.ok()) created.emplace_back(n.path);
  }
  return created;
}

int ensure_console_fds(sys::Sys& sys) noexcept {
  // The kernel hands PID 1 /dev/console as 0/1/2 only if the initramfs has the node.
  // open() takes the lowest free fd, so filling the holes in order puts each on i.
  for (int i = 0; i < 3; ++i) {
    if (sys.fd_is_open(i)) continue;
    auto fd = sys.open("/dev/console", O_RDWR | O_NOCTTY);
    if (!fd.ok()) fd = sys.open("/dev/null", O_RDWR | O_NOCTTY);
    if (fd.ok() && fd.value != i) sys.close_quietly(fd.value);  // landed elsewhere: not wanted
  }
  auto fd = sys.open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
  if (fd.ok()) return fd.value;
  return sys.fd_is_open(2) ? 2 : -1;
}

}  // namespace lifeboat
