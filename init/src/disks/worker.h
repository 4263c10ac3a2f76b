#pragma once
// The disk work runs outside PID 1, after `ready` (issue 10: the admin is never locked out).
//
// PID 1 (DiskWork) starts `/init __disks` once SSH and the consoles are up. That worker,
// an ordinary child in its own process group, runs the two steps of disks/step.h (detect,
// then check or repair by policy), prints its console lines itself (stderr is the console)
// and publishes its state in <run_dir>/disks.json (status.json's form: its "disks" section,
// its steps and errors, "disks_done", the "disk_work" section), rewritten atomically each
// time a volume changes state, then one byte on its stdout, a pipe PID 1 watches.
//
// PID 1 is the only writer of status.json: on each notification it reads disks.json
// (a tmpfs file of its own child, size-capped), merges it into its BootStatus and rewrites
// status.json and the login summary. When the worker ends, PID 1 prints
//   lifeboat: disks: done: <summary>
// after status.json holds the final state (so a script that saw the line can read it).
// A worker that dies without finishing is reported the same way ("failed: ...").
// PID 1 never opens a guest disk: the worker and its children do.
#include <functional>
#include <map>
#include <vector>
#include <string>

#include "boot/log.h"
#include "disks/fsck_policy.h"
#include "disks/probe.h"
#include "report/status.h"
#include "supervise/supervisor.h"
#include "sys/sys.h"

namespace lifeboat::disks {

// The worker: `init __disks`. Returns its exit code.
//
// It does not probe the disks itself either: each /sys/block entry is looked at by a
// child `init __probe NAME` (libblkid, libext2fs), all in parallel, each with
// lifeboat.probe_timeout (default 60 s). Their JSON output (disks/probe.h: scan_to_json)
// goes to <run_dir>/scan/NAME.json. A disk whose probe does not finish is reported
// ("probe timed out after N s") and left alone; the others go on.
int run_disks_worker(sys::Sys& sys) noexcept;

// The probe child: `init __probe NAME`. Prints the scan of that one disk as JSON.
int run_probe_child(sys::Sys& sys, const std::string& name) noexcept;

// Reads what probe children wrote (log files: "### lifeboat:" lines around the JSON) into
// one Scan, in `names` order; `results[i]` says how child i ended (pure but for the reads).
Scan collect_probes(sys::Sys& sys, const std::vector<std::string>& names, const std::vector<CmdResult>& results,
                    const std::string& dir, std::int64_t timeout_s, std::map<std::string, std::string>& stuck);

// Merges the worker's published state `worker` into PID 1's `status` (pure). `own_errors`
// is how many of status.errors are PID 1's own (the worker's follow them).
void merge_disk_status(BootStatus& status, std::size_t own_errors, const BootStatus& worker);

// The disk work's nice value (it and every child it starts: probes, LVM, fsck).
inline constexpr int kDiskWorkNice = 10;
// Its OOM score adjustment (inherited too): the OOM killer's first choice.
inline constexpr int kDiskWorkOomScoreAdj = 500;

// PID 1's side.
class DiskWork {
 public:
  // `publish` rewrites status.json and the login summary from `status`.
  DiskWork(sys::Sys& sys, Supervisor& sup, Log& log, BootStatus& status, std::function<void()> publish) noexcept
      : sys_(sys), sup_(sup), log_(log), status_(status), publish_(std::move(publish)) {}

  // Starts the worker (argv: `exe __disks`), its stderr on `console_fd`. On failure the
  // disk work is reported failed at once.
  void start(const std::string& exe, int console_fd) noexcept;
  bool finished() const noexcept { return finished_; }

 private:
  void on_ready() noexcept;
  void reload() noexcept;
  void finish(const std::string& why_failed) noexcept;

  sys::Sys& sys_;
  Supervisor& sup_;
  Log& log_;
  BootStatus& status_;
  std::function<void()> publish_;
  int read_fd_ = -1;
  pid_t pid_ = 0;
  std::size_t own_errors_ = 0;
  bool finished_ = false;
};

}  // namespace lifeboat::disks
