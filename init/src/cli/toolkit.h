#pragma once
// The rescue toolkit subcommands (issue 6): mount, umount, chroot, passwd, authorize-key,
// firewall-off, du, boot-info (issue 15). Each takes args with args[0] = the command name. One file each
// (cli/cmd_NAME.cpp); what they share (help texts, usage errors, GuestSession) is in
// cli/session.h.
#include <string>
#include <vector>

#include "cli/rescue.h"

namespace lifeboat {

int cmd_mount(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o);
int cmd_umount(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o);
int cmd_chroot(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o);
int cmd_passwd(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o);
int cmd_authorize_key(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o);
int cmd_firewall_off(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o);
int cmd_du(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o);
int cmd_boot_info(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o);

// Unmounts everything under /mnt (for reboot/poweroff); problems go to o.err.
bool unmount_all_guests(sys::Sys& sys, CliOutput& o);

// The --help text of a subcommand ("" when unknown).
std::string subcommand_help(const std::string& name);

}  // namespace lifeboat
