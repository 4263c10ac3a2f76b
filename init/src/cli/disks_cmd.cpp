// `rescue disks` and `rescue fsck`: the boot's disk scan and fsck program (disks/), run on
// demand. The fsck state machine is the boot's own (disks/fsck_policy.h); only the runner
// differs: one filesystem, in the foreground, progress on stderr.
#include "cli/disks_cmd.h"

#include <fcntl.h>
#include <sys/wait.h>

#include <string>
#include <vector>

#include "common/text.h"
#include "disks/fsck_policy.h"
#include "disks/guest.h"
#include "disks/parallel.h"
#include "disks/probe.h"
#include "disks/stack.h"

namespace lifeboat {

namespace {

constexpr const char* kDisksHelp =
    "usage: rescue disks\n"
    "  lists the disks, their partitions and what each holds (type, label, UUID, size),\n"
    "  and where each is mounted now\n";

constexpr const char* kFsckHelp =
    "usage: rescue fsck DEV [--repair] [--xfs-zero-log] [--btrfs-repair]\n"
    "  checks one filesystem (DEV: vda1, /dev/vda1, a LABEL or a UUID) without writing to it;\n"
    "  --repair repairs it (e2fsck -fy; xfs_repair after replaying the log by mount+umount);\n"
    "  --xfs-zero-log allows xfs_repair -L when the log cannot be replayed (may lose data);\n"
    "  --btrfs-repair allows btrfs check --repair (btrfs' own docs advise against it).\n"
    "  Refuses a mounted filesystem. Output goes to /run/lifeboat/fsck/DEV.rescue.log.\n"
    "  exit: 0 clean or repaired, 1 errors left, failure or refusal, 2 usage\n";

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string human(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return strformat(u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
}

std::vector<disks::MountInfo> current_mounts(sys::Sys& sys) {
  return read_mountinfo(sys);
}

const disks::Volume* find_volume(const disks::Scan& scan, std::string_view want) {
  std::string_view name = want;
  if (name.starts_with("/dev/")) name.remove_prefix(5);
  for (const auto& v : scan.volumes)
    if (v.name == name || v.uuid == want || v.label == want) return &v;
  return nullptr;
}

disks::CmdResult run_one(sys::Sys& sys, const disks::FsckStep& step, const std::string& log_path) {
  disks::CmdResult res;
  res.markers.assign(disks::fsck_markers().size(), false);
  const std::string header = "$ " + join(step.argv, " ") + "\n";
  auto fd = sys.open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
  if (!fd.ok()) {
    res.kind = disks::CmdResult::Kind::spawn_failed;
    res.code = fd.err;
    return res;
  }
  (void)sys.write_all(fd.value, header);
  sys::SpawnSpec spec;
  spec.argv = step.argv;
  spec.env = sys::base_environment();
  spec.stdout_fd = fd.value;
  spec.stderr_fd = fd.value;
  const std::int64_t t0 = sys.monotonic_ms();
  auto pid = sys.spawn(spec);
  sys.close_quietly(fd.value);
  if (!pid.ok()) {
    res.kind = disks::CmdResult::Kind::spawn_failed;
    res.code = pid.err;
    return res;
  }
  (void)sys.write_all(2, "rescue: fsck: running " + join(step.argv, " ") + "\n");
  std::int64_t next_note = t0 + 10000;
  for (;;) {
    auto w = sys.waitpid(pid.value, WNOHANG);
    if (!w.ok()) {
      res.kind = disks::CmdResult::Kind::lost;
      break;
    }
    if (w.value.pid == pid.value) {
      const int st = w.value.status;
      if (WIFEXITED(st)) {
        res.kind = disks::CmdResult::Kind::exited;
        res.code = WEXITSTATUS(st);
      } else {
        res.kind = disks::CmdResult::Kind::signaled;
        res.code = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
      }
      break;
    }
    const std::int64_t now = sys.monotonic_ms();
    if (now >= next_note) {
      (void)sys.write_all(2, strformat("rescue: fsck: still running (%lld s)\n", static_cast<long long>((now - t0) / 1000)));
      next_note += 10000;
    }
    sys.sleep_ms(100);
  }
  res.duration_ms = sys.monotonic_ms() - t0;
  res.markers = disks::scan_file(sys, log_path, header, disks::fsck_markers());
  return res;
}

}  // namespace

int cmd_disks(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o) {
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      o.out += kDisksHelp;
      return kExitOk;
    }
    o.err += "rescue: disks: unexpected argument '" + args[i] + "'\n" + kDisksHelp;
    return kExitUsage;
  }
  const auto scan = disks::scan_disks(sys, disks::default_probers(sys));
  const auto mounts = current_mounts(sys);
  if (scan.disks.empty()) o.out += "no disks found\n";
  for (const auto& d : scan.disks) {
    o.out += strformat("%s  %s  %s%s\n", d.path.c_str(), human(d.size_bytes).c_str(),
                       d.table.empty() ? "no partition table" : d.table.c_str(), d.read_only ? "  read-only" : "");
    for (const auto& v : scan.volumes) {
      if (v.disk != d.name) continue;
      std::string line = strformat("  %-10s %-18s %10s", v.name.c_str(), v.type.empty() ? "(nothing found)" : v.type.c_str(),
                                   human(v.size_bytes).c_str());
      if (!v.label.empty()) line += "  LABEL=" + v.label;
      if (!v.uuid.empty()) line += "  UUID=" + v.uuid;
      if (auto at = disks::mounted_at(mounts, v.major, v.minor)) line += "  mounted at " + *at;
      if (!v.probe_problem.empty()) line += "  (" + v.probe_problem + ")";
      o.out += line + "\n";
    }
  }
  for (const auto& p : scan.problems) o.err += "rescue: disks: " + p + "\n";
  return kExitOk;
}

int cmd_fsck(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o) {
  std::string dev;
  bool repair = false, zero_log = false, btrfs_repair = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--help" || a == "-h") {
      o.out += kFsckHelp;
      return kExitOk;
    }
    if (a == "--repair") repair = true;
    else if (a == "--xfs-zero-log") zero_log = true;
    else if (a == "--btrfs-repair") btrfs_repair = true;
    else if (!a.empty() && a[0] != '-' && dev.empty()) dev = a;
    else {
      o.err += "rescue: fsck: unexpected argument '" + a + "'\n" + kFsckHelp;
      return kExitUsage;
    }
  }
  if (dev.empty()) {
    o.err += std::string("rescue: fsck: which filesystem?\n") + kFsckHelp;
    return kExitUsage;
  }
  const auto scan = disks::scan_disks(sys, disks::default_probers(sys));
  const disks::Volume* v = find_volume(scan, dev);
  if (!v) {
    o.err += "rescue: fsck: no filesystem '" + dev + "' (see rescue disks)\n";
    return kExitFailure;
  }
  FsckRequest req;
  req.mode = repair ? FsckMode::repair : FsckMode::check;
  req.mode_source = repair ? "rescue fsck --repair" : "rescue fsck";
  req.xfs_zero_log = zero_log;
  req.btrfs_repair = btrfs_repair;
  return fsck_volume(sys, *v, req, o);
}

int fsck_volume(sys::Sys& sys, const disks::Volume& vol, const FsckRequest& req, CliOutput& o) {
  const disks::Volume* v = &vol;
  if (auto at = disks::mounted_at(current_mounts(sys), v->major, v->minor)) {
    o.err += "rescue: fsck: " + v->path + " is mounted at " + *at +
             ": refusing to check a mounted filesystem (unmount it first: rescue umount)\n";
    return kExitFailure;
  }
  if (req.mode == FsckMode::repair) {  // an array or LV the boot brought up read-only
    if (std::string p = disks::make_writable(sys, disks::polling_runner(sys), v->name); !p.empty()) {
      o.err += "rescue: fsck: " + p + "\n";
      return kExitFailure;
    }
  }
  const disks::Tools tools = disks::find_fsck_tools(sys);
  (void)sys.mkdir_p("/run/lifeboat/fsck", 0755);

  disks::FsckInput in;
  in.name = v->name;
  in.device = v->path;
  in.type = v->type;
  in.mode = req.mode;
  in.mode_source = req.mode_source;
  in.xfs_zero_log = req.xfs_zero_log;
  in.btrfs_repair = req.btrfs_repair;
  in.replay_dir = disks::probe_dir("/run/lifeboat/probe", v->name);
  in.log_path = "/run/lifeboat/fsck/" + v->name + ".rescue.log";
  disks::FsckProgram prog(in, tools);
  auto step = prog.next(nullptr);
  while (!step.done) {
    if (step.needs_unmounted) {
      if (auto at = disks::mounted_at(current_mounts(sys), v->major, v->minor)) {
        prog.mounted(*at);
        break;
      }
    }
    if (!step.mkdir.empty()) (void)sys.mkdir_p(step.mkdir, 0700);
    auto res = run_one(sys, step, in.log_path);
    step = prog.next(&res);
  }
  const auto& out = prog.outcome();
  auto log = sys.read_file(in.log_path, 256 * 1024);
  if (log.ok()) o.out += log.value;
  for (const auto& n : out.notes) o.out += "note: " + n + "\n";
  o.out += "rescue: fsck: " + disks::outcome_line(v->name, v->type, out) + "\n";
  const bool good = out.state == disks::FsckState::clean || out.state == disks::FsckState::repaired;
  return good ? kExitOk : kExitFailure;
}

std::string disks_help() { return kDisksHelp; }
std::string fsck_help() { return kFsckHelp; }

}  // namespace lifeboat
