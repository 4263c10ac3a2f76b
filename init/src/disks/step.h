#pragma once
// The two boot steps of issue 5 (main.cpp calls them in order):
//
//   disks  /sys/block + libblkid + libext2fs: disks, partition tables, partitions, what
//          each holds, ext superblock state; every guest disk set read-only (BLKROSET);
//          the guest root (a filesystem with /etc/fstab and os-release) found by mounting
//          candidates read-only without journal replay (ext*: ro,noload; xfs:
//          ro,norecovery; btrfs: ro,rescue=nologreplay) under /run/lifeboat/probe/<dev>,
//          reading, unmounting (btrfs: the default subvolume, then each top-level one);
//          its fstab mapped to the volumes found (UUID=, LABEL=, /dev/mapper/..., /dev/VG/LV,
//          /dev/disk/by-id/dm-uuid-...). The disks worker brings up md RAID and LVM first
//          (read-only unless a repair was asked for: disks/stack.h), so the filesystems
//          inside are found, checked and mounted like plain ones.
//   fsck   the policy (config/disk_options.h, disks/fsck_policy.h) applied: one lane per disk,
//          lanes in parallel, partitions of a disk in series; right before each command
//          /proc/self/mountinfo proves the device is not mounted; output in
//          /run/lifeboat/fsck/<dev>.log; "lifeboat: fsck: vda1: still checking (20 s)"
//          every 10 s; one line per filesystem: "lifeboat: fsck: vda1 ext4 clean (e2fsck
//          exit 0)". Disks stay read-only during a check; only disks with repair work are
//          made writable, and every disk gets its original state back at the end.
//
// status.json "disks" section (see disks_json()):
//   { "policy": {"mode", "timeout_s", "xfs_zero_log", "overrides": {target: mode}},
//     "tools": {"e2fsck": "/sbin/e2fsck" | null, ...},
//     "disks": [{"name", "path", "major", "minor", "size_bytes", "read_only", "removable",
//                "model", "table" (gpt|dos|null), "table_uuid", "volumes": [names]}],
//     "volumes": [{"name", "path", "disk", "partno", "major", "minor", "size_bytes",
//                  "start_sector", "partlabel", "partuuid", "parttype", "type", "uuid",
//                  "label", "usage", "version", "problem",
//                  "ext": {"state": "clean|errors|not clean", "needs_recovery", "orphans",
//                          "has_journal", "mount_count", "max_mount_count", "last_check",
//                          "last_check_epoch", "error_count", "block_size",
//                          "primary_superblock": "ok|damaged", "backup_block", "error"},
//                  "hint": {"what", "command", "tool_in_image"},
//                  "stack": {"what" ("LVM rhel/root", "md raid1", "LUKS (dm-crypt)"), "on": [names],
//                            "aliases": ["/dev/mapper/rhel-root", ...]} (stacked devices only),
//                  "fstab": [{"guest", "mountpoint", "spec", "type"}],
//                  "fsck": {"state" (pending|running while the work goes on), "mode", "mode_from", "reason", "notes", "tool",
//                           "argv", "exit_code", "log", "started_ms", "ended_ms",
//                           "duration_ms", "commands": [{"argv", "purpose", "result",
//                           "code", "duration_ms"}]}}],
//     "guests": [{"volume", "subvol" (btrfs, or null), "pretty_name", "id", "version_id",
//                 "fstab": [{"line", "spec", "mountpoint", "type", "options", "passno",
//                            "volume" | null, "note"}]}],
//     "problems": ["..."], "fsck_ms": N, "parallel": {"lanes", "max_running"} }
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/cmdline.h"
#include "boot/log.h"
#include "config/boot_options.h"
#include "disks/fsck_policy.h"
#include "disks/guest.h"
#include "config/disk_options.h"
#include "disks/parallel.h"
#include "disks/probe.h"
#include "report/step_runner.h"
#include "supervise/supervisor.h"
#include "sys/sys.h"

namespace lifeboat::disks {

struct GuestRoot {
  std::string volume;
  std::string subvol;  // btrfs: the subvolume holding the root ("" = the default one)
  std::string pretty_name;
  std::map<std::string, std::string> os;
  std::vector<FstabEntry> fstab;
  std::vector<SpecMatch> matches;  // one per fstab entry
};

struct DisksContext {
  // Seams (tests, development).
  std::optional<Probers> probers;  // default_probers() when unset
  std::string sys_block = "/sys/block";
  std::string dev_dir = "/dev";
  std::string proc_cmdline = kProcCmdline;
  std::string mountinfo = "/proc/self/mountinfo";
  std::string probe_base = "/run/lifeboat/probe";
  std::string fsck_dir = "/run/lifeboat/fsck";
  std::int64_t probe_mount_timeout_ms = 30000;
  ParallelOptions parallel;
  bool protect_disks = true;  // BLKROSET while looking and checking
  // When set, finds the disks instead of scan_disks() in this process (the disks worker
  // probes each disk in a child with a time limit: disks/worker.h).
  std::function<Scan(DisksContext&)> scanner;
  // Called whenever a volume changes state (scan done; each check pending -> running ->
  // its final state): the disks worker republishes status (disks/worker.h).
  std::function<void()> on_change;

  // What the disks step found.
  bool scanned = false;
  DisksOptions options;
  Tools tools;
  std::map<std::string, bool> hint_tools;  // vgchange, mdadm, cryptsetup, swapon: in the image?
  Scan scan;
  std::vector<GuestRoot> guests;
  std::map<std::string, std::string> busy;  // volume -> why it must not be checked
  std::map<std::string, std::string> stuck;  // disk -> a child that never died holds it
  std::vector<std::string> problems;
  std::unique_ptr<ReadOnlyGuard> guard;

  // What the fsck step did.
  bool checked = false;
  std::vector<FsckProgram> jobs;  // same order as scan.volumes
  std::set<std::size_t> running;  // jobs whose first command started
  ParallelStats stats;
  std::size_t lanes = 0;
  std::int64_t fsck_ms = 0;
};

void detect_disks(sys::Sys& sys, Supervisor& sup, StepRunner& steps, StepContext& step, const BootOptions& opts,
                  DisksContext& ctx);
void check_filesystems(sys::Sys& sys, Supervisor& sup, Log& log, StepRunner& steps, StepContext& step,
                       DisksContext& ctx);

// The status.json "disks" object (compact JSON text).
std::string disks_json(const DisksContext& ctx);

// "3 disks, 5 volumes (2 ext4, 1 xfs, 1 swap, 1 empty)"
std::string scan_summary(const Scan& scan);
// "2 clean, 5 errors-found, 1 skipped"
std::string fsck_summary(const std::vector<FsckProgram>& jobs);
// How many volumes have their final fsck state, of how many.
std::pair<std::size_t, std::size_t> fsck_progress(const DisksContext& ctx);

}  // namespace lifeboat::disks
