#include "disks/worker.h"

#include <fcntl.h>
#include <sys/wait.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "config/cmdline.h"
#include "boot/modules.h"
#include "boot/tools.h"
#include "common/text.h"
#include "config/boot_options.h"
#include "disks/parallel.h"
#include "disks/stack.h"
#include "disks/step.h"
#include "report/step_runner.h"

namespace lifeboat::disks {

namespace {

constexpr std::size_t kMaxDisksJson = 8 << 20;  // far above what any real scan writes

std::string disks_json_path() { return run_dir() + "/disks.json"; }

std::string disk_work_json(const std::string& state, std::size_t done, std::size_t total, const std::string& summary) {
  return nlohmann::json{{"state", state}, {"volumes_done", done}, {"volumes_total", total}, {"summary", summary}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string scan_dir() { return run_dir() + "/scan"; }

// The /sys/block entries worth a probe child (empty devices, such as idle loop and ram
// devices, need none; the loop device of the rescue tools is not the guest's), leaving out
// `seen`.
std::vector<std::string> probe_candidates(sys::Sys& sys, DisksContext& ctx, const std::vector<std::string>& seen,
                                          std::string& problem) {
  std::vector<std::string> names;
  for (const auto& n : block_names(sys, ctx.sys_block, problem)) {
    if (std::find(seen.begin(), seen.end(), n) != seen.end()) continue;
    auto size = sys.read_file(ctx.sys_block + "/" + n + "/size", 64);
    if (size.ok() && std::string(trim(size.value)) == "0") continue;
    auto backing = sys.read_file(ctx.sys_block + "/" + n + "/loop/backing_file", 4096);
    if (backing.ok() && is_tools_backing_file(backing.value)) continue;  // the rescue system's own
    names.push_back(n);
  }
  return names;
}

// One probe child per name, side by side, each with its time limit.
Scan probe_in_children(sys::Sys& sys, Log& log, DisksContext& ctx, const std::vector<std::string>& names) {
  if (auto st = sys.mkdir_p(scan_dir(), 0700); !st.ok()) {
    Scan s;
    s.problems.push_back(scan_dir() + ": " + sys::error_text(st.err));
    return s;
  }
  const std::int64_t timeout_s = ctx.options.probe_timeout_s;
  std::vector<CmdResult> results(names.size());
  std::vector<std::int64_t> started(names.size(), 0);
  ParallelHooks hooks;
  hooks.next = [&](std::size_t lane, const CmdResult* last) -> std::optional<Launch> {
    if (last) {
      results[lane] = *last;
      return std::nullopt;
    }
    (void)sys.unlink(scan_dir() + "/" + names[lane] + ".json");
    started[lane] = sys.monotonic_ms();
    Launch l;
    l.argv = {"/init", "__probe", names[lane]};
    l.env = sys::base_environment();
    l.log_path = scan_dir() + "/" + names[lane] + ".json";
    l.timeout_ms = timeout_s * 1000;
    return l;
  };
  hooks.progress = [&](std::size_t lane, std::int64_t now) {
    log.line(strformat("disks: %s: still probing (%lld s)", names[lane].c_str(),
                       static_cast<long long>((now - started[lane] + 500) / 1000)));
  };
  (void)run_parallel(sys, names.size(), hooks, ctx.parallel);
  return collect_probes(sys, names, results, scan_dir(), timeout_s, ctx.stuck);
}

void append_scan(Scan& to, Scan&& more) {
  for (auto& d : more.disks) to.disks.push_back(std::move(d));
  for (auto& v : more.volumes) to.volumes.push_back(std::move(v));
  for (auto& p : more.problems) to.problems.push_back(std::move(p));
  to.metadata_drives += more.metadata_drives;
}

// Probes every disk, then brings up what is stacked on them (md, then LVM, which may sit
// on md) and probes the devices that appeared.
Scan scan_in_children(sys::Sys& sys, Supervisor& sup, Log& log, DisksContext& ctx) {
  std::string problem;
  std::vector<std::string> seen = probe_candidates(sys, ctx, {}, problem);
  if (!problem.empty()) {
    Scan s;
    s.problems.push_back(problem);
    return s;
  }
  Scan scan = probe_in_children(sys, log, ctx, seen);
  const bool rw = stacks_rw(ctx.options);
  CommandRunner runner = supervisor_runner(sup);
  auto stage = [&](const char* what, const std::function<StackResult()>& bring_up) {
    log.line(strformat("disks: %s found: bringing it up %s", what, rw ? "read-write (repair mode)" : "read-only"));
    StackResult r = bring_up();
    for (const auto& l : r.lines) log.line("disks: " + l);
    for (const auto& p : r.problems) {
      log.line("disks: " + p);
      scan.problems.push_back(p);
    }
    std::string more_problem;
    std::vector<std::string> fresh = probe_candidates(sys, ctx, seen, more_problem);
    if (fresh.empty()) return;
    seen.insert(seen.end(), fresh.begin(), fresh.end());
    append_scan(scan, probe_in_children(sys, log, ctx, fresh));
  };
  if (auto mods = stack_modules(stack_needs(scan.volumes)); !mods.empty()) {
    std::string why;  // a kernel without modules (ours) has them built in: nothing to say
    load_named_modules(sys, log, mods, "/lib/modules", why);
  }
  if (stack_needs(scan.volumes).md && sup.pending_shutdown() == ShutdownKind::none)
    stage("md RAID", [&] { return bring_up_md(sys, runner, rw); });
  if (stack_needs(scan.volumes).lvm && sup.pending_shutdown() == ShutdownKind::none)
    stage("LVM", [&] { return bring_up_lvm(sys, runner, rw, ctx.sys_block); });
  return scan;
}

}  // namespace

Scan collect_probes(sys::Sys& sys, const std::vector<std::string>& names, const std::vector<CmdResult>& results,
                    const std::string& dir, std::int64_t timeout_s, std::map<std::string, std::string>& stuck) {
  Scan total;
  for (std::size_t i = 0; i < names.size() && i < results.size(); ++i) {
    const std::string& name = names[i];
    const CmdResult& r = results[i];
    if (r.kind == CmdResult::Kind::timed_out || r.kind == CmdResult::Kind::cancelled) {
      Disk d;
      d.name = name;
      d.path = "/dev/" + name;
      d.probe_problem = r.kind == CmdResult::Kind::cancelled
                            ? "probe cancelled (shutdown)"
                            : strformat("probe timed out after %lld s", static_cast<long long>(timeout_s));
      stuck[name] = d.probe_problem;
      total.problems.push_back(name + ": " + d.probe_problem + "; the disk is left alone (not protected, not checked)");
      total.disks.push_back(std::move(d));
      continue;
    }
    auto text = sys.read_file(dir + "/" + name + ".json", 4 << 20);
    std::string json;
    if (text.ok())
      for (auto line : split_lines(text.value))
        if (!line.starts_with("### lifeboat:") && !trim(line).empty()) json.append(line);
    Scan one;
    std::string error;
    if (!text.ok() || json.empty() || !scan_from_json(json, one, error)) {
      const std::string why = r.kind == CmdResult::Kind::exited && r.code == 0 ? (error.empty() ? "no output" : error)
                              : r.kind == CmdResult::Kind::exited ? strformat("exit status %d", r.code)
                              : r.kind == CmdResult::Kind::signaled ? strformat("killed by signal %d", r.code)
                                                                    : "could not run";
      total.problems.push_back(name + ": probe failed (" + why + "); see " + dir + "/" + name + ".json");
      continue;
    }
    for (auto& d : one.disks) total.disks.push_back(std::move(d));
    for (auto& v : one.volumes) total.volumes.push_back(std::move(v));
    for (auto& p : one.problems) total.problems.push_back(std::move(p));
    total.metadata_drives += one.metadata_drives;
  }
  return total;
}

int run_probe_child(sys::Sys& sys, const std::string& name) noexcept {
  try {
    Scan s = scan_disks(sys, default_probers(sys), "/sys/block", "/dev", name);
    return sys.write_all(1, scan_to_json(s) + "\n").ok() ? 0 : 1;
  } catch (...) {
    return 1;
  }
}

int run_disks_worker(sys::Sys& sys) noexcept {
  try {
    (void)sys.block_all_signals();  // SIGCHLD and SIGTERM through the signalfd, as in PID 1
    Log log(sys);
    log.attach_console(2);
    (void)log.attach_kmsg();
    log.end_early();
    BootStatus status;
    StepRunner steps(sys, log, status);
    Supervisor sup(sys, log);

    BootOptions opts;
    if (auto cmdline = read_cmdline(sys); cmdline.ok())
      opts = parse_boot_options(cmdline.value).options;  // PID 1 reported its errors
    log.set_debug(opts.debug);

    DisksContext ctx;
    ctx.scanner = [&](DisksContext& c) { return scan_in_children(sys, sup, log, c); };
    std::string state = "detecting";
    auto publish = [&]() {
      auto [done, total] = fsck_progress(ctx);
      std::string summary = state == "detecting" ? "" : fsck_summary(ctx.jobs);
      status.set_section("disk_work", disk_work_json(state, done, total, summary));
      status.set_section("disks", disks_json(ctx));
      status.disks_done = state == "done";
      if (sys.write_file_atomic(disks_json_path(), render_status_json(status), 0644).ok())
        (void)sys.write_all(1, "s");  // PID 1: reload
    };
    ctx.on_change = publish;
    publish();
    steps.run_step("disks", [&](StepContext& s) { detect_disks(sys, sup, steps, s, opts, ctx); });
    state = "checking";
    if (sup.pending_shutdown() == ShutdownKind::none)
      steps.run_step("fsck", [&](StepContext& s) { check_filesystems(sys, sup, log, steps, s, ctx); });
    state = "done";
    publish();
    return 0;
  } catch (...) {
    return 1;
  }
}

void merge_disk_status(BootStatus& status, std::size_t own_errors, const BootStatus& worker) {
  for (const auto& [name, text] : worker.sections)
    if (name == "disks" || name == "disk_work") status.set_section(name, text);
  for (const auto& ws : worker.steps) {
    bool replaced = false;
    for (auto& s : status.steps)
      if (s.name == ws.name) {
        s = ws;
        replaced = true;
      }
    if (!replaced) status.steps.push_back(ws);
  }
  if (status.errors.size() > own_errors) status.errors.resize(own_errors);
  status.errors.insert(status.errors.end(), worker.errors.begin(), worker.errors.end());
  status.disks_done = worker.disks_done;
}

void DiskWork::start(const std::string& exe, int console_fd) noexcept {
  own_errors_ = status_.errors.size();
  status_.set_section("disk_work", disk_work_json("starting", 0, 0, ""));
  auto p = sys_.pipe();
  if (!p.ok()) return finish(strformat("pipe: %s", sys::error_text(p.err)));
  sys::SpawnSpec spec;
  try {
    spec.argv = {exe, "__disks"};
    spec.env = sys::base_environment();
  } catch (...) {
    sys_.close_quietly(p.value.first);
    sys_.close_quietly(p.value.second);
    return finish("out of memory");
  }
  spec.cwd = "/";
  spec.new_process_group = true;  // a shutdown's kill(-1) reaches it; nothing else does
  // Behind the admin: the disk work (probes, stacks, checks; its children inherit this)
  // takes the CPU the shells and SSH leave, so a login or a repair session stays quick
  // while a long check runs. An idle VM gives it everything all the same.
  spec.nice = kDiskWorkNice;
  // In a small VM a big check can run out of memory: the kernel's OOM killer then takes the
  // check (reported as a failed check), not Dropbear or the admin's shell.
  spec.oom_score_adj = kDiskWorkOomScoreAdj;
  spec.stdout_fd = p.value.second;
  spec.stderr_fd = console_fd;
  auto pid = sys_.spawn(spec);
  sys_.close_quietly(p.value.second);
  if (!pid.ok()) {
    sys_.close_quietly(p.value.first);
    return finish(strformat("%s: %s", exe.c_str(), sys::error_text(pid.err)));
  }
  pid_ = pid.value;
  read_fd_ = p.value.first;
  try {
    sup_.watch(read_fd_, [this] { on_ready(); });
  } catch (...) {
    // Not watched: the status is read once when PID 1 next publishes; the checks still run.
  }
  if (publish_) publish_();
}

void DiskWork::on_ready() noexcept {
  char buf[256];
  bool eof = false;
  for (;;) {  // drain the notifications; their count does not matter
    auto n = sys_.read(read_fd_, buf, sizeof buf);
    if (!n.ok() && n.err == EINTR) continue;
    if (!n.ok() && (n.err == EAGAIN || n.err == EWOULDBLOCK)) break;
    if (!n.ok() || n.value == 0) {
      eof = true;
      break;
    }
  }
  reload();
  if (!eof) {
    if (publish_) publish_();
    return;
  }
  sup_.unwatch(read_fd_);
  sys_.close_quietly(read_fd_);
  read_fd_ = -1;
  finish(status_.disks_done ? "" : "the disk worker ended before finishing (see the console above)");
}

void DiskWork::reload() noexcept {
  try {
    auto text = sys_.read_file(disks_json_path(), kMaxDisksJson);
    if (!text.ok()) return;
    Error err;
    auto w = parse_status_json(text.value, err);
    if (w) merge_disk_status(status_, own_errors_, *w);
  } catch (...) {
  }
}

void DiskWork::finish(const std::string& why_failed) noexcept {
  if (finished_) return;
  finished_ = true;
  try {
    std::string line;
    if (why_failed.empty()) {
      // The summary the worker published with its last state.
      std::string summary = "nothing to check";
      for (const auto& [name, text] : status_.sections) {
        if (name != "disk_work") continue;
        auto j = nlohmann::json::parse(text, nullptr, false);
        if (j.is_object() && j.contains("summary") && j["summary"].is_string() && j["summary"] != "nothing")
          summary = j["summary"].get<std::string>();
      }
      line = "disks: done: " + summary;
    } else {
      status_.set_section("disk_work", disk_work_json("failed", 0, 0, why_failed));
      status_.errors.push_back(Error{"disks", "worker", why_failed, Severity::error});
      line = "disks: done: failed: " + why_failed;
    }
    status_.disks_done = true;
    if (publish_) publish_();
    log_.line(line);
  } catch (...) {
  }
}

}  // namespace lifeboat::disks
