// rescue mount (and umount): see subcommand_help().
#include <sys/mount.h>

#include "cli/session.h"
#include "cli/toolkit.h"
#include "common/text.h"

namespace lifeboat {

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
  bool ok = guest::unmount_under(sys, guest::kUnderMnt, r);
  if (r.out.empty() && ok) r.out = "rescue: nothing mounted under /mnt\n";
  take(o, r);
  return ok ? kExitOk : kExitFailure;
}

bool unmount_all_guests(sys::Sys& sys, CliOutput& o) {
  guest::Report r;
  bool ok = guest::unmount_under(sys, guest::kUnderMnt, r);
  take(o, r);
  return ok;
}

}  // namespace lifeboat
