// rescue chroot: see subcommand_help().
#include <fcntl.h>
#include <sys/mount.h>
#include <cstdlib>

#include "cli/session.h"
#include "cli/toolkit.h"
#include "common/text.h"

namespace lifeboat {


int cmd_chroot(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o) {
  if (args.size() > 1 && (args[1] == "--help" || args[1] == "-h")) return o.out += subcommand_help("chroot"), kExitOk;
  std::vector<std::string> cmd(args.begin() + 1, args.end());
  if (!cmd.empty() && cmd[0] == "--") cmd.erase(cmd.begin());
  guest::Report r;
  GuestSession session(sys, r);
  if (!session.open_or_report(true, o)) return kExitFailure;
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

}  // namespace lifeboat
