#pragma once
// The disk checking policy from the kernel command line (pure).
//
//   lifeboat.fsck=check|repair|off      global mode (parsed by config/boot_options.cpp)
//   lifeboat.fsck.<dev>=check|repair|off per device: <dev> is a kernel name (vda1), a
//                                        filesystem UUID or a LABEL
//   lifeboat.fsck_timeout=SECONDS        per filesystem, default 600 (1..86400)
//   lifeboat.probe_timeout=SECONDS       looking at one disk (libblkid, libext2fs) in a child,
//                                        default 60 (1..86400); a disk whose probe does not
//                                        finish is reported and left alone
//   lifeboat.xfs_zero_log[=1]            allow `xfs_repair -L` (zeroes a log that cannot be
//                                        replayed; can lose recent changes) in repair mode
//   lifeboat.btrfs_repair[=1]            allow `btrfs check --repair` in repair mode (the
//                                        btrfs documentation warns against it: off by default)
//
// Override precedence for one filesystem: kernel name, then UUID, then LABEL, then the
// global mode. Bad values keep the default and add an Error (source "cmdline").
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/cmdline.h"
#include "common/error.h"
#include "config/boot_options.h"

namespace lifeboat::disks {

// True for the keys this module owns (lifeboat.fsck.<dev>, lifeboat.fsck_timeout,
// lifeboat.probe_timeout, lifeboat.xfs_zero_log, lifeboat.btrfs_repair), so that boot_options.cpp does not call them unknown.
// lifeboat.fsck itself belongs to boot_options.
bool is_disks_cmdline_key(std::string_view key) noexcept;

struct Override {
  std::string target;  // what follows "lifeboat.fsck."
  FsckMode mode = FsckMode::check;
};

struct DisksOptions {
  FsckMode mode = FsckMode::check;
  std::vector<Override> overrides;  // command line order; a later one for the same target wins
  std::int64_t timeout_s = 600;
  std::int64_t probe_timeout_s = 60;
  bool xfs_zero_log = false;
  bool btrfs_repair = false;
};

struct DisksOptionsResult {
  DisksOptions options;
  Errors errors;
};

// `global` is BootOptions::fsck (lifeboat.fsck=, already checked there).
DisksOptionsResult parse_disks_options(const Cmdline& cmdline, FsckMode global);

// What one filesystem is identified by, for override matching.
struct VolumeIds {
  std::string name;   // "vda1"
  std::string uuid;   // filesystem UUID (case-insensitive match)
  std::string label;  // filesystem LABEL (exact match)
};

struct ModeChoice {
  FsckMode mode = FsckMode::check;
  std::string source;  // "lifeboat.fsck" or "lifeboat.fsck.<target>"
};

ModeChoice resolve_mode(const DisksOptions& options, const VolumeIds& ids);

// Overrides whose target matches none of `all` ("lifeboat.fsck.<t>: matches no device,
// UUID or LABEL"), as warnings.
Errors unmatched_overrides(const DisksOptions& options, const std::vector<VolumeIds>& all);

bool parse_fsck_mode(std::string_view text, FsckMode& out) noexcept;

}  // namespace lifeboat::disks
