#pragma once
// `rescue disks` (what the disks hold, where they are mounted) and `rescue fsck DEV
// [--repair]` (one filesystem, the boot's fsck program, refuses a mounted filesystem).
#include <string>
#include <vector>

#include "cli/rescue.h"
#include "config/boot_options.h"
#include "disks/model.h"
#include "sys/sys.h"

namespace lifeboat {

int cmd_disks(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o);
int cmd_fsck(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o);

// One filesystem through the boot's fsck program, in the foreground (progress on stderr,
// the log and the outcome line in `o`). Refuses a mounted filesystem. Exit code as cmd_fsck.
struct FsckRequest {
  FsckMode mode = FsckMode::check;
  std::string mode_source = "rescue fsck";
  bool xfs_zero_log = false;
  bool btrfs_repair = false;
};
int fsck_volume(sys::Sys& sys, const disks::Volume& v, const FsckRequest& req, CliOutput& o);
std::string disks_help();
std::string fsck_help();

}  // namespace lifeboat
