#pragma once
// `rescue unlock [DEV] [--rw]`: opens a LUKS container with a passphrase (asked on the
// terminal, or one line on stdin), read-only unless --rw, brings up the LVM inside it the
// way the boot does (disks/stack.h) and checks what it holds per the boot's fsck policy
// (read-only when opened read-only). The key slots' argon2 memory cost is compared with
// MemAvailable first (disks/luks.h): a VM too small is told so instead of being OOM-killed.
// The passphrase goes to cryptsetup through a pipe and is wiped; it never reaches a log,
// the console or status.json.
#include <string>
#include <vector>

#include "cli/rescue.h"
#include "sys/sys.h"

namespace lifeboat {

int cmd_unlock(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o);
std::string unlock_help();

}  // namespace lifeboat
