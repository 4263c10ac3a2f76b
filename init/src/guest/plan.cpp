#include "guest/plan.h"

#include <sys/mount.h>

#include <algorithm>

#include "common/text.h"

namespace lifeboat::guest {

namespace {

std::vector<std::string_view> split_char(std::string_view s, char c) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    std::size_t p = s.find(c, start);
    if (p == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, p - start));
    start = p + 1;
  }
}

bool parse_uint(std::string_view s, unsigned& out) {
  if (s.empty() || s.size() > 10) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > 0xffffffffu) return false;
  out = static_cast<unsigned>(v);
  return true;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Lines with their terminator kept, so untouched lines stay byte for byte.
std::vector<std::string_view> raw_lines(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    out.push_back(text.substr(start, end - start));
    start = end;
  }
  return out;
}

std::size_t depth(std::string_view path) {
  return static_cast<std::size_t>(std::count(path.begin(), path.end(), '/'));
}

bool safe_mountpoint(std::string_view mp) {
  if (mp.empty() || mp[0] != '/') return false;
  for (auto part : split_char(mp.substr(1), '/'))
    if (part == ".." || part == ".") return false;
  for (char c : mp)
    if (static_cast<unsigned char>(c) < 0x20) return false;
  return true;
}

std::string normalize(std::string_view mp) {
  std::string out;
  for (auto part : split_char(mp, '/')) {
    if (part.empty()) continue;
    out += "/";
    out += part;
  }
  return out.empty() ? "/" : out;
}

}  // namespace

std::vector<PasswdEntry> parse_passwd(std::string_view text) {
  std::vector<PasswdEntry> out;
  for (auto line : split_lines(text)) {
    if (line.empty() || line[0] == '#' || line[0] == '+' || line[0] == '-') continue;
    auto f = split_char(line, ':');
    if (f.size() < 7) continue;
    PasswdEntry e;
    e.name = std::string(f[0]);
    if (e.name.empty() || !parse_uint(f[2], e.uid) || !parse_uint(f[3], e.gid)) continue;
    e.home = std::string(f[5]);
    e.shell = std::string(trim(f[6]));
    out.push_back(std::move(e));
  }
  return out;
}

std::optional<PasswdEntry> find_user(const std::vector<PasswdEntry>& users, std::string_view name) {
  for (const auto& u : users)
    if (u.name == name) return u;
  return std::nullopt;
}

std::string root_shell(std::string_view passwd_text) {
  auto root = find_user(parse_passwd(passwd_text), "root");
  if (root && !root->shell.empty() && root->shell[0] == '/' && safe_mountpoint(root->shell)) return root->shell;
  return "/bin/sh";
}

bool shadow_has_user(std::string_view shadow_text, std::string_view user) {
  for (auto line : split_lines(shadow_text)) {
    auto colon = line.find(':');
    if (colon != std::string_view::npos && line.substr(0, colon) == user) return true;
  }
  return false;
}

std::optional<std::string> replace_shadow_password(std::string_view shadow_text, std::string_view user,
                                                   std::string_view hash) {
  if (!valid_user_name(user)) return std::nullopt;
  for (char c : hash)
    if (c == ':' || c == '\n' || static_cast<unsigned char>(c) < 0x20) return std::nullopt;
  std::string out;
  bool found = false;
  for (auto line : raw_lines(shadow_text)) {
    auto c1 = line.find(':');
    if (!found && c1 != std::string_view::npos && line.substr(0, c1) == user) {
      auto c2 = line.find(':', c1 + 1);
      std::size_t end = c2;
      if (end == std::string_view::npos) {  // "user:hash" only: keep the line ending
        end = line.size();
        while (end > c1 + 1 && (line[end - 1] == '\n' || line[end - 1] == '\r')) --end;
      }
      out += line.substr(0, c1 + 1);
      out += hash;
      out += line.substr(end);
      found = true;
    } else {
      out += line;
    }
  }
  if (!found) return std::nullopt;
  return out;
}

bool selinux_enforcing(std::string_view config_text) {
  bool enforcing = false;
  for (auto raw : split_lines(config_text)) {
    auto line = trim(raw);
    if (line.empty() || line[0] == '#') continue;
    if (starts_with(line, "SELINUX=")) {
      auto v = trim(line.substr(8));
      if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
        v = v.substr(1, v.size() - 2);
      enforcing = (v == "enforcing");
    }
  }
  return enforcing;
}

bool valid_user_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 64 || name[0] == '-' || name == "." || name == "..") return false;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '/' || c == ':') return false;
  }
  return true;
}

void split_mount_options(std::string_view options, unsigned long& flags, std::string& data) {
  struct Flag {
    std::string_view name;
    unsigned long set;
    unsigned long clear;
  };
  static const Flag table[] = {
      {"nosuid", MS_NOSUID, 0},   {"suid", 0, MS_NOSUID},       {"nodev", MS_NODEV, 0},
      {"dev", 0, MS_NODEV},       {"noexec", MS_NOEXEC, 0},     {"exec", 0, MS_NOEXEC},
      {"noatime", MS_NOATIME, 0}, {"nodiratime", MS_NODIRATIME, 0}, {"relatime", MS_RELATIME, 0},
      {"strictatime", MS_STRICTATIME, 0}, {"sync", MS_SYNCHRONOUS, 0}, {"async", 0, MS_SYNCHRONOUS},
      {"dirsync", MS_DIRSYNC, 0}, {"lazytime", MS_LAZYTIME, 0},
  };
  static const std::string_view ignored[] = {"defaults", "auto", "noauto", "nofail", "_netdev", "user",
                                             "users", "nouser", "owner", "group", "ro", "rw", "bind",
                                             "rbind", "loud", "silent", "iversion", "noiversion"};
  flags = 0;
  data.clear();
  for (auto opt : split_char(options, ',')) {
    if (opt.empty()) continue;
    bool handled = false;
    for (const auto& f : table) {
      if (opt == f.name) {
        flags = (flags & ~f.clear) | f.set;
        handled = true;
      }
    }
    for (auto ig : ignored)
      if (opt == ig) handled = true;
    if (starts_with(opt, "x-") || starts_with(opt, "comment=") || starts_with(opt, "X-")) handled = true;
    if (handled) continue;
    if (!data.empty()) data += ",";
    data += opt;
  }
}

std::vector<PlannedMount> plan_guest_mounts(const std::vector<disks::FstabEntry>& fstab,
                                            const std::vector<disks::Volume>& volumes,
                                            const std::string& root) {
  static const std::string_view network_types[] = {"nfs", "nfs4", "cifs", "smbfs", "smb3", "sshfs",
                                                   "glusterfs", "ceph", "9p", "davfs"};
  static const std::string_view virtual_types[] = {"proc", "sysfs", "tmpfs", "devpts", "devtmpfs",
                                                   "cgroup", "cgroup2", "securityfs", "debugfs",
                                                   "efivarfs", "hugetlbfs", "mqueue", "none", "ramfs"};
  std::vector<PlannedMount> plan;
  for (const auto& e : fstab) {
    PlannedMount m;
    m.spec = e.spec;
    m.mountpoint = e.mountpoint;
    m.type = e.type == "auto" ? "" : e.type;
    split_mount_options(e.options, m.flags, m.data);
    bool noauto = false, bind = false;
    for (auto opt : split_char(e.options, ',')) {
      if (opt == "noauto") noauto = true;
      if (opt == "bind" || opt == "rbind") bind = true;
    }
    if (e.type == "swap" || e.mountpoint == "none" || e.mountpoint == "swap") {
      m.skip = "swap";
    } else if (std::find(std::begin(network_types), std::end(network_types), e.type) !=
                   std::end(network_types) ||
               starts_with(e.type, "fuse")) {
      m.skip = "network or FUSE filesystem (" + e.type + ")";
    } else if (bind) {
      m.skip = "bind mount";
    } else if (noauto) {
      m.skip = "noauto";
    } else if (std::find(std::begin(virtual_types), std::end(virtual_types), e.type) !=
               std::end(virtual_types)) {
      m.skip = "virtual filesystem (" + e.type + ")";
    } else if (!safe_mountpoint(e.mountpoint)) {
      m.skip = "unusable mount point";
    } else if (normalize(e.mountpoint) == "/") {
      continue;  // the root: mounted by the caller
    } else {
      auto match = disks::resolve_spec(e.spec, volumes);
      if (!match.volume) {
        m.skip = match.note.empty() ? "device not found" : match.note;
      } else {
        for (const auto& v : volumes)
          if (v.name == *match.volume) {
            m.device = v.path;
            if (m.type.empty()) m.type = v.type;
          }
        if (m.device.empty()) m.skip = "device not found";
      }
    }
    m.mountpoint = safe_mountpoint(e.mountpoint) ? normalize(e.mountpoint) : e.mountpoint;
    m.target = m.skip.empty() ? root + m.mountpoint : "";
    plan.push_back(std::move(m));
  }
  std::stable_sort(plan.begin(), plan.end(), [](const PlannedMount& a, const PlannedMount& b) {
    bool as = a.skip.empty(), bs = b.skip.empty();
    if (as != bs) return as;  // mounts first, skips after
    return depth(a.mountpoint) < depth(b.mountpoint);
  });
  return plan;
}

std::vector<std::string> unmount_order(const std::vector<disks::MountInfo>& mounts, std::string_view prefix) {
  std::vector<std::string> out;
  for (auto it = mounts.rbegin(); it != mounts.rend(); ++it) {
    const auto& mp = it->mountpoint;
    if (mp == prefix || (starts_with(mp, prefix) && mp.size() > prefix.size() &&
                         (mp[prefix.size()] == '/' || prefix.back() == '/')))
      out.push_back(mp);
  }
  return out;
}

std::vector<std::string> firewall_link_candidates() {
  static const char* services[] = {"firewalld.service", "nftables.service", "netfilter-persistent.service",
                                   "iptables.service", "ip6tables.service", "iptables-persistent.service",
                                   "ufw.service"};
  std::vector<std::string> out;
  for (const char* s : services) {
    out.push_back(std::string("/etc/systemd/system/multi-user.target.wants/") + s);
    out.push_back(std::string("/etc/systemd/system/sysinit.target.wants/") + s);
    out.push_back(std::string("/etc/systemd/system/basic.target.wants/") + s);
  }
  out.push_back("/etc/systemd/system/dbus-org.fedoraproject.FirewallD1.service");
  return out;
}

std::vector<FirewallAction> plan_firewall_off(const FirewallFacts& facts) {
  std::vector<FirewallAction> out;
  if (facts.ufw_conf) {
    std::string text;
    bool changed = false;
    for (auto line : raw_lines(*facts.ufw_conf)) {
      auto t = trim(line);
      if (starts_with(t, "ENABLED=")) {
        auto v = trim(t.substr(8));
        if (v != "no" && v != "\"no\"") {
          text += "ENABLED=no\n";
          changed = true;
          continue;
        }
      }
      text += line;
    }
    if (changed) {
      FirewallAction a;
      a.kind = FirewallAction::Kind::rewrite_file;
      a.path = "/etc/ufw/ufw.conf";
      a.content = text;
      a.what = "ufw: /etc/ufw/ufw.conf: ENABLED=yes -> ENABLED=no";
      a.undo = "sed -i 's/^ENABLED=no/ENABLED=yes/' /etc/ufw/ufw.conf";
      out.push_back(std::move(a));
    }
  }
  for (const auto& [path, target] : facts.links) {
    if (path.find("/ufw.service") != std::string::npos) continue;  // ENABLED=no is enough
    FirewallAction a;
    a.kind = FirewallAction::Kind::remove_link;
    a.path = path;
    auto slash = path.rfind('/');
    std::string unit = path.substr(slash + 1);
    a.what = unit + ": removed " + path + " (was -> " + target + ")";
    a.undo = "ln -s " + target + " " + path;
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<DuItem> top_items(std::vector<DuItem> items, std::size_t n) {
  std::stable_sort(items.begin(), items.end(), [](const DuItem& a, const DuItem& b) {
    if (a.bytes != b.bytes) return a.bytes > b.bytes;
    return a.path < b.path;
  });
  if (items.size() > n) items.resize(n);
  return items;
}

std::string render_du(const std::vector<DuItem>& dirs, const std::vector<DuItem>& files) {
  std::string out = "largest directories:\n";
  for (const auto& d : dirs) out += strformat("  %10s  %s\n", disks::human_size(d.bytes).c_str(), d.path.c_str());
  if (dirs.empty()) out += "  (none)\n";
  out += "largest files:\n";
  for (const auto& f : files) out += strformat("  %10s  %s\n", disks::human_size(f.bytes).c_str(), f.path.c_str());
  if (files.empty()) out += "  (none)\n";
  return out;
}

// --- a guest fit for boot repairs -----------------------------------------------------------

std::vector<PlannedMount> plan_boot_by_type(const std::vector<std::string>& mounted,
                                            const std::vector<disks::Volume>& volumes,
                                            const std::string& root_disk, const std::string& root) {
  std::vector<PlannedMount> out;
  auto have = [&](const char* mp) { return std::find(mounted.begin(), mounted.end(), mp) != mounted.end(); };
  auto pick = [&](const char* parttype, bool vfat_only) -> const disks::Volume* {
    for (bool same_disk : {true, false}) {
      const disks::Volume* found = nullptr;
      int count = 0;
      for (const auto& v : volumes) {
        if (!iequal(v.parttype, parttype) || v.type.empty() || (vfat_only && v.type != "vfat")) continue;
        if (same_disk && v.disk != root_disk) continue;
        found = &v;
        ++count;
      }
      if (count == 1) return found;
      if (count > 1) return nullptr;  // ambiguous: leave it to the admin
    }
    return nullptr;
  };
  auto add = [&](const disks::Volume& v, const char* mp, const char* data) {
    PlannedMount m;
    m.spec = v.path;
    m.mountpoint = mp;
    m.target = root + mp;
    m.device = v.path;
    m.type = v.type;
    m.flags = MS_NOSUID | MS_NODEV;
    m.data = data;
    out.push_back(std::move(m));
  };
  if (!have("/boot"))
    if (const auto* v = pick(kXbootldrPartType, false)) add(*v, "/boot", "");
  if (!have("/boot/efi"))
    if (const auto* v = pick(kEspPartType, true)) add(*v, "/boot/efi", "umask=0077");
  return out;
}

std::string udev_encode(std::string_view s) {
  static const char* const kKept = "#+-.:=@_";
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (const std::size_t n = c >= 0x80 ? utf8_char_len(s, i) : 0; n > 1) {
      out.append(s.substr(i, n));
      i += n - 1;
      continue;
    }
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                (c != 0 && std::string_view(kKept).find(static_cast<char>(c)) != std::string_view::npos);
    if (keep) out += static_cast<char>(c);
    else out += strformat("\\x%02x", c);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> disk_links(const std::vector<disks::Volume>& volumes) {
  std::vector<std::pair<std::string, std::string>> out;
  auto add = [&](const char* dir, const std::string& name, const disks::Volume& v) {
    if (name.empty() || name == "." || name == ".." || v.name.empty() || v.name.find('/') != std::string::npos) return;
    std::string link = std::string("/dev/disk/") + dir + "/" + name;
    for (const auto& l : out)
      if (l.first == link) return;
    out.emplace_back(link, "../../" + v.name);
  };
  for (const auto& v : volumes) {
    add("by-uuid", udev_encode(v.uuid), v);
    add("by-partuuid", udev_encode(v.partuuid), v);
    add("by-label", udev_encode(v.label), v);
    add("by-partlabel", udev_encode(v.partlabel), v);
  }
  return out;
}

std::string join_guest_path(std::string_view dir, std::string_view link) {
  std::vector<std::string_view> parts;
  auto walk = [&](std::string_view p) {
    for (auto part : split_char(p, '/')) {
      if (part.empty() || part == ".") continue;
      if (part == "..") {
        if (!parts.empty()) parts.pop_back();
      } else {
        parts.push_back(part);
      }
    }
  };
  if (link.empty() || link[0] != '/') walk(dir);
  walk(link);
  std::string out;
  for (auto p : parts) out += "/" + std::string(p);
  return out.empty() ? "/" : out;
}

}  // namespace lifeboat::guest
