// rescue chroot: see subcommand_help().
#include <fcntl.h>
#include <cstdlib>

#include "cli/session.h"
#include "cli/toolkit.h"
#include "common/text.h"
#include "guest/repair_env.h"

namespace lifeboat {


int cmd_chroot(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o) {
  if (args.size() > 1 && (args[1] == "--help" || args[1] == "-h")) return o.out += subcommand_help("chroot"), kExitOk;
  std::vector<std::string> cmd(args.begin() + 1, args.end());
  if (!cmd.empty() && cmd[0] == "--") cmd.erase(cmd.begin());
  guest::Report r;
  GuestSession session(sys, r);
  if (!session.open_or_report(true, o)) return kExitFailure;
  const std::string root = kGuestRoot;
  guest::RepairEnv repair(sys, r);
  const bool ok = repair.setup();
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
  repair.teardown();
  session.close();
  take(o, r);
  return rc;
}

}  // namespace lifeboat
