#pragma once
// `rescue disks` (what the disks hold, where they are mounted) and `rescue fsck DEV
// [--repair]` (one filesystem, the boot's fsck program, refuses a mounted filesystem).
#include <string>
#include <vector>

#include "cli/rescue.h"
#include "sys/sys.h"

namespace lifeboat {

int cmd_disks(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o);
int cmd_fsck(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o);
std::string disks_help();
std::string fsck_help();

}  // namespace lifeboat
