#pragma once
// PID 1's one signal loop (tini / dinit style) and the children it looks after.
//
// Signals. PID 1 blocks every signal at start and reads them from a signalfd, so there
// are no signal handlers and no work in signal context. Children get an empty mask and
// default dispositions before exec (sys::Sys::spawn). Meanings (BusyBox init):
//   SIGUSR1 = halt, SIGUSR2 = poweroff, SIGTERM = reboot,
//   SIGINT  = ctrl-alt-del (reboot(RB_DISABLE_CAD) makes the kernel send it) = reboot,
//   SIGCHLD = reap: waitpid(-1, WNOHANG) until nothing is left,
//   SIGHUP and all others: ignored.
//   `kill -9 1` does nothing: the kernel never delivers SIGKILL to PID 1 from user space,
//   and nothing here changes that.
// A shutdown signal that arrives while a one-shot run() is in progress is queued and
// acted on when run() returns to the loop.
//
// Services: long-lived children (a shell per console, dropbear), each in its own
// session, respawned when they exit with backoff (0.5 s doubling to 10 s, reset after
// 30 s of uptime). A service in a crash loop costs the console at most
// kRestartLinesPerWindow lines per kRestartWindowMs; the rest are counted and summed up
// in one line when the window ends. Restart counts and the last exit are in services()
// (status.json "services", refreshed through the on_change hook).
//
// Watched fds: watch(fd, handler) adds an fd to the loop's wait (pipes from the disks
// worker and from Dropbear's log, the power button's input device); the handler runs
// in the loop whenever the fd is readable or hung up.
//
//   Supervisor sup(sys, log);
//   ServiceSpec s; s.name = "dropbear"; s.spawn.argv = {"/usr/sbin/dropbear", "-F"};
//   s.spawn.env = sys::base_environment(); s.spawn.new_session = true;
//   sup.add_service(std::move(s));            // starts now if services are running
//
// One-shots: fsck, udhcpc, ... via run(): exit status or "timed out" (SIGTERM to its
// process group at the timeout, SIGKILL ~2 s later), while other children keep being
// reaped and respawned.
//
//   RunSpec r; r.argv = {"/sbin/e2fsck", "-p", "/dev/vda1"}; r.timeout_ms = 60000;
//   r.capture = Capture::string;
//   RunResult res = sup.run(r);   if (!res.ok()) ... res.describe(), res.output
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "boot/log.h"
#include "supervise/backoff.h"
#include "supervise/signals.h"
#include "sys/sys.h"

namespace lifeboat {

struct ServiceSpec {
  std::string name;
  sys::SpawnSpec spawn;
  BackoffParams backoff{};
};

struct ServiceState {
  ServiceSpec spec;
  pid_t pid = 0;                   // 0: not running
  std::int64_t started_ms = 0;     // when the current/last instance started
  std::int64_t next_start_ms = 0;  // when to (re)start if not running
  int starts = 0;                  // how many times it was started
  int last_status = 0;             // waitpid status of the last exit
  std::int64_t last_exit_ms = 0;   // when it last exited (0: never)
  bool replacing = false;          // stopped by replace_service(): its exit is no crash
  Backoff backoff;
  // Console rate limit for restart lines.
  std::int64_t window_start_ms = 0;
  int lines_in_window = 0;
  int suppressed = 0;
};

constexpr int kRestartLinesPerWindow = 3;
constexpr std::int64_t kRestartWindowMs = 60000;

// "exit status 1", "killed by signal 9"
std::string describe_wait_status(int status);

enum class Capture {
  inherit,  // the child writes to PID 1's stdout/stderr (the console)
  null,     // /dev/null
  file,     // stdout+stderr to RunSpec::capture_path (created/truncated, 0600)
  string,   // stdout+stderr into RunResult::output (up to capture_limit bytes)
};

struct RunSpec {
  std::vector<std::string> argv;
  std::vector<std::string> env = sys::base_environment();
  std::string cwd = "/";
  std::int64_t timeout_ms = 0;  // 0: no timeout
  std::int64_t kill_grace_ms = 2000;
  Capture capture = Capture::null;
  std::string capture_path;
  std::size_t capture_limit = 64 * 1024;
  int stdin_fd = -1;  // the child's stdin (-1: /dev/null); the caller keeps and closes it
  int nice = 0;       // setpriority() before exec (best effort)
};

struct RunResult {
  enum class Kind { exited, signaled, timed_out, spawn_failed };
  Kind kind = Kind::spawn_failed;
  int code = 0;  // exit code, signal number or errno (spawn_failed)
  std::string output;
  bool output_truncated = false;
  std::int64_t duration_ms = 0;

  bool ok() const noexcept { return kind == Kind::exited && code == 0; }
  bool timed_out() const noexcept { return kind == Kind::timed_out; }
  // "exit status 3", "killed by signal 9", "timed out after 200 ms", "spawn: No such file..."
  std::string describe() const;
};

class Supervisor {
 public:
  using ShutdownHandler = std::function<void(ShutdownKind)>;

  Supervisor(sys::Sys& sys, Log& log) noexcept : sys_(sys), log_(log) {}
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Registers a long-lived child. Started by start_services(), or at once if that
  // already happened. Returns its index in services().
  std::size_t add_service(ServiceSpec spec);
  void start_services() noexcept;
  // Starts the service at `index` ahead of start_services() (Dropbear listens before the
  // consoles and the boot's status are set up). Nothing if it already started, or once a
  // shutdown is pending.
  void start_now(std::size_t index) noexcept;
  // Gives the service at `index` a new spec (Dropbear on another port, or with password
  // login now on): a running instance gets SIGTERM (its own process, not its group:
  // Dropbear's sessions carry on), is waited for (SIGKILL after `grace_ms`), and the new
  // spec starts at once, as a change, not as a crash with backoff. Returns false when the
  // old instance could not be stopped (then the old spec stays).
  bool replace_service(std::size_t index, ServiceSpec spec, int grace_ms = 1000) noexcept;
  // No more (re)starts: for the shutdown sequence.
  void stop_services() noexcept;
  // Undo stop_services() (a shutdown that could not finish): start what is not running.
  void resume_services() noexcept;
  bool services_started() const noexcept { return started_; }
  const std::vector<ServiceState>& services() const noexcept { return services_; }

  // Runs a one-shot child to completion (or timeout).
  RunResult run(const RunSpec& spec) noexcept;

  // A one-shot started now and collected later with finish(), so that PID 1 can do other
  // work meanwhile (host keys made while the modules load). Its exit is booked by the loop
  // like run()'s; the timeout counts from start(). Output: Capture::null or file only.
  struct Pending {
    pid_t pid = -1;   // -1: the start failed (err says why)
    int err = 0;
    std::int64_t started_ms = 0;
    RunSpec spec;
  };
  Pending start(const RunSpec& spec) noexcept;
  RunResult finish(Pending& p) noexcept;

  // Adds fd to the loop's wait; `on_ready` runs (in the loop) whenever it is readable or
  // hung up. The handler may unwatch its own fd. One handler per fd.
  void watch(int fd, std::function<void()> on_ready);
  void unwatch(int fd) noexcept;
  // Called after a service started, exited or was given up on (status refresh).
  void set_on_change(std::function<void()> f) noexcept { on_change_ = std::move(f); }

  // Called when a shutdown signal is taken from the queue (outside run()).
  void set_shutdown_handler(ShutdownHandler h) noexcept { shutdown_handler_ = std::move(h); }
  void request_shutdown(ShutdownKind k) noexcept;
  ShutdownKind pending_shutdown() const noexcept { return pending_; }

  // One round of the loop: wait up to max_wait_ms (<0: until something happens) for a
  // signal or a respawn deadline, handle it, start due services, act on a queued shutdown.
  void poll(int max_wait_ms) noexcept;
  // The loop itself. Never returns.
  [[noreturn]] void run_forever() noexcept;

  // waitpid(-1, WNOHANG) until nothing is left; dispatches exits to services/one-shots.
  // Returns true when no child at all is left (ECHILD).
  bool reap() noexcept;

 private:
  void handle_event(const sys::Event& ev) noexcept;
  void on_child_exit(pid_t pid, int status) noexcept;
  void start_service(ServiceState& s) noexcept;
  void start_due_services() noexcept;
  int wait_budget(int max_wait_ms) noexcept;
  void maybe_shutdown() noexcept;
  void signal_tree(pid_t pid, int sig) noexcept;
  std::vector<int> wait_fds(int extra_fd) const noexcept;
  void dispatch_ready(const std::vector<int>& ready) noexcept;
  void changed() noexcept;
  void restart_line(ServiceState& s, const std::string& what, std::int64_t delay) noexcept;
  // Spawns a one-shot as run() and start() do (its own process group, output as spec.capture
  // says; read_fd: the pipe's read end for Capture::string) and books it as running.
  sys::Result<pid_t> spawn_oneshot(const RunSpec& spec, int& read_fd) noexcept;
  RunResult wait_oneshot(pid_t child, const RunSpec& spec, std::int64_t start, int read_fd,
                         const std::function<void(int&)>& drain) noexcept;

  sys::Sys& sys_;
  Log& log_;
  std::vector<ServiceState> services_;
  bool started_ = false;
  bool stopped_ = false;
  int run_depth_ = 0;
  ShutdownKind pending_ = ShutdownKind::none;
  ShutdownHandler shutdown_handler_;
  std::set<pid_t> oneshot_running_;
  std::map<pid_t, int> oneshot_exited_;  // pid -> waitpid status
  std::map<int, std::function<void()>> watches_;
  std::function<void()> on_change_;
};

}  // namespace lifeboat
