#include "disks/worker.h"

#include <fcntl.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "boot/cmdline.h"
#include "common/text.h"
#include "config/boot_options.h"
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

}  // namespace

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
    if (auto text = sys.read_file("/proc/cmdline", 64 * 1024); text.ok())
      opts = parse_boot_options(parse_cmdline(text.value)).options;  // PID 1 reported its errors
    log.set_debug(opts.debug);

    DisksContext ctx;
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
