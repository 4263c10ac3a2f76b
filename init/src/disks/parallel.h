#pragma once
// Runs one-shot children in parallel lanes: the commands of one lane in series, the lanes
// side by side (at most max_parallel at once). The disks step uses one lane per disk.
//
// Every child: its own process group, stdout+stderr appended to Launch::log_path (between
// a "### lifeboat: command N: ..." header and a "### lifeboat: ..." footer), a timeout:
// SIGTERM to its process group, SIGKILL kill_grace_ms later, and if even that does not end
// it within kill_wait_ms (a process stuck in the kernel), it is given up on (the
// supervisor's reaper collects it whenever it dies).
//
// Reaping: only waitpid(<our pid>, WNOHANG), never waitpid(-1): other children of PID 1
// (services, orphans) are left to the supervisor. Signals read while waiting: SIGCHLD
// just wakes the loop; anything else goes to hooks.on_signal, which may cancel the rest
// (a shutdown request): running children are terminated, nothing new starts.
//
// The Sys layer only (FakeSys drives it in unit tests).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "disks/fsck_policy.h"
#include "sys/sys.h"

namespace lifeboat::disks {

struct Launch {
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string log_path;          // "" : output to /dev/null
  std::int64_t timeout_ms = 0;   // 0: none
  std::vector<std::string> markers;  // looked for in this command's output (CmdResult::markers)
};

struct ParallelHooks {
  // The next command of `lane` after `last` (nullptr: the lane's first). nullopt: the lane is done.
  std::function<std::optional<Launch>(std::size_t lane, const CmdResult* last)> next;
  // Called about every progress_every_ms while a lane's command runs.
  std::function<void(std::size_t lane, std::int64_t now_ms)> progress;
  // A signal other than SIGCHLD arrived. Return true to cancel the remaining work.
  std::function<bool(int signo)> on_signal;
};

struct ParallelOptions {
  std::size_t max_parallel = 16;
  std::int64_t progress_every_ms = 10000;
  std::int64_t kill_grace_ms = 2000;
  std::int64_t kill_wait_ms = 5000;
  std::int64_t max_wait_ms = 500;  // poll children at least this often
};

struct ParallelStats {
  std::size_t commands = 0;
  std::size_t max_running = 0;  // the most children running at once
  std::size_t log_errors = 0;   // log file opens/writes that failed (the output went nowhere)
  bool cancelled = false;
};

ParallelStats run_parallel(sys::Sys& sys, std::size_t lanes, const ParallelHooks& hooks,
                           const ParallelOptions& options = {}) noexcept;

// Looks for each of `markers` in the text of `path` that follows the first occurrence of
// `after` (the whole file when `after` is empty). Streams the file: any size.
std::vector<bool> scan_file(sys::Sys& sys, const std::string& path, const std::string& after,
                            const std::vector<std::string>& markers) noexcept;

}  // namespace lifeboat::disks
