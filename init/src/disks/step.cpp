#include "disks/step.h"

#include <fcntl.h>
#include <sys/mount.h>

#include <algorithm>
#include <set>
#include <nlohmann/json.hpp>

#include "config/cmdline.h"
#include "common/text.h"
#include "disks/stack.h"
#include "supervise/signals.h"

namespace lifeboat::disks {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxGuestFile = 64 * 1024;

json str_or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

// Read-only mount options that never replay a journal or log.
std::string probe_options(Family f) {
  const std::string no_replay = no_replay_option(f);
  return no_replay.empty() ? "" : "ro," + no_replay + ",nosuid,nodev,noexec";
}

// Mounts `v` read-only at `dir` (a child `mount`, with a timeout). False when it did not
// mount; a mount that timed out marks the disk stuck.
bool probe_mount(Supervisor& sup, const Volume& v, const std::string& opts, const std::string& dir, DisksContext& ctx) {
  RunSpec rs;
  rs.argv = {ctx.tools.mount, "-t", v.type, "-o", opts, v.path, dir};
  rs.timeout_ms = ctx.probe_mount_timeout_ms;
  rs.capture = Capture::string;
  rs.capture_limit = 4096;
  RunResult rr = sup.run(rs);
  if (rr.ok()) return true;
  // A probe mount that timed out may still complete later: the device cannot be trusted
  // to be unmounted, so it is not checked.
  if (rr.timed_out()) {
    ctx.busy[v.name] = "the read-only probe mount timed out";
    // The mount may still be in the kernel: PID 1 leaves this disk alone from now on.
    ctx.stuck[v.disk] = "probe mount timed out";
    if (ctx.guard) ctx.guard->forget(ctx.dev_dir + "/" + v.disk);
    ctx.problems.push_back(v.name + ": the read-only probe mount timed out; the disk is left read-only");
  }
  return false;
}

// Unmounts a probe mount; false (and the volume marked busy) when it stays.
bool probe_unmount(sys::Sys& sys, const Volume& v, const std::string& dir, DisksContext& ctx) {
  auto st = sys.umount2(dir, 0);
  if (st.ok()) return true;
  auto lazy = sys.umount2(dir, MNT_DETACH);
  ctx.busy[v.name] = strformat("the probe mount could not be undone (umount: %s%s)", sys::error_text(st.err),
                               lazy.ok() ? ", detached lazily" : "");
  ctx.problems.push_back(v.name + ": " + ctx.busy[v.name]);
  return false;
}

// A guest root at `dir` (the mounted volume, or a btrfs subvolume in it), if there is one.
// Every file is read inside the candidate's root (links resolved as the guest would),
// non-blocking, regular files only, size-capped: a FIFO or a device as os-release cannot
// hang this, a link cannot reach the rescue system.
std::optional<GuestRoot> guest_at(sys::Sys& sys, const Volume& v, const std::string& dir, DisksContext& ctx) {
  auto guest_file = [&](const char* path, std::string& problem) -> std::optional<std::string> {
    auto r = sys.read_guest_file(dir, path, kMaxGuestFile);
    if (r.ok()) return std::move(r.value);
    if (r.err != ENOENT)
      problem = strformat("%s: %s", path,
                          r.err == EINVAL ? "not a regular file" : r.err == EFBIG ? "larger than 64 KiB" : sys::error_text(r.err));
    return std::nullopt;
  };
  std::string fstab_problem, os_problem, lib_os_problem;
  auto fstab = guest_file("/etc/fstab", fstab_problem);
  auto os = guest_file("/etc/os-release", os_problem);
  if (!os) os = guest_file("/usr/lib/os-release", lib_os_problem);
  const bool has_fstab = fstab || !fstab_problem.empty();
  const bool has_os = os || !os_problem.empty() || !lib_os_problem.empty();
  if (!has_fstab || !has_os) return std::nullopt;
  GuestRoot gr;
  gr.volume = v.name;
  if (os) gr.os = parse_os_release(*os);
  gr.pretty_name = pretty_name(gr.os);
  for (const auto* p : {&os_problem, &lib_os_problem, &fstab_problem})
    if (!p->empty()) ctx.problems.push_back(v.name + ": " + *p);
  if (fstab) {
    FstabParse fp = parse_fstab(*fstab);
    gr.fstab = std::move(fp.entries);
    for (const auto& e : fp.errors) ctx.problems.push_back(v.name + ": /etc/fstab: " + e.field + ": " + e.message);
  }
  return gr;
}

// Mounts `v` read-only, looks for a guest root there, unmounts. On btrfs, when the
// default subvolume holds none, the top level (subvolid=5) is mounted and each directory
// or subvolume in it is looked at (Fedora's "root", Ubuntu's "@"). Returns the guest.
std::optional<GuestRoot> probe_guest(sys::Sys& sys, Supervisor& sup, const Volume& v, DisksContext& ctx) {
  const Family f = family_of(v.type);
  const std::string opts = probe_options(f);
  if (opts.empty() || ctx.tools.mount.empty()) return std::nullopt;
  if (v.ext && v.ext->primary_damaged) return std::nullopt;  // the kernel would refuse it anyway
  const std::string dir = probe_dir(ctx.probe_base, v.name);
  if (auto st = sys.mkdir_p(dir, 0700); !st.ok()) {
    ctx.problems.push_back(dir + ": " + sys::error_text(st.err));
    return std::nullopt;
  }
  if (!probe_mount(sup, v, opts, dir, ctx)) return std::nullopt;
  std::optional<GuestRoot> g = guest_at(sys, v, dir, ctx);
  if (!probe_unmount(sys, v, dir, ctx) || g || f != Family::btrfs) return g;
  if (!probe_mount(sup, v, opts + ",subvolid=5", dir, ctx)) return std::nullopt;
  for (const auto& name : subvol_candidates(sys, dir))
    if ((g = guest_at(sys, v, dir + "/" + name, ctx))) {
      g->subvol = name;
      break;
    }
  probe_unmount(sys, v, dir, ctx);
  return g;
}

std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string s;
  for (const auto& p : parts) s += (s.empty() ? "" : sep) + p;
  return s;
}

const char* kind_name(CmdResult::Kind k) {
  switch (k) {
    case CmdResult::Kind::exited: return "exited";
    case CmdResult::Kind::signaled: return "signaled";
    case CmdResult::Kind::timed_out: return "timed-out";
    case CmdResult::Kind::spawn_failed: return "spawn-failed";
    case CmdResult::Kind::cancelled: return "cancelled";
    default: return "lost";
  }
}

}  // namespace

std::string scan_summary(const Scan& scan) {
  std::map<std::string, int> types;
  for (const auto& v : scan.volumes) types[v.type.empty() ? "empty" : v.type]++;
  std::string s = strformat("%zu disk%s, %zu volume%s", scan.disks.size(), scan.disks.size() == 1 ? "" : "s",
                            scan.volumes.size(), scan.volumes.size() == 1 ? "" : "s");
  if (!types.empty()) {
    std::vector<std::string> parts;
    for (const auto& [t, n] : types) parts.push_back(strformat("%d %s", n, t.c_str()));
    s += " (" + join(parts, ", ") + ")";
  }
  return s;
}

std::string fsck_summary(const std::vector<FsckProgram>& jobs) {
  static const FsckState order[] = {FsckState::clean,         FsckState::errors_found, FsckState::repaired,
                                    FsckState::repair_failed, FsckState::timed_out,    FsckState::skipped};
  std::vector<std::string> parts;
  for (FsckState s : order) {
    std::size_t n = 0;
    for (const auto& j : jobs) n += j.outcome().state == s ? 1 : 0;
    if (n) parts.push_back(strformat("%zu %s", n, to_string(s)));
  }
  return parts.empty() ? "nothing" : join(parts, ", ");
}

std::pair<std::size_t, std::size_t> fsck_progress(const DisksContext& ctx) {
  std::size_t done = 0;
  for (std::size_t i = 0; i < ctx.jobs.size(); ++i) done += ctx.jobs[i].done() ? 1 : 0;
  return {done, ctx.scan.volumes.size()};
}

namespace {
void notify(DisksContext& ctx) {
  if (!ctx.on_change) return;
  try {
    ctx.on_change();
  } catch (...) {
  }
}
}  // namespace

void detect_disks(sys::Sys& sys, Supervisor& sup, StepRunner& steps, StepContext& step, const BootOptions& opts,
                  DisksContext& ctx) {
  // Policy first: the fsck step needs it even if the scan finds nothing.
  auto cmdline = read_cmdline(sys, ctx.proc_cmdline);
  if (!cmdline.ok()) ctx.problems.push_back(ctx.proc_cmdline + ": " + sys::error_text(cmdline.err));
  auto parsed = parse_disks_options(cmdline.ok() ? cmdline.value : Cmdline{}, opts.fsck);
  ctx.options = parsed.options;
  steps.report_errors(parsed.errors);

  ctx.tools = find_fsck_tools(sys);
  for (const char* t : {"vgchange", "mdadm", "cryptsetup", "swapon"}) ctx.hint_tools[t] = !find_tool(sys, t).empty();

  if (ctx.scanner) {
    ctx.scan = ctx.scanner(ctx);
  } else {
    if (!ctx.probers) ctx.probers = default_probers(sys);
    ctx.scan = scan_disks(sys, *ctx.probers, ctx.sys_block, ctx.dev_dir);
  }
  ctx.scanned = true;
  for (const auto& p : ctx.scan.problems) ctx.problems.push_back(p);

  // Members of an array, a VG or a LUKS mapping that came up: their content is checked
  // through the stacked device (and they are never mounted).
  std::map<std::string, const Volume*> holder_of;  // member volume -> the stacked volume on it
  for (const auto& holder : ctx.scan.volumes)
    for (const auto& s : holder.slaves) holder_of.emplace(s, &holder);
  for (const auto& [member, holder] : holder_of)
    if (!ctx.busy.count(member))
      ctx.busy[member] =
          "part of " + holder->name + (holder->stack.empty() ? "" : " (" + holder->stack + ")") + ": checked there";

  std::vector<VolumeIds> ids;
  for (const auto& v : ctx.scan.volumes) ids.push_back(VolumeIds{v.name, v.uuid, v.label});
  steps.report_errors(unmatched_overrides(ctx.options, ids));

  if (ctx.scan.disks.empty()) {
    steps.status().set_section("disks", disks_json(ctx));
    std::string why = "no guest disks";
    if (ctx.scan.metadata_drives) why += strformat(" (%zu metadata drive%s left out)", ctx.scan.metadata_drives,
                                                   ctx.scan.metadata_drives == 1 ? "" : "s");
    return step.skip(why);
  }

  // From here on nothing may write to a guest disk: the kernel refuses it.
  if (ctx.protect_disks) {
    ctx.guard = std::make_unique<ReadOnlyGuard>(sys);
    // A disk whose probe never finished is not opened again. With stacks brought up
    // read-write (repair mode), the disks under them stay writable: md would turn an
    // array read-only with a read-only member.
    std::set<std::string> stacked_on;
    if (stacks_rw(ctx.options))
      for (const auto& u : ctx.scan.volumes)
        if (holder_of.count(u.name)) stacked_on.insert(u.disk);
    std::vector<Disk> reachable;
    for (const auto& d : ctx.scan.disks)
      if (!ctx.stuck.count(d.name) && !stacked_on.count(d.name)) reachable.push_back(d);
    std::string p = ctx.guard->protect(reachable);
    if (!p.empty()) ctx.problems.push_back("read-only protection: " + p);
  }

  // Filesystems already mounted (not at boot, but `rescue` may run later) are not probed.
  std::vector<MountInfo> mounts;
  if (auto mi = sys.read_file(ctx.mountinfo, 1 << 20); mi.ok()) mounts = parse_mountinfo(mi.value);

  for (const auto& v : ctx.scan.volumes) {
    if (mounted_at(mounts, v.major, v.minor)) continue;
    if (ctx.guard && !ctx.guard->is_protected(ctx.dev_dir + "/" + v.disk)) continue;  // never mount what could be written
    if (ctx.stuck.count(v.disk)) continue;
    if (auto g = probe_guest(sys, sup, v, ctx)) ctx.guests.push_back(std::move(*g));
  }
  for (auto& g : ctx.guests) {
    g.matches.clear();
    for (const auto& e : g.fstab) g.matches.push_back(resolve_spec(e.spec, ctx.scan.volumes));
  }

  // Stack members nothing was brought up from: tell the admin what to run.
  for (const auto& v : ctx.scan.volumes) {
    Hint h = hint_for(v.type, v.path);
    if (h.command.empty() || family_of(v.type) == Family::swap || holder_of.count(v.name)) continue;
    const bool have = ctx.hint_tools.count(h.tool) && ctx.hint_tools.at(h.tool);
    steps.report_error(Error{"disks", v.name, h.what + ": " + h.command + (have ? "" : " (" + h.tool + " is not in this image)"),
                             Severity::warning});
  }

  std::string detail = scan_summary(ctx.scan);
  if (!ctx.guests.empty()) {
    const auto& g = ctx.guests.front();
    detail += "; guest " + (g.pretty_name.empty() ? std::string("(no PRETTY_NAME)") : g.pretty_name) + " on " + g.volume;
    if (ctx.guests.size() > 1) detail += strformat(" (+%zu more)", ctx.guests.size() - 1);
  } else {
    detail += "; no guest root found";
  }
  if (!ctx.problems.empty()) detail += strformat("; %zu problem%s (status.json)", ctx.problems.size(), ctx.problems.size() == 1 ? "" : "s");
  steps.status().set_section("disks", disks_json(ctx));
  notify(ctx);
  step.note(detail);
}

void check_filesystems(sys::Sys& sys, Supervisor& sup, Log& log, StepRunner& steps, StepContext& step,
                       DisksContext& ctx) {
  struct Restore {  // every disk gets its read-only state back, whatever happens
    DisksContext& c;
    ~Restore() {
      if (c.guard) {
        std::string p = c.guard->restore_all();
        if (!p.empty()) {
          try {
            c.problems.push_back("restoring read-only state: " + p);
          } catch (...) {
          }
        }
      }
    }
  } restore{ctx};
  if (!ctx.scanned) return step.skip("no disk scan");
  if (ctx.scan.volumes.empty()) return step.skip("no guest filesystems");
  const std::int64_t t0 = sys.monotonic_ms();
  if (auto st = sys.mkdir_p(ctx.fsck_dir, 0700); !st.ok()) ctx.problems.push_back(ctx.fsck_dir + ": " + sys::error_text(st.err));

  ctx.jobs.clear();
  std::vector<JobKey> keys;
  for (const auto& v : ctx.scan.volumes) {
    FsckInput in;
    in.name = v.name;
    in.device = v.path;
    in.type = v.type;
    ModeChoice mc = resolve_mode(ctx.options, VolumeIds{v.name, v.uuid, v.label});
    in.mode = mc.mode;
    in.mode_source = mc.source;
    in.xfs_zero_log = ctx.options.xfs_zero_log;
    in.btrfs_repair = ctx.options.btrfs_repair;
    in.timeout_s = ctx.options.timeout_s;
    in.replay_dir = probe_dir(ctx.probe_base, v.name);
    in.log_path = ctx.fsck_dir + "/" + probe_dir("", v.name).substr(1) + ".log";
    ctx.jobs.emplace_back(std::move(in), ctx.tools);
    keys.push_back(JobKey{v.disk, v.partno});
  }
  std::vector<Lane> lanes = plan_lanes(keys);
  ctx.lanes = lanes.size();
  notify(ctx);  // every volume pending

  // Disks with repair work become writable again; the others stay read-only.
  if (ctx.guard) {
    for (const auto& lane : lanes) {
      bool repair = false;
      for (std::size_t j : lane.jobs) {
        const Volume& v = ctx.scan.volumes[j];
        const Family f = family_of(v.type);
        const bool has_checker = f == Family::ext || f == Family::xfs || f == Family::vfat ||
                                 (f == Family::btrfs && ctx.options.btrfs_repair);
        repair = repair || (ctx.jobs[j].input().mode == FsckMode::repair && has_checker && !ctx.busy.count(v.name));
      }
      if (!repair) continue;
      std::string p = ctx.guard->restore(ctx.dev_dir + "/" + lane.disk);
      if (!p.empty()) ctx.problems.push_back("cannot make writable for repair: " + p);
    }
  }

  struct LaneState {
    std::size_t pos = 0;
    bool started = false;
    std::int64_t deadline = 0;
  };
  std::vector<LaneState> ls(lanes.size());
  const std::int64_t budget_ms = ctx.options.timeout_s * 1000;
  const std::vector<std::string>& markers = fsck_markers();
  const std::vector<std::string> env = sys::base_environment();

  std::vector<std::string> log_problems;  // fsck logs that could not be written
  std::set<std::size_t>& running = ctx.running;
  auto job_done = [&](std::size_t j) {
    FsckOutcome& o = ctx.jobs[j].outcome();
    o.ended_ms = sys.monotonic_ms();
    const Volume& v = ctx.scan.volumes[j];
    log.line("fsck: " + outcome_line(v.name, v.type, o));
    if (o.state != FsckState::skipped || !o.commands.empty()) {
      std::string tail = "### lifeboat: result: " + outcome_line(v.name, v.type, o) + "\n";
      auto fd = sys.open(o.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
      bool ok = fd.ok();
      if (ok) {
        ok = sys.write_all(fd.value, tail).ok();
        ok = sys.close(fd.value).ok() && ok;
      }
      if (!ok) log_problems.push_back(o.log_path);
    }
  };

  ParallelHooks hooks;
  hooks.next = [&](std::size_t lane, const CmdResult* last) -> std::optional<Launch> {
    LaneState& st = ls[lane];
    const Lane& L = lanes[lane];
    if (last && last->abandoned && !ctx.stuck.count(L.disk)) {
      // A killed child still stuck in the kernel holds the disk: PID 1 must not open it
      // again (the open would wait for it), so it stays read-only and gets no more work.
      ctx.stuck[L.disk] = last->kind == CmdResult::Kind::timed_out ? "timed out" : "cancelled";
      if (ctx.guard) ctx.guard->forget(ctx.dev_dir + "/" + L.disk);
      ctx.problems.push_back(strformat("%s: a killed checker did not exit (stuck in the kernel); the disk is left "
                                       "read-only: blockdev --setrw %s/%s once it is gone",
                                       L.disk.c_str(), ctx.dev_dir.c_str(), L.disk.c_str()));
    }
    while (st.pos < L.jobs.size()) {
      const std::size_t j = L.jobs[st.pos];
      FsckProgram& prog = ctx.jobs[j];
      const Volume& v = ctx.scan.volumes[j];
      const std::int64_t now = sys.monotonic_ms();
      if (!st.started) {
        st.started = true;
        st.deadline = now + budget_ms;
        prog.outcome().started_ms = now;
        last = nullptr;
        if (auto b = ctx.busy.find(v.name); b != ctx.busy.end() && prog.input().mode != FsckMode::off)
          prog.end(FsckState::skipped, b->second);
      }
      FsckStep s = prog.next(last);
      last = nullptr;
      if (!s.done && s.needs_unmounted) {
        auto mi = sys.read_file(ctx.mountinfo, 1 << 20);
        if (!mi.ok()) {
          prog.end(FsckState::skipped, ctx.mountinfo + ": " + sys::error_text(mi.err) + ": cannot prove it is unmounted");
          s.done = true;
        } else if (auto where = mounted_at(parse_mountinfo(mi.value), v.major, v.minor)) {
          prog.mounted(*where);
          s.done = true;
        }
      }
      if (!s.done && ctx.stuck.count(L.disk)) {  // a later partition of the same disk
        prog.end(FsckState::skipped, "not checked: a killed checker that did not exit holds the disk");
        s.done = true;
      }
      if (!s.done && now >= st.deadline) {
        prog.end(FsckState::timed_out, strformat("time budget of %lld s used up", static_cast<long long>(ctx.options.timeout_s)));
        s.done = true;
      }
      if (s.done) {
        job_done(j);
        ++st.pos;
        st.started = false;
        continue;
      }
      if (!s.mkdir.empty()) {
        if (auto md = sys.mkdir_p(s.mkdir, 0700); !md.ok())  // the mount then fails and says so
          ctx.problems.push_back(s.mkdir + ": " + sys::error_text(md.err));
      }
      const bool first = prog.outcome().commands.empty();
      if (first) {  // first command of this job: a fresh log
        auto wf = sys.write_file(prog.outcome().log_path,
                                 strformat("### lifeboat: %s (%s), mode %s (%s)\n", v.path.c_str(), v.type.c_str(),
                                           to_string(prog.input().mode), prog.input().mode_source.c_str()),
                                 0600);
        if (!wf.ok()) log_problems.push_back(prog.outcome().log_path);
      }
      Launch l;
      l.argv = s.argv;
      l.env = env;
      l.log_path = prog.outcome().log_path;
      l.timeout_ms = std::max<std::int64_t>(1, st.deadline - now);
      l.markers = markers;
      if (first) {
        running.insert(j);
        notify(ctx);  // pending -> running
      }
      return l;
    }
    return std::nullopt;
  };
  hooks.progress = [&](std::size_t lane, std::int64_t now) {
    const LaneState& st = ls[lane];
    const Lane& L = lanes[lane];
    if (st.pos >= L.jobs.size()) return;
    const std::size_t j = L.jobs[st.pos];
    const FsckProgram& prog = ctx.jobs[j];
    const long long secs = (now - prog.outcome().started_ms + 500) / 1000;
    log.line(strformat("fsck: %s: still %s (%lld s)", ctx.scan.volumes[j].name.c_str(),
                       prog.input().mode == FsckMode::repair ? "repairing" : "checking", secs));
  };
  hooks.on_signal = [&](int signo) {
    ShutdownKind k = shutdown_for_signal(signo);
    if (k == ShutdownKind::none) return false;
    log.info("signal %d: %s requested: stopping the filesystem checks", signo, to_string(k));
    sup.request_shutdown(k);  // acted on when the boot returns to the supervisor's loop
    return true;
  };

  ctx.stats = run_parallel(sys, lanes.size(), hooks, ctx.parallel);
  if (!log_problems.empty() || ctx.stats.log_errors)
    ctx.problems.push_back(strformat("fsck logs: %zu write(s) failed (first: %s)", log_problems.size() + ctx.stats.log_errors,
                                     log_problems.empty() ? "in the runner" : log_problems.front().c_str()));
  ctx.checked = true;
  ctx.fsck_ms = sys.monotonic_ms() - t0;
  // Jobs a broken lane never finished (out of memory in the runner) still get a state.
  for (std::size_t j = 0; j < ctx.jobs.size(); ++j) {
    if (ctx.jobs[j].done()) continue;
    ctx.jobs[j].end(FsckState::skipped, "not run (internal error)");
    job_done(j);
  }
  std::string p = ctx.guard ? ctx.guard->restore_all() : "";
  if (!p.empty()) ctx.problems.push_back("restoring read-only state: " + p);
  steps.status().set_section("disks", disks_json(ctx));
  std::string detail = std::string("mode ") + to_string(ctx.options.mode) + ": " + fsck_summary(ctx.jobs);
  if (ctx.stats.cancelled) detail += "; interrupted by a shutdown request";
  step.note(detail);
}

std::string disks_json(const DisksContext& ctx) {
  json root = json::object();
  json overrides = json::object();
  for (const auto& o : ctx.options.overrides) overrides[o.target] = to_string(o.mode);
  root["policy"] = json{{"mode", to_string(ctx.options.mode)},
                        {"timeout_s", ctx.options.timeout_s},
                        {"xfs_zero_log", ctx.options.xfs_zero_log},
                        {"btrfs_repair", ctx.options.btrfs_repair},
                        {"overrides", overrides}};
  root["tools"] = json{{"e2fsck", str_or_null(ctx.tools.e2fsck)},   {"xfs_repair", str_or_null(ctx.tools.xfs_repair)},
                       {"fsck.vfat", str_or_null(ctx.tools.fsck_vfat)}, {"btrfs", str_or_null(ctx.tools.btrfs)},
                       {"libblkid", have_blkid()},                      {"libext2fs", have_ext2fs()}};
  json disks = json::array();
  for (const auto& d : ctx.scan.disks) {
    json vols = json::array();
    for (const auto& v : ctx.scan.volumes)
      if (v.disk == d.name) vols.push_back(v.name);
    disks.push_back(json{{"name", d.name},
                         {"path", d.path},
                         {"major", d.major},
                         {"minor", d.minor},
                         {"size_bytes", d.size_bytes},
                         {"read_only", d.read_only},
                         {"removable", d.removable},
                         {"model", str_or_null(d.model)},
                         {"table", str_or_null(d.table)},
                         {"table_uuid", str_or_null(d.table_uuid)},
                         {"problem", str_or_null(d.probe_problem)},
                         {"volumes", vols}});
  }
  root["disks"] = disks;

  json volumes = json::array();
  for (std::size_t i = 0; i < ctx.scan.volumes.size(); ++i) {
    const Volume& v = ctx.scan.volumes[i];
    json j{{"name", v.name},
           {"path", v.path},
           {"disk", v.disk},
           {"partno", v.partno},
           {"major", v.major},
           {"minor", v.minor},
           {"size_bytes", v.size_bytes},
           {"start_sector", v.start_sector},
           {"partlabel", str_or_null(v.partlabel)},
           {"partuuid", str_or_null(v.partuuid)},
           {"parttype", str_or_null(v.parttype)},
           {"type", str_or_null(v.type)},
           {"uuid", str_or_null(v.uuid)},
           {"label", str_or_null(v.label)},
           {"usage", str_or_null(v.usage)},
           {"version", str_or_null(v.version)},
           {"problem", str_or_null(v.probe_problem)}};
    if (!v.stack.empty()) j["stack"] = json{{"what", v.stack}, {"on", v.slaves}, {"aliases", v.aliases}};
    if (v.ext) {
      const ExtState& e = *v.ext;
      json ej{{"read", e.read}, {"error", str_or_null(e.error)}};
      if (e.read) {
        ej["state"] = e.state_name();
        ej["needs_recovery"] = e.needs_recovery;
        ej["orphans"] = e.orphans;
        ej["has_journal"] = e.has_journal;
        ej["mount_count"] = e.mount_count;
        ej["max_mount_count"] = e.max_mount_count;
        ej["last_check_epoch"] = e.last_check;
        ej["last_check"] = e.last_check ? json(iso_utc(e.last_check)) : json(nullptr);
        ej["error_count"] = e.error_count;
        ej["block_size"] = e.block_size;
        ej["kind"] = e.kind;
        ej["primary_superblock"] = e.primary_damaged ? "damaged" : "ok";
        if (e.primary_damaged) ej["backup_block"] = e.backup_block;
      }
      j["ext"] = ej;
    }
    Hint h = hint_for(v.type, v.path);
    if (!h.what.empty()) {
      bool have = !h.tool.empty() && ctx.hint_tools.count(h.tool) && ctx.hint_tools.at(h.tool);
      j["hint"] = json{{"what", h.what}, {"command", str_or_null(h.command)}, {"tool_in_image", have}};
    }
    json fst = json::array();
    for (const auto& g : ctx.guests)
      for (std::size_t k = 0; k < g.fstab.size() && k < g.matches.size(); ++k)
        if (g.matches[k].volume && *g.matches[k].volume == v.name)
          fst.push_back(json{{"guest", g.volume}, {"mountpoint", g.fstab[k].mountpoint}, {"spec", g.fstab[k].spec},
                             {"type", g.fstab[k].type}});
    j["fstab"] = fst;
    if (i < ctx.jobs.size() && !ctx.jobs[i].done()) {
      j["fsck"] = json{{"state", ctx.running.count(i) ? "running" : "pending"},
                       {"mode", to_string(ctx.jobs[i].input().mode)}};
    } else if (i >= ctx.jobs.size() && !ctx.checked) {
      j["fsck"] = json{{"state", "pending"}};
    } else if (i < ctx.jobs.size()) {
      const FsckOutcome& o = ctx.jobs[i].outcome();
      json cmds = json::array();
      for (const auto& c : o.commands)
        cmds.push_back(json{{"argv", c.argv}, {"purpose", c.purpose}, {"result", kind_name(c.kind)}, {"code", c.code},
                            {"duration_ms", c.duration_ms}});
      j["fsck"] = json{{"state", to_string(o.state)},
                       {"mode", to_string(o.mode)},
                       {"mode_from", o.mode_source},
                       {"reason", str_or_null(o.reason)},
                       {"notes", o.notes},
                       {"tool", str_or_null(o.tool)},
                       {"argv", o.argv},
                       {"exit_code", o.exit_code >= 0 ? json(o.exit_code) : json(nullptr)},
                       {"log", o.commands.empty() ? json(nullptr) : json(o.log_path)},
                       {"started_ms", o.started_ms},
                       {"ended_ms", o.ended_ms},
                       {"duration_ms", o.ended_ms - o.started_ms},
                       {"commands", cmds}};
    }
    volumes.push_back(std::move(j));
  }
  root["volumes"] = volumes;

  json guests = json::array();
  for (const auto& g : ctx.guests) {
    json entries = json::array();
    for (std::size_t k = 0; k < g.fstab.size(); ++k) {
      const FstabEntry& e = g.fstab[k];
      const SpecMatch* m = k < g.matches.size() ? &g.matches[k] : nullptr;
      entries.push_back(json{{"line", e.line},
                             {"spec", e.spec},
                             {"mountpoint", e.mountpoint},
                             {"type", e.type},
                             {"options", e.options},
                             {"passno", e.passno},
                             {"volume", m && m->volume ? json(*m->volume) : json(nullptr)},
                             {"note", m ? str_or_null(m->note) : json(nullptr)}});
    }
    auto get = [&](const char* k) { auto it = g.os.find(k); return it == g.os.end() ? json(nullptr) : json(it->second); };
    guests.push_back(json{{"volume", g.volume},
                          {"subvol", str_or_null(g.subvol)},
                          {"pretty_name", str_or_null(g.pretty_name)},
                          {"id", get("ID")},
                          {"version_id", get("VERSION_ID")},
                          {"fstab", entries}});
  }
  root["guests"] = guests;
  root["problems"] = ctx.problems;
  root["metadata_drives_left_out"] = ctx.scan.metadata_drives;
  if (ctx.checked) {
    root["fsck_ms"] = ctx.fsck_ms;
    root["parallel"] = json{{"lanes", ctx.lanes}, {"max_running", ctx.stats.max_running}, {"commands", ctx.stats.commands}};
  }
  return root.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace lifeboat::disks
