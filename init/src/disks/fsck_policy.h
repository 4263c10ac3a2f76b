#pragma once
// Filesystem check policy (pure): which tool, which flags, which state from which exit
// code, and the order of the work (disks in parallel, the partitions of one disk in series).
//
// Each filesystem ends in exactly one state:
//   clean          the checker found nothing to fix
//   errors-found   check mode: problems found and left alone (or the check did not finish)
//   repaired       repair mode: problems found and fixed (exit codes, "FILE SYSTEM WAS MODIFIED")
//   repair-failed  repair mode: problems left, or the repair could not run to the end
//   timed-out      the checker ran past lifeboat.fsck_timeout and was killed
//   skipped        not checked, with the reason (off, mounted, no checker in the image, ...)
//
// Tools and flags:
//   ext2/3/4  check  e2fsck -fn DEV        exit 0 clean, 4 errors-found, 8+ errors-found
//                                           (the check did not complete)
//             repair e2fsck -fy DEV        exit 0 clean (repaired if the log says "FILE SYSTEM
//                                           WAS MODIFIED"), 1/2 repaired, 4+ repair-failed
//   xfs       check  xfs_repair -n DEV     exit 0 clean, 1 errors-found; a dirty log is noted
//                                           ("dirty log, not replayed in check mode")
//             repair xfs_repair -n DEV first (0: clean, nothing written); a dirty log is
//                    replayed by mount + umount; then xfs_repair DEV (0 repaired, else
//                    repair-failed); a log that cannot be replayed is zeroed (xfs_repair -L)
//                    only with lifeboat.xfs_zero_log=1
//   vfat      fsck.vfat -n DEV (repair: -n, then -a -w, then -n again), if the image has it
//   btrfs     check  btrfs check --readonly DEV
//             repair the same, and only with lifeboat.btrfs_repair=1: btrfs check --repair DEV
//                    when the check found errors (0 repaired, else repair-failed); without
//                    it, a note says how to ask for it
//   others    skipped: "no checker for TYPE"
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/boot_options.h"
#include "disks/model.h"

namespace lifeboat::disks {

enum class FsckState { clean, errors_found, repaired, repair_failed, timed_out, skipped };
const char* to_string(FsckState s) noexcept;

// Absolute paths of the tools found in the image ("" when missing).
struct Tools {
  std::string e2fsck, xfs_repair, fsck_vfat, btrfs, mount, umount;
};

// How one command ended (from the parallel runner).
struct CmdResult {
  enum class Kind { exited, signaled, timed_out, spawn_failed, cancelled, lost };
  Kind kind = Kind::exited;
  int code = 0;  // exit code, signal, errno; cancelled: 1 killed while running, 0 never started
  std::int64_t duration_ms = 0;
  std::vector<bool> markers;  // one per fsck_markers() entry: seen in this command's output
  bool abandoned = false;     // did not die even after SIGKILL (stuck in the kernel): given up on
};

// Strings looked for in the output of each command.
const std::vector<std::string>& fsck_markers();
enum Marker : std::size_t {
  kFsModified = 0,        // e2fsck: "***** FILE SYSTEM WAS MODIFIED *****"
  kJournalSkipped,        // e2fsck -n: "skipping journal recovery"
  kJournalRecovered,      // e2fsck -y: "recovering journal"
  kXfsDirtyLogIgnored,    // xfs_repair -n: "ALERT: The filesystem has valuable metadata changes in a log"
  kXfsDirtyLogRefused,    // xfs_repair: "ERROR: The filesystem has valuable metadata changes in a log"
  kXfsLogUnreadable,      // xfs_repair: "cannot find log head/tail"
  kMarkerCount
};

struct CommandRecord {
  std::vector<std::string> argv;
  std::string purpose;  // "check", "check before repair", "repair", "log replay (mount)", ...
  CmdResult::Kind kind = CmdResult::Kind::exited;
  int code = 0;
  std::int64_t duration_ms = 0;
};

struct FsckOutcome {
  FsckState state = FsckState::skipped;
  std::string reason;               // why skipped / why repair-failed ("" otherwise)
  std::vector<std::string> notes;   // "dirty log, not replayed in check mode", ...
  FsckMode mode = FsckMode::check;
  std::string mode_source;          // "lifeboat.fsck" or "lifeboat.fsck.vda1"
  std::string tool;                 // the decisive command: absolute path of the tool
  std::vector<std::string> argv;    //   its argv
  int exit_code = -1;               //   its exit code (-1: none: killed, not run)
  std::vector<CommandRecord> commands;
  std::string log_path;
  std::int64_t started_ms = 0, ended_ms = 0;  // monotonic (ms since boot)
};

// One step of the program: run a command, or finished (outcome final).
struct FsckStep {
  bool done = false;
  std::vector<std::string> argv;
  std::string purpose;
  bool needs_unmounted = true;  // the runner checks /proc/self/mountinfo right before
  std::string mkdir;            // a directory to create first (log replay mount point)
};

struct FsckInput {
  std::string name;     // "vda1"
  std::string device;   // "/dev/vda1"
  std::string type;     // blkid TYPE ("ext4", "xfs", ...)
  FsckMode mode = FsckMode::check;
  std::string mode_source = "lifeboat.fsck";
  bool xfs_zero_log = false;
  bool btrfs_repair = false;
  std::int64_t timeout_s = 0;  // lifeboat.fsck_timeout, for the messages
  std::string replay_dir;  // where an XFS log replay mounts ("/run/lifeboat/probe/vda1")
  std::string log_path;    // "/run/lifeboat/fsck/vda1.log"
};

// The per-filesystem state machine. next(nullptr) starts it; after each command, call
// next(&result) until a step is done; outcome() is then final.
class FsckProgram {
 public:
  FsckProgram(FsckInput in, const Tools& tools);
  FsckStep next(const CmdResult* last);
  // The runner refused to start the step: the device is mounted at `where`.
  void mounted(const std::string& where);
  // Ends the program from outside (busy device, time budget used up, ...).
  void end(FsckState state, std::string reason) { finish(state, std::move(reason)); }
  bool done() const noexcept { return phase_ == Phase::done; }
  const FsckOutcome& outcome() const noexcept { return out_; }
  FsckOutcome& outcome() noexcept { return out_; }
  const FsckInput& input() const noexcept { return in_; }

 private:
  enum class Phase {
    start, e2_check, e2_repair, xfs_check, xfs_precheck, xfs_mount, xfs_umount, xfs_repair, xfs_zero,
    vfat_check, vfat_precheck, vfat_repair, vfat_verify, btrfs_check, btrfs_precheck, btrfs_repair,
    done
  };
  FsckStep run(Phase p, std::vector<std::string> argv, std::string purpose, bool needs_unmounted = true);
  FsckStep finish(FsckState s, std::string reason = "");
  FsckStep finish_from(const CmdResult& r, FsckState on_success);
  bool handle_abnormal(const CmdResult& r, FsckStep& step);
  FsckStep start();
  FsckStep after_xfs_dirty();

  FsckInput in_;
  Tools tools_;
  FsckOutcome out_;
  Phase phase_ = Phase::start;
  FsckStep current_;
  bool replayed_ = false;
  bool replay_tried_ = false;
};

// The work for one disk: its filesystems in partition order (run in series).
struct Lane {
  std::string disk;
  std::vector<std::size_t> jobs;  // indexes into the caller's job list
};
// Groups jobs by disk, disks in name order, partitions by number.
struct JobKey {
  std::string disk;
  int partno = 0;
};
std::vector<Lane> plan_lanes(const std::vector<JobKey>& jobs);

// "vda1 ext4 errors-found (e2fsck exit 4)" (the console line after "fsck: ").
std::string outcome_line(const std::string& name, const std::string& type, const FsckOutcome& o);

// "e2fsck" from "/sbin/e2fsck".
std::string tool_name(const std::string& path);

}  // namespace lifeboat::disks
