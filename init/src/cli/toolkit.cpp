#include "cli/toolkit.h"

#include <crypt.h>  // musl: crypt() is in libc
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "cli/prompt.h"
#include "model/secret.h"
#include "common/text.h"
#include "guest/ops.h"
#include "guest/plan.h"
#include "ssh/keys.h"
#include "ssh/setup.h"

namespace lifeboat {

namespace {

using guest::kGuestRoot;

const std::map<std::string, std::string>& helps() {
  static const std::map<std::string, std::string> h = {
      {"mount",
       "usage: rescue mount [DEV | --guest] [--rw]\n"
       "  DEV      mount /dev/DEV (e.g. vda1) read-only at /mnt/DEV\n"
       "  --guest  find the guest root (/etc/os-release + /etc/fstab), mount it at /mnt/guest\n"
       "           with its fstab entries (swap, network, bind and noauto entries skipped)\n"
       "  --rw     read-write (refused when the filesystem is mounted elsewhere)\n"
       "  without DEV: --guest\n"},
      {"umount", "usage: rescue umount\n  unmount everything under /mnt (latest first)\n"},
      {"chroot",
       "usage: rescue chroot [CMD [ARG...]]\n"
       "  mount the guest read-write with /proc, /sys, /dev, /dev/pts and /run, run CMD (default:\n"
       "  root's shell from the guest's /etc/passwd, else /bin/sh) inside, unmount everything\n"
       "  afterwards; exit status: CMD's (128+N when killed by signal N)\n"},
      {"passwd",
       "usage: rescue passwd [USER]\n"
       "  set USER's (default root) password in the guest's /etc/shadow (SHA-512 crypt); asks\n"
       "  twice on a terminal, else reads one line from stdin; creates /.autorelabel on an\n"
       "  SELinux-enforcing guest\n"},
      {"authorize-key",
       "usage: rescue authorize-key [USER] KEY\n"
       "  append the OpenSSH public KEY (one argument, quoted) to USER's (default root)\n"
       "  ~/.ssh/authorized_keys in the guest (.ssh 0700, file 0600, owned by the user)\n"},
      {"firewall-off",
       "usage: rescue firewall-off\n"
       "  disable the guest's firewall at its next boot (ufw, firewalld, nftables,\n"
       "  iptables/netfilter-persistent); prints each change and how to undo it\n"},
      {"du",
       "usage: rescue du [PATH]\n"
       "  the 20 largest directories and files under PATH (default: the mounted guest\n"
       "  root /mnt/guest), not crossing filesystems\n"},
      {"status", "usage: rescue status [--json] [--wait [SECONDS]]\n  what the boot did; --json: the raw status.json;\n"
                 "  --wait: first wait (default up to 3600 s) until the disk checks are done; exit 1 if\n"
                 "  they are not done by then\n"},
      {"poweroff", "usage: rescue poweroff\n  unmount everything under /mnt, sync, power off\n"},
      {"reboot", "usage: rescue reboot\n  unmount everything under /mnt, sync, reboot\n"},
      {"halt", "usage: rescue halt\n  unmount everything under /mnt, sync, halt\n"},
  };
  return h;
}

int usage(CliOutput& o, const std::string& cmd, const std::string& msg) {
  o.err += "rescue: " + cmd + ": " + msg + "\ntry 'rescue " + cmd + " --help'\n";
  return kExitUsage;
}

void take(CliOutput& o, guest::Report& r) {
  o.out += r.out;
  o.err += r.err;
  r.out.clear();
  r.err.clear();
}

// The guest mounted for one command: read-only first; writable() when a write is needed;
// on destruction, whatever this command mounted is unmounted (remounted ro if it was ro).
class GuestSession {
 public:
  GuestSession(sys::Sys& sys, guest::Report& r) : sys_(sys), r_(r) {}
  ~GuestSession() { close(); }
  bool open(bool rw) {
    was_mounted_ = guest::is_mount_point(sys_, kGuestRoot);
    if (was_mounted_) {
      rw_ = guest::mount_is_rw(sys_, kGuestRoot);
      return rw && !rw_ ? writable() : true;
    }
    rw_ = rw;
    return guest::mount_guest(sys_, rw, mounted_, r_);
  }
  // A read-only guest (ours or the admin's, mounted without journal replay) is unmounted
  // and mounted again read-write; the admin's comes back read-only at the end.
  bool writable() {
    if (rw_) return true;
    guest::Report quiet;
    bool ok = guest::unmount_under(sys_, kGuestRoot, quiet);
    mounted_.clear();
    if (!ok) {
      r_.err += quiet.err + "rescue: /mnt/guest is busy (a shell inside it?): leave it and retry\n";
      return false;
    }
    restore_ro_ = was_mounted_;
    rw_ = true;
    ok = guest::mount_guest(sys_, true, mounted_, quiet);
    r_.err += quiet.err;
    if (!ok) r_.out += quiet.out;
    return ok;
  }
  void close() {
    if (closed_) return;
    closed_ = true;
    if (!mounted_.empty()) guest::unmount_targets(sys_, mounted_, r_);
    if (restore_ro_) {
      guest::Report quiet;
      std::vector<std::string> again;
      if (!guest::mount_guest(sys_, false, again, quiet)) r_.err += quiet.err;
    }
  }

 private:
  sys::Sys& sys_;
  guest::Report& r_;
  std::vector<std::string> mounted_;
  bool was_mounted_ = false, rw_ = false, restore_ro_ = false, closed_ = false;
};

bool wants_help(const std::vector<std::string>& args) {
  for (std::size_t i = 1; i < args.size(); ++i)
    if (args[i] == "--help" || args[i] == "-h") return true;
  return false;
}

bool safe_guest_path(std::string_view p) {
  if (p.empty() || p[0] != '/') return false;
  std::size_t start = 1;
  while (start <= p.size()) {
    std::size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    auto part = p.substr(start, end - start);
    if (part == "..") return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

std::string subcommand_help(const std::string& name) {
  auto it = helps().find(name);
  return it == helps().end() ? "" : it->second;
}

// --- mount / umount ----------------------------------------------------------------------
int cmd_mount(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o) {
  if (wants_help(args)) return o.out += subcommand_help("mount"), kExitOk;
  bool rw = false, guest_flag = false;
  std::string dev;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--rw") rw = true;
    else if (args[i] == "--ro") rw = false;
    else if (args[i] == "--guest") guest_flag = true;
    else if (!args[i].empty() && args[i][0] == '-') return usage(o, "mount", "unknown option '" + args[i] + "'");
    else if (dev.empty()) dev = args[i];
    else return usage(o, "mount", "more than one device");
  }
  if (guest_flag && !dev.empty()) return usage(o, "mount", "DEV and --guest are exclusive");
  guest::Report r;
  if (dev.empty()) {
    std::vector<std::string> mounted;
    bool ok = guest::mount_guest(sys, rw, mounted, r);
    take(o, r);
    return ok ? kExitOk : kExitFailure;
  }
  std::string name = dev.rfind("/dev/", 0) == 0 ? dev.substr(5) : dev;
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == ".." || name == "guest")
    return usage(o, "mount", "'" + dev + "': expected a kernel device name like vda1");
  std::string type;
  for (const auto& v : guest::scan_volumes(sys, r))
    if (v.name == name) type = v.type;
  bool ok = guest::mount_device(sys, "/dev/" + name, std::string(guest::kMntDir) + "/" + name, type, rw, 0, "", r);
  take(o, r);
  return ok ? kExitOk : kExitFailure;
}

int cmd_umount(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o) {
  if (wants_help(args)) return o.out += subcommand_help("umount"), kExitOk;
  if (args.size() > 1) return usage(o, "umount", "takes no arguments");
  guest::Report r;
  bool ok = guest::unmount_under(sys, guest::kMntDir, r);
  if (r.out.empty() && ok) r.out = "rescue: nothing mounted under /mnt\n";
  take(o, r);
  return ok ? kExitOk : kExitFailure;
}

bool unmount_all_guests(sys::Sys& sys, CliOutput& o) {
  guest::Report r;
  bool ok = guest::unmount_under(sys, guest::kMntDir, r);
  take(o, r);
  return ok;
}

// --- chroot -------------------------------------------------------------------------------

int cmd_chroot(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o) {
  if (args.size() > 1 && (args[1] == "--help" || args[1] == "-h")) return o.out += subcommand_help("chroot"), kExitOk;
  std::vector<std::string> cmd(args.begin() + 1, args.end());
  if (!cmd.empty() && cmd[0] == "--") cmd.erase(cmd.begin());
  guest::Report r;
  GuestSession session(sys, r);
  if (!session.open(true)) {
    take(o, r);
    return kExitFailure;
  }
  const std::string root = kGuestRoot;
  std::vector<std::string> binds;
  bool ok = true;
  for (const char* src : {"/proc", "/sys", "/dev", "/dev/pts", "/run"}) {
    // The bind target is resolved inside the guest (a guest's /proc may be a link to
    // anywhere: it must land inside the guest, never on the rescue system's files) and
    // the bind goes onto the directory that was resolved.
    auto fd = sys.open_in_root(root, src, O_PATH | O_DIRECTORY);
    if (!fd.ok()) {
      r.err += strformat("rescue: chroot: %s in the guest: %s (not bound)\n", src, sys::error_text(fd.err));
      continue;
    }
    auto real = sys.fd_path(fd.value);
    const std::string target = real.ok() ? real.value : root + src;
    if (guest::is_mount_point(sys, target)) {
      sys.close_quietly(fd.value);
      continue;
    }
    auto st = sys.mount(src, "/proc/self/fd/" + std::to_string(fd.value), "", MS_BIND, "");
    sys.close_quietly(fd.value);
    if (!st.ok()) {
      r.err += strformat("rescue: chroot: bind %s: %s\n", src, sys::error_text(st.err));
      ok = false;
      break;
    }
    binds.push_back(target);
  }
  int rc = kExitFailure;
  if (ok) {
    if (cmd.empty()) {
      auto pw = sys.read_guest_file(root, "/etc/passwd", 4 << 20);
      std::string shell = guest::root_shell(pw.ok() ? pw.value : "");
      if (!sys.exists(root + shell)) shell = "/bin/sh";
      cmd = {shell};
    }
    take(o, r);  // shown after the command; flush what we have to stderr now
    if (!o.out.empty()) (void)sys.write_all(2, o.out), o.out.clear();
    if (!o.err.empty()) (void)sys.write_all(2, o.err), o.err.clear();
    const char* term = std::getenv("TERM");
    const std::vector<std::string> env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                          "HOME=/root", "USER=root", "LOGNAME=root", "SHELL=" + cmd[0],
                                          std::string("TERM=") + (term ? term : "linux")};
    auto job = sys.run_in_root(root, cmd, env);
    if (!job.ok()) {
      r.err += strformat("rescue: chroot: %s: %s\n", cmd[0].c_str(), sys::error_text(job.err));
    } else if (job.value.signal) {
      rc = 128 + job.value.signal;
      r.err += strformat("rescue: chroot: %s killed by signal %d\n", cmd[0].c_str(), job.value.signal);
    } else {
      rc = job.value.exit_code;
    }
  }
  // Binds first (lazy when busy: a process left behind in the chroot), then the guest.
  for (auto it = binds.rbegin(); it != binds.rend(); ++it) {
    auto st = sys.umount2(*it, 0);
    if (!st.ok()) st = sys.umount2(*it, MNT_DETACH);
    if (!st.ok()) r.err += strformat("rescue: chroot: umount %s: %s\n", it->c_str(), sys::error_text(st.err));
  }
  session.close();
  take(o, r);
  return rc;
}

// --- passwd -------------------------------------------------------------------------------
int cmd_passwd(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o) {
  if (wants_help(args)) return o.out += subcommand_help("passwd"), kExitOk;
  if (args.size() > 2) return usage(o, "passwd", "too many arguments");
  std::string user = args.size() == 2 ? args[1] : "root";
  if (!guest::valid_user_name(user)) return usage(o, "passwd", "invalid user name");
  guest::Report r;
  GuestSession session(sys, r);
  if (!session.open(false)) {
    take(o, r);
    return kExitFailure;
  }
  const std::string root = kGuestRoot;
  // Every guest file below is found inside the guest (guest::in_guest): a link in the
  // guest can never make this read or write the rescue system's own files.
  std::string resolve_error;
  const std::string shadow_path = guest::in_guest(sys, root, "/etc/shadow", resolve_error);
  auto shadow = shadow_path.empty() ? sys::Result<std::string>::failure(ENOENT)
                                    : sys.read_guest_file(root, "/etc/shadow", 16 << 20);
  if (!shadow.ok()) {
    r.err += strformat("rescue: passwd: %s: %s\n", shadow_path.c_str(), sys::error_text(shadow.err));
    session.close();
    take(o, r);
    return kExitFailure;
  }
  if (!guest::shadow_has_user(shadow.value, user)) {
    r.err += "rescue: passwd: no user '" + user + "' in the guest's /etc/shadow\n";
    session.close();
    take(o, r);
    return kExitFailure;
  }
  std::string pw, error = read_secret(sys, "New password for " + user + ": ", "Retype the new password: ", pw);
  if (!error.empty()) error = "password: " + error;
  std::string hash;
  if (error.empty()) {
    if (auto h = ssh::hash_password(sys, meta::Secret(pw), error)) hash = std::move(*h);
  }
  meta::wipe(pw);
  if (!error.empty()) {
    r.err += "rescue: passwd: " + error + "\n";
    session.close();
    take(o, r);
    return kExitFailure;
  }
  auto updated = guest::replace_shadow_password(shadow.value, user, hash);
  bool ok = updated.has_value() && session.writable();
  if (ok && !guest::replace_file(sys, shadow_path, *updated, 0640, 0, 0, error)) {
    r.err += "rescue: passwd: " + error + "\n";
    ok = false;
  }
  if (ok) {
    r.out += "rescue: passwd: password of '" + user + "' changed in the guest's /etc/shadow\n";
    auto se = sys.read_guest_file(root, "/etc/selinux/config", 1 << 20);
    if (se.ok() && guest::selinux_enforcing(se.value)) {
      if (guest::replace_file(sys, guest::in_guest(sys, root, "/.autorelabel", resolve_error), "", 0644, 0, 0, error))
        r.out += "rescue: passwd: SELinux enforcing: created /.autorelabel (the guest relabels at next boot)\n";
      else
        r.err += "rescue: passwd: " + error + " (SELinux may refuse the new shadow: touch /.autorelabel)\n";
    }
  }
  session.close();
  take(o, r);
  return ok ? kExitOk : kExitFailure;
}

// --- authorize-key ----------------------------------------------------------------------------
int cmd_authorize_key(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o) {
  if (wants_help(args)) return o.out += subcommand_help("authorize-key"), kExitOk;
  std::vector<std::string> pos(args.begin() + 1, args.end());
  if (pos.empty()) return usage(o, "authorize-key", "missing KEY");
  std::string user = "root", key_text;
  auto looks_like_key = [](const std::string& s) {
    return s.rfind("ssh-", 0) == 0 || s.rfind("ecdsa-", 0) == 0 || s.rfind("sk-", 0) == 0 ||
           s.find(' ') != std::string::npos;
  };
  std::size_t first = 0;
  if (pos.size() >= 2 && !looks_like_key(pos[0])) user = pos[0], first = 1;
  for (std::size_t i = first; i < pos.size(); ++i) key_text += (i > first ? " " : "") + pos[i];
  if (!guest::valid_user_name(user)) return usage(o, "authorize-key", "invalid user name");
  Errors errors;
  auto key = ssh::check_authorized_key(key_text, "rescue", "KEY", errors);
  if (!key) {
    for (const auto& e : errors) o.err += "rescue: authorize-key: " + e.message + "\n";
    if (errors.empty()) o.err += "rescue: authorize-key: KEY is empty\n";
    return kExitUsage;
  }
  guest::Report r;
  GuestSession session(sys, r);
  auto fail = [&](const std::string& msg) {
    r.err += "rescue: authorize-key: " + msg + "\n";
    session.close();
    take(o, r);
    return kExitFailure;
  };
  if (!session.open(false)) return fail("cannot mount the guest");
  const std::string root = kGuestRoot;
  auto pw = sys.read_guest_file(root, "/etc/passwd", 4 << 20);
  if (!pw.ok()) return fail(root + "/etc/passwd: " + sys::error_text(pw.err));
  auto entry = guest::find_user(guest::parse_passwd(pw.value), user);
  if (!entry) return fail("no user '" + user + "' in the guest's /etc/passwd");
  if (!safe_guest_path(entry->home) || entry->home == "/")
    return fail("user '" + user + "' has no usable home directory ('" + entry->home + "')");
  // The home directory as the guest sees it (a link such as /home/alice -> /root stays
  // inside the guest); below it nothing is followed: .ssh must be a directory and
  // authorized_keys a regular file, not links.
  std::string home_error;
  std::string home = guest::dir_in_guest(sys, root, entry->home, home_error);
  if (home.empty()) return fail("home directory " + entry->home + ": " + home_error);
  if (auto st = sys.lstat(home); !st.ok() || !S_ISDIR(st.value.mode))
    return fail("home directory " + entry->home + " missing or not a directory in the guest");
  std::string dir = home + "/.ssh", file = dir + "/authorized_keys";
  std::string existing;
  auto dir_st = sys.lstat(dir);
  const bool dir_exists = dir_st.ok();
  if (dir_exists && !S_ISDIR(dir_st.value.mode)) return fail(entry->home + "/.ssh is not a directory (refusing)");
  if (dir_exists) {
    if (auto st = sys.lstat(file); st.ok()) {
      if (!S_ISREG(st.value.mode)) return fail(entry->home + "/.ssh/authorized_keys is not a regular file (refusing)");
      auto text = sys.read_file(file, 4 << 20);
      if (!text.ok()) return fail(file + ": " + sys::error_text(text.err));
      existing = text.value;
    }
  }
  for (auto line : split_lines(existing)) {
    auto parsed = ssh::parse_public_key(line);
    if (parsed.key && parsed.key->blob == key->blob) {
      r.out += "rescue: authorize-key: key " + ssh::fingerprint_sha256(key->blob) + " already in " +
               entry->home + "/.ssh/authorized_keys (nothing changed)\n";
      session.close();
      take(o, r);
      return kExitOk;
    }
  }
  if (!session.writable()) return fail("cannot mount the guest read-write");
  if (!dir_exists) {
    if (auto st = sys.mkdir(dir, 0700); !st.ok()) return fail(dir + ": mkdir: " + sys::error_text(st.err));
    if (auto st = sys.chown_path(dir, entry->uid, entry->gid); !st.ok())
      return fail(dir + ": chown: " + sys::error_text(st.err));
    if (auto st = sys.chmod_path(dir, 0700); !st.ok()) return fail(dir + ": chmod: " + sys::error_text(st.err));
  }
  if (!existing.empty() && existing.back() != '\n') existing += "\n";
  existing += ssh::canonical_line(*key) + "\n";
  std::string error;
  if (!guest::replace_file(sys, file, existing, 0600, entry->uid, entry->gid, error)) return fail(error);
  r.out += "rescue: authorize-key: added " + ssh::fingerprint_sha256(key->blob) + " to " + entry->home +
           "/.ssh/authorized_keys of '" + user + "'\n";
  session.close();
  take(o, r);
  return kExitOk;
}

// --- firewall-off -----------------------------------------------------------------------------
int cmd_firewall_off(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o) {
  if (wants_help(args)) return o.out += subcommand_help("firewall-off"), kExitOk;
  if (args.size() > 1) return usage(o, "firewall-off", "takes no arguments");
  guest::Report r;
  GuestSession session(sys, r);
  if (!session.open(false)) {
    take(o, r);
    return kExitFailure;
  }
  const std::string root = kGuestRoot;
  guest::FirewallFacts facts;
  std::string resolve_error;
  if (auto t = sys.read_guest_file(root, "/etc/ufw/ufw.conf", 1 << 20); t.ok()) facts.ufw_conf = t.value;
  for (const auto& link : guest::firewall_link_candidates()) {
    std::string p = guest::in_guest(sys, root, link, resolve_error);
    if (p.empty()) continue;
    if (auto target = sys.readlink(p); target.ok() && !target.value.empty()) facts.links.push_back({link, target.value});
  }
  auto plan = guest::plan_firewall_off(facts);
  if (plan.empty()) {
    r.out += "rescue: firewall-off: no enabled firewall found in the guest (ufw, firewalld, nftables, "
             "iptables/netfilter-persistent): nothing changed\n";
    session.close();
    take(o, r);
    return kExitOk;
  }
  bool ok = session.writable();
  std::string undo;
  for (const auto& a : plan) {
    if (!ok) break;
    std::string error;
    std::string p = guest::in_guest(sys, root, a.path, error);
    if (p.empty()) {
      r.err += "rescue: firewall-off: " + error + "\n";
      ok = false;
      continue;
    }
    if (a.kind == guest::FirewallAction::Kind::rewrite_file) {
      if (!guest::replace_file(sys, p, a.content, 0644, 0, 0, error)) {
        r.err += "rescue: firewall-off: " + error + "\n";
        ok = false;
        continue;
      }
    } else if (auto st = sys.unlink(p); !st.ok()) {
      r.err += "rescue: firewall-off: " + a.path + ": " + sys::error_text(st.err) + "\n";
      ok = false;
      continue;
    }
    r.out += "rescue: firewall-off: " + a.what + "\n";
    undo += "  " + a.undo + "\n";
  }
  if (!undo.empty()) r.out += "to undo (inside `rescue chroot`):\n" + undo;
  session.close();
  take(o, r);
  return ok ? kExitOk : kExitFailure;
}

// --- du -------------------------------------------------------------------------------------------
namespace {

struct DuWalk {
  sys::Sys& sys;
  dev_t dev = 0;
  std::vector<guest::DuItem> dirs, files;
  std::size_t errors = 0;
  void prune() {
    if (dirs.size() > 4096) dirs = guest::top_items(std::move(dirs), 20);
    if (files.size() > 4096) files = guest::top_items(std::move(files), 20);
  }
  std::uint64_t walk(const std::string& path, int depth) {
    std::uint64_t total = 0;
    // Subdirectories are walked after this one is closed: one directory open at a time.
    std::vector<std::pair<std::string, std::uint64_t>> subdirs;
    auto listed = sys.each_dir_entry(path, [&](const sys::DirEntry& e) {
      std::string p = path == "/" ? "/" + e.name : path + "/" + e.name;
      auto st = sys.lstat(p);
      if (!st.ok()) {
        ++errors;
        return true;
      }
      const std::uint64_t bytes = st.value.blocks512 * 512;
      if (S_ISDIR(st.value.mode)) {
        if (st.value.dev == dev) subdirs.emplace_back(std::move(p), bytes);  // else another filesystem
        return true;
      }
      total += bytes;
      if (S_ISREG(st.value.mode)) files.push_back({p, bytes, false});
      prune();
      return true;
    });
    if (!listed.ok()) ++errors;
    for (auto& [p, own] : subdirs) {
      const std::uint64_t sub = own + (depth < 256 ? walk(p, depth + 1) : 0);
      dirs.push_back({p, sub, true});
      total += sub;
      prune();
    }
    return total;
  }
};

}  // namespace

int cmd_du(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o) {
  if (wants_help(args)) return o.out += subcommand_help("du"), kExitOk;
  if (args.size() > 2) return usage(o, "du", "too many arguments");
  std::string path = args.size() == 2 ? args[1] : kGuestRoot;
  if (args.size() < 2 && !guest::is_mount_point(sys, path)) {
    o.err += "rescue: du: the guest is not mounted (rescue mount --guest first, or give a PATH)\n";
    return kExitFailure;
  }
  auto st = sys.lstat(path);
  if (!st.ok() || !S_ISDIR(st.value.mode)) {
    o.err += "rescue: du: " + path + ": not a directory\n";
    return kExitFailure;
  }
  DuWalk w{sys};
  w.dev = st.value.dev;
  std::uint64_t total = w.walk(path, 0);
  o.out += guest::render_du(guest::top_items(w.dirs, 20), guest::top_items(w.files, 20));
  o.out += strformat("total: %s in %s\n", disks::human_size(total).c_str(), path.c_str());
  if (w.errors) o.err += strformat("rescue: du: %zu entries could not be read\n", w.errors);
  return kExitOk;
}

}  // namespace lifeboat
