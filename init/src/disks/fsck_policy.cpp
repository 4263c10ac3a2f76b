#include "disks/fsck_policy.h"

#include <algorithm>
#include <map>

#include "common/text.h"
#include "sys/sys.h"

namespace lifeboat::disks {

const char* to_string(FsckState s) noexcept {
  switch (s) {
    case FsckState::clean: return "clean";
    case FsckState::errors_found: return "errors-found";
    case FsckState::repaired: return "repaired";
    case FsckState::repair_failed: return "repair-failed";
    case FsckState::timed_out: return "timed-out";
    default: return "skipped";
  }
}

const std::vector<std::string>& fsck_markers() {
  static const std::vector<std::string> m = {
      "***** FILE SYSTEM WAS MODIFIED *****",
      "skipping journal recovery",
      "recovering journal",
      "ALERT: The filesystem has valuable metadata changes in a log",
      "ERROR: The filesystem has valuable metadata changes in a log",
      "cannot find log head/tail",
  };
  return m;
}

std::string tool_name(const std::string& path) { return std::string(path_basename(path)); }

namespace {

FsckStep done_step() {
  FsckStep st;
  st.done = true;
  return st;
}

bool marker(const CmdResult& r, Marker m) { return m < r.markers.size() && r.markers[m]; }

const char* kind_text(CmdResult::Kind k) {
  switch (k) {
    case CmdResult::Kind::signaled: return "killed by a signal";
    case CmdResult::Kind::timed_out: return "timed out";
    case CmdResult::Kind::spawn_failed: return "could not start";
    case CmdResult::Kind::cancelled: return "cancelled";
    case CmdResult::Kind::lost: return "exit status lost";
    default: return "exited";
  }
}

}  // namespace

FsckProgram::FsckProgram(FsckInput in, const Tools& tools) : in_(std::move(in)), tools_(tools) {
  out_.mode = in_.mode;
  out_.mode_source = in_.mode_source;
  out_.log_path = in_.log_path;
}

FsckStep FsckProgram::run(Phase p, std::vector<std::string> argv, std::string purpose, bool needs_unmounted) {
  phase_ = p;
  current_ = FsckStep{};
  current_.argv = std::move(argv);
  current_.purpose = std::move(purpose);
  current_.needs_unmounted = needs_unmounted;
  return current_;
}

FsckStep FsckProgram::finish(FsckState s, std::string reason) {
  phase_ = Phase::done;
  out_.state = s;
  out_.reason = std::move(reason);
  FsckStep st;
  st.done = true;
  return st;
}

// The decisive command: the last one that ran.
FsckStep FsckProgram::finish_from(const CmdResult& r, FsckState s) {
  out_.tool = current_.argv.empty() ? "" : current_.argv[0];
  out_.argv = current_.argv;
  out_.exit_code = r.kind == CmdResult::Kind::exited ? r.code : -1;
  return finish(s);
}

void FsckProgram::mounted(const std::string& where) {
  const bool repairing = in_.mode == FsckMode::repair && !out_.commands.empty();
  finish(repairing ? FsckState::repair_failed : FsckState::skipped,
         "mounted at " + where + ": never checked while mounted");
}

// Timeouts, crashes, spawn failures and cancellation end the program the same way for
// every tool. Returns true when it handled `r`.
bool FsckProgram::handle_abnormal(const CmdResult& r, FsckStep& step) {
  const std::string tool = current_.argv.empty() ? "?" : tool_name(current_.argv[0]);
  const bool repairing = in_.mode == FsckMode::repair;
  switch (r.kind) {
    case CmdResult::Kind::exited: return false;
    case CmdResult::Kind::timed_out:
      out_.tool = current_.argv.empty() ? "" : current_.argv[0];
      out_.argv = current_.argv;
      out_.exit_code = -1;
      step = finish(FsckState::timed_out,
                    in_.timeout_s > 0
                        ? strformat("%s killed after %lld s, lifeboat.fsck_timeout=%lld", tool.c_str(),
                                    static_cast<long long>(in_.timeout_s), static_cast<long long>(in_.timeout_s))
                        : strformat("%s killed after %lld s", tool.c_str(), static_cast<long long>((r.duration_ms + 500) / 1000)));
      return true;
    case CmdResult::Kind::spawn_failed:
      if (out_.commands.size() <= 1) {
        step = finish(FsckState::skipped, strformat("cannot run %s: %s", current_.argv.empty() ? "?" : current_.argv[0].c_str(),
                                                    sys::error_text(r.code)));
      } else {
        step = finish(repairing ? FsckState::repair_failed : FsckState::errors_found,
                      strformat("cannot run %s: %s", tool.c_str(), sys::error_text(r.code)));
      }
      return true;
    case CmdResult::Kind::cancelled: {
      // code 1: killed while running; 0: never started.
      const bool interrupted = r.code != 0 || out_.commands.size() > 1;
      step = finish(repairing && interrupted ? FsckState::repair_failed : FsckState::skipped,
                    interrupted ? "interrupted: shutdown requested" : "not started: shutdown requested");
      return true;
    }
    default:  // signaled, lost
      out_.tool = current_.argv.empty() ? "" : current_.argv[0];
      out_.argv = current_.argv;
      out_.exit_code = -1;
      step = finish(repairing ? FsckState::repair_failed : FsckState::errors_found,
                    r.kind == CmdResult::Kind::signaled ? strformat("%s killed by signal %d: did not complete", tool.c_str(), r.code)
                                                        : strformat("%s: %s", tool.c_str(), kind_text(r.kind)));
      return true;
  }
}

FsckStep FsckProgram::start() {
  if (in_.mode == FsckMode::off) return finish(FsckState::skipped, in_.mode_source + "=off");
  const std::string& dev = in_.device;
  switch (family_of(in_.type)) {
    case Family::ext:
      if (tools_.e2fsck.empty()) return finish(FsckState::skipped, "not checked: no e2fsck in image");
      if (in_.mode == FsckMode::repair) return run(Phase::e2_repair, {tools_.e2fsck, "-fy", dev}, "repair");
      return run(Phase::e2_check, {tools_.e2fsck, "-fn", dev}, "check");
    case Family::xfs:
      if (tools_.xfs_repair.empty()) return finish(FsckState::skipped, "not checked: no xfs_repair in image");
      if (in_.mode == FsckMode::repair)
        return run(Phase::xfs_precheck, {tools_.xfs_repair, "-n", dev}, "check before repair");
      return run(Phase::xfs_check, {tools_.xfs_repair, "-n", dev}, "check");
    case Family::vfat:
      if (tools_.fsck_vfat.empty()) return finish(FsckState::skipped, "not checked: no checker in image");
      if (in_.mode == FsckMode::repair)
        return run(Phase::vfat_precheck, {tools_.fsck_vfat, "-n", dev}, "check before repair");
      return run(Phase::vfat_check, {tools_.fsck_vfat, "-n", dev}, "check");
    case Family::btrfs:
      if (tools_.btrfs.empty()) return finish(FsckState::skipped, "not checked: no checker in image");
      if (in_.mode == FsckMode::repair && in_.btrfs_repair)
        return run(Phase::btrfs_precheck, {tools_.btrfs, "check", "--readonly", dev}, "check before repair");
      if (in_.mode == FsckMode::repair)
        out_.notes.push_back("btrfs is only checked: btrfs check --repair runs only with lifeboat.btrfs_repair=1");
      return run(Phase::btrfs_check, {tools_.btrfs, "check", "--readonly", dev}, "check");
    case Family::swap: return finish(FsckState::skipped, "swap: nothing to check");
    case Family::lvm:
    case Family::raid:
    case Family::luks: {
      Hint h = hint_for(in_.type, dev);
      return finish(FsckState::skipped, h.what + ": not a filesystem (" + (h.command.empty() ? "no tool" : h.command) + " first)");
    }
    case Family::readonly_fs: return finish(FsckState::skipped, in_.type + ": read-only filesystem, nothing to check");
    case Family::none: return finish(FsckState::skipped, "no filesystem found");
    default: return finish(FsckState::skipped, "not checked: no checker for " + in_.type);
  }
}

FsckStep FsckProgram::after_xfs_dirty() {
  if (!replay_tried_ && !tools_.mount.empty() && !tools_.umount.empty()) {
    FsckStep st = run(Phase::xfs_mount, {tools_.mount, "-t", "xfs", in_.device, in_.replay_dir}, "log replay (mount)");
    current_.mkdir = in_.replay_dir;
    st.mkdir = in_.replay_dir;
    return st;
  }
  if (in_.xfs_zero_log) {
    out_.notes.push_back("log zeroed (lifeboat.xfs_zero_log=1): recent changes may be lost");
    return run(Phase::xfs_zero, {tools_.xfs_repair, "-L", in_.device}, "repair, zeroing the log");
  }
  phase_ = Phase::done;
  out_.state = FsckState::repair_failed;
  out_.reason = std::string(replayed_ ? "log still dirty after the replay" : "dirty log could not be replayed") +
                "; lifeboat.xfs_zero_log=1 allows xfs_repair -L (may lose data)";
  FsckStep st;
  st.done = true;
  return st;
}

FsckStep FsckProgram::next(const CmdResult* last) {
  if (phase_ == Phase::done) {
    FsckStep st;
    st.done = true;
    return st;
  }
  if (!last) return start();
  const CmdResult& r = *last;
  out_.commands.push_back(CommandRecord{current_.argv, current_.purpose, r.kind, r.code, r.duration_ms});
  FsckStep step;
  // A failed replay mount/umount is not a checker failure: handled below.
  const bool replay_step = phase_ == Phase::xfs_mount || phase_ == Phase::xfs_umount;
  if (!(replay_step && (r.kind == CmdResult::Kind::exited || r.kind == CmdResult::Kind::spawn_failed)) &&
      handle_abnormal(r, step))
    return step;
  const int code = r.code;
  switch (phase_) {
    case Phase::e2_check:
      if (marker(r, kJournalSkipped)) out_.notes.push_back("journal needs recovery, not replayed in check mode");
      if (code == 0) return finish_from(r, FsckState::clean);
      if (code & ~7) {
        finish_from(r, FsckState::errors_found);
        out_.reason = "the check did not complete";
        return done_step();
      }
      return finish_from(r, FsckState::errors_found);
    case Phase::e2_repair:
      if (marker(r, kJournalRecovered)) out_.notes.push_back("journal replayed");
      // Exit 0 after replaying a journal or clearing orphans: the filesystem was changed.
      if (code == 0)
        return finish_from(r, marker(r, kFsModified) || marker(r, kJournalRecovered) ? FsckState::repaired : FsckState::clean);
      if ((code & ~3) == 0) return finish_from(r, FsckState::repaired);
      finish_from(r, FsckState::repair_failed);
      out_.reason = (code & 4) ? "errors left uncorrected" : "the repair did not complete";
      return done_step();
    case Phase::xfs_check:
      if (marker(r, kXfsDirtyLogIgnored)) out_.notes.push_back("dirty log, not replayed in check mode");
      if (marker(r, kXfsLogUnreadable)) out_.notes.push_back("log head/tail not found");
      if (code == 0) return finish_from(r, FsckState::clean);
      if (code != 1) {
        finish_from(r, FsckState::errors_found);
        out_.reason = "the check did not complete";
        return done_step();
      }
      return finish_from(r, FsckState::errors_found);
    case Phase::xfs_precheck:
      if (marker(r, kXfsDirtyLogIgnored)) {
        out_.notes.push_back("dirty log");
        return after_xfs_dirty();
      }
      if (code == 0) return finish_from(r, FsckState::clean);
      return run(Phase::xfs_repair, {tools_.xfs_repair, in_.device}, "repair");
    case Phase::xfs_mount:
      if (r.kind == CmdResult::Kind::exited && code == 0)
        return run(Phase::xfs_umount, {tools_.umount, in_.replay_dir}, "log replay (umount)", false);
      out_.notes.push_back(r.kind == CmdResult::Kind::exited ? strformat("log replay: mount failed (exit %d)", code)
                                                             : "log replay: mount could not start");
      replay_tried_ = true;
      return after_xfs_dirty();
    case Phase::xfs_umount:
      if (r.kind == CmdResult::Kind::exited && code == 0) {
        replayed_ = replay_tried_ = true;
        out_.notes.push_back("log replayed by mount + umount");
        return run(Phase::xfs_repair, {tools_.xfs_repair, in_.device}, "repair");
      }
      phase_ = Phase::done;
      out_.state = FsckState::repair_failed;
      out_.reason = "log replay: umount " + in_.replay_dir + " failed: the filesystem is left mounted there";
      return done_step();
    case Phase::xfs_repair:
      if (code == 0) return finish_from(r, FsckState::repaired);
      if (code == 2 || marker(r, kXfsDirtyLogRefused)) {
        if (!replayed_) out_.notes.push_back("dirty log");
        return after_xfs_dirty();
      }
      finish_from(r, FsckState::repair_failed);
      out_.reason = strformat("xfs_repair exit %d", code);
      return done_step();
    case Phase::xfs_zero:
      if (code == 0) return finish_from(r, FsckState::repaired);
      finish_from(r, FsckState::repair_failed);
      out_.reason = strformat("xfs_repair -L exit %d", code);
      return done_step();
    case Phase::vfat_check:
      if (code == 0) return finish_from(r, FsckState::clean);
      return finish_from(r, FsckState::errors_found);
    case Phase::vfat_precheck:
      if (code == 0) return finish_from(r, FsckState::clean);
      return run(Phase::vfat_repair, {tools_.fsck_vfat, "-a", "-w", in_.device}, "repair");
    case Phase::vfat_repair:
      if (code > 1) {
        finish_from(r, FsckState::repair_failed);
        out_.reason = strformat("fsck.vfat exit %d", code);
        return done_step();
      }
      return run(Phase::vfat_verify, {tools_.fsck_vfat, "-n", in_.device}, "verify after repair");
    case Phase::vfat_verify:
      if (code == 0) return finish_from(r, FsckState::repaired);
      finish_from(r, FsckState::repair_failed);
      out_.reason = "errors left after fsck.vfat -a";
      return done_step();
    case Phase::btrfs_check:
      return finish_from(r, code == 0 ? FsckState::clean : FsckState::errors_found);
    case Phase::btrfs_precheck:
      if (code == 0) return finish_from(r, FsckState::clean);
      return run(Phase::btrfs_repair, {tools_.btrfs, "check", "--repair", in_.device}, "repair");
    case Phase::btrfs_repair:
      return finish_from(r, code == 0 ? FsckState::repaired : FsckState::repair_failed);
    default: return finish(FsckState::skipped, "internal: unexpected state");
  }
}

std::vector<Lane> plan_lanes(const std::vector<JobKey>& jobs) {
  std::map<std::string, std::vector<std::size_t>> by_disk;
  for (std::size_t i = 0; i < jobs.size(); ++i) by_disk[jobs[i].disk].push_back(i);
  std::vector<Lane> lanes;
  for (auto& [disk, idx] : by_disk) {
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return jobs[a].partno < jobs[b].partno; });
    lanes.push_back(Lane{disk, idx});
  }
  return lanes;
}

std::string outcome_line(const std::string& name, const std::string& type, const FsckOutcome& o) {
  std::string line = name + " " + (type.empty() ? "-" : type) + " " + to_string(o.state);
  std::vector<std::string> why;
  switch (o.state) {
    case FsckState::skipped:
    case FsckState::timed_out:
      if (!o.reason.empty()) why.push_back(o.reason);
      break;
    default:
      if (!o.tool.empty()) {
        why.push_back(o.exit_code >= 0 ? strformat("%s exit %d", tool_name(o.tool).c_str(), o.exit_code)
                                       : tool_name(o.tool));
      }
      if (!o.reason.empty()) why.push_back(o.reason);
  }
  for (const auto& n : o.notes) why.push_back(n);
  if (!why.empty()) {
    line += " (";
    for (std::size_t i = 0; i < why.size(); ++i) line += (i ? "; " : "") + why[i];
    line += ")";
  }
  return line;
}

}  // namespace lifeboat::disks
