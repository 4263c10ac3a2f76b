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
  };
  return table;
}

namespace {
// mountinfo escapes ' ', '\t', '\n', '\\' as \ooo.
std::string unescape_octal(std::string_view s) {
  auto oct = [](char c) { return c >= '0' && c <= '7'; };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && oct(s[i + 1]) && oct(s[i + 2]) && oct(s[i + 3])) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
      continue;
    }
    out += s[i];
  }
  return out;
}
}  // namespace

std::vector<std::string> mounted_targets(const std::string& mountinfo) {
  std::vector<std::string> out;
  for (auto line : split_lines(mountinfo)) {
    auto f = split_ws(line);
    if (f.size() < 5) continue;
    out.push_back(unescape_octal(f[4]));
  }
  return out;
}

std::vector<MountOutcome> do_early_mounts(sys::Sys& sys) {
  std::vector<MountOutcome> out;
  for (const auto& m : early_mounts()) {
    MountOutcome o{m.target};
    // /proc may already be there (or be the first thing we mount): ask it each time.
    auto info = sys.read_file("/proc/self/mountinfo");
    if (info.ok()) {
      auto targets = mounted_targets(info.value);
      if (std::find(targets.begin(), targets.end(), m.target) != targets.end()) {
        o.ok = o.already = true;
        out.push_back(o);
        continue;
      }
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
