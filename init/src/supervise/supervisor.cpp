#include "supervise/supervisor.h"

#include <fcntl.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <limits>

#include "common/text.h"

namespace lifeboat {

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return strformat("exit status %d", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return strformat("killed by signal %d", WTERMSIG(status));
  return strformat("wait status 0x%x", status);
}

void Supervisor::watch(int fd, std::function<void()> on_ready) {
  if (fd < 0) return;
  watches_[fd] = std::move(on_ready);
}

void Supervisor::unwatch(int fd) noexcept { watches_.erase(fd); }

std::vector<int> Supervisor::wait_fds(int extra_fd) const noexcept {
  std::vector<int> fds;
  try {
    if (extra_fd >= 0) fds.push_back(extra_fd);
    for (const auto& [fd, h] : watches_) fds.push_back(fd);
  } catch (...) {
  }
  return fds;
}

void Supervisor::dispatch_ready(const std::vector<int>& ready) noexcept {
  for (int fd : ready) {
    auto it = watches_.find(fd);
    if (it == watches_.end()) continue;
    try {
      auto handler = it->second;  // a copy: the handler may unwatch itself
      handler();
    } catch (...) {
      log_.info("watched fd %d: handler failed; no longer watched", fd);
      watches_.erase(fd);
    }
  }
}

void Supervisor::changed() noexcept {
  if (!on_change_) return;
  try {
    on_change_();
  } catch (...) {
  }
}

// One console line per restart, at most kRestartLinesPerWindow per window; the rest are
// counted and summed up when the next window opens.
void Supervisor::restart_line(ServiceState& s, const std::string& what, std::int64_t delay) noexcept {
  const std::int64_t now = sys_.monotonic_ms();
  try {
    if (s.window_start_ms == 0 || now - s.window_start_ms >= kRestartWindowMs) {
      if (s.suppressed > 0)
        log_.info("service %s: %d more restart(s) not shown (%d starts in all; last: %s)", s.spec.name.c_str(),
                  s.suppressed, s.starts, describe_wait_status(s.last_status).c_str());
      s.window_start_ms = now;
      s.lines_in_window = 0;
      s.suppressed = 0;
    }
    if (s.lines_in_window < kRestartLinesPerWindow) {
      ++s.lines_in_window;
      log_.info("service %s: %s; restarting in %lld ms%s", s.spec.name.c_str(), what.c_str(),
                static_cast<long long>(delay),
                s.lines_in_window == kRestartLinesPerWindow ? " (further restarts this minute are not shown)" : "");
    } else {
      ++s.suppressed;
      log_.debug("service %s: %s; restarting in %lld ms", s.spec.name.c_str(), what.c_str(), static_cast<long long>(delay));
    }
  } catch (...) {
  }
}

std::string RunResult::describe() const {
  switch (kind) {
    case Kind::exited: return strformat("exit status %d", code);
    case Kind::signaled: return strformat("killed by signal %d", code);
    case Kind::timed_out: return strformat("timed out after %lld ms", static_cast<long long>(duration_ms));
    default: return strformat("spawn: %s", sys::error_text(code));
  }
}

std::size_t Supervisor::add_service(ServiceSpec spec) {
  ServiceState st;
  st.backoff = Backoff(spec.backoff);
  st.spec = std::move(spec);
  services_.push_back(std::move(st));
  if (started_ && !stopped_) start_service(services_.back());
  return services_.size() - 1;
}

void Supervisor::start_services() noexcept {
  started_ = true;
  // A shutdown requested during the boot goes first: nothing is started for it to stop
  // (resume_services() starts them if the shutdown cannot finish).
  if (stopped_ || pending_ != ShutdownKind::none) return;
  for (auto& s : services_) {
    if (s.pid == 0 && s.starts == 0) start_service(s);  // the others follow their backoff
  }
}

void Supervisor::start_now(std::size_t index) noexcept {
  if (index >= services_.size() || stopped_ || pending_ != ShutdownKind::none) return;
  auto& s = services_[index];
  if (s.pid == 0 && s.starts == 0) start_service(s);
}

bool Supervisor::replace_service(std::size_t index, ServiceSpec spec, int grace_ms) noexcept {
  if (index >= services_.size()) return false;
  const pid_t old = services_[index].pid;
  if (old > 0) {
    services_[index].replacing = true;
    // reap() may run other exits' handlers; services_ is not resized by them.
    for (int sig : {SIGTERM, SIGKILL}) {
      (void)sys_.kill(old, sig);
      const std::int64_t start = sys_.monotonic_ms();
      for (;;) {
        reap();
        if (services_[index].pid != old || sys_.monotonic_ms() - start >= grace_ms) break;
        sys_.sleep_ms(5);
      }
      if (services_[index].pid != old) break;
    }
    if (services_[index].pid == old) {
      services_[index].replacing = false;
      log_.info("service %s: still running after SIGKILL; kept as it was", services_[index].spec.name.c_str());
      return false;
    }
  }
  auto& s = services_[index];
  s.replacing = false;
  s.spec = std::move(spec);
  s.backoff = Backoff(s.spec.backoff);
  log_.debug("service %s: restarting with new settings", s.spec.name.c_str());
  if (!stopped_ && pending_ == ShutdownKind::none) start_service(s);
  return true;
}

void Supervisor::stop_services() noexcept { stopped_ = true; }

void Supervisor::resume_services() noexcept {
  stopped_ = false;
  const std::int64_t now = sys_.monotonic_ms();
  for (auto& s : services_) {
    if (s.pid == 0) s.next_start_ms = now;
  }
  start_due_services();
}

void Supervisor::start_service(ServiceState& s) noexcept {
  const std::int64_t now = sys_.monotonic_ms();
  auto pid = sys_.spawn(s.spec.spawn);
  ++s.starts;
  s.started_ms = now;
  if (pid.ok()) {
    s.pid = pid.value;
    log_.debug("service %s: started (pid %d)", s.spec.name.c_str(), static_cast<int>(pid.value));
    changed();
    return;
  }
  s.pid = 0;
  const std::int64_t delay = s.backoff.next_delay(0);
  s.next_start_ms = now + delay;
  restart_line(s, strformat("%s: %s", s.spec.spawn.argv.empty() ? "?" : s.spec.spawn.argv[0].c_str(),
                            sys::error_text(pid.err)),
               delay);
  changed();
}

void Supervisor::on_child_exit(pid_t pid, int status) noexcept {
  if (oneshot_running_.erase(pid)) {
    try {
      oneshot_exited_[pid] = status;
    } catch (...) {
    }
    return;
  }
  for (auto& s : services_) {
    if (s.pid != pid) continue;
    s.pid = 0;
    s.last_status = status;
    const std::int64_t now = sys_.monotonic_ms();
    s.last_exit_ms = now;
    if (stopped_ || s.replacing) return;
    const std::int64_t delay = s.backoff.next_delay(now - s.started_ms);
    s.next_start_ms = now + delay;
    try {
      restart_line(s, describe_wait_status(status), delay);
    } catch (...) {
    }
    changed();
    return;
  }
  // An orphan re-parented to PID 1: reaping it was the whole job.
}

bool Supervisor::reap() noexcept {
  for (;;) {
    auto w = sys_.waitpid(-1, WNOHANG);
    if (!w.ok()) return w.err == ECHILD;
    if (w.value.pid <= 0) return false;  // children left, none exited
    on_child_exit(w.value.pid, w.value.status);
  }
}

void Supervisor::request_shutdown(ShutdownKind k) noexcept {
  if (k == ShutdownKind::none) return;
  if (pending_ == ShutdownKind::none) pending_ = k;
}

void Supervisor::handle_event(const sys::Event& ev) noexcept {
  if (ev.signo == 0) return;
  if (ev.signo == SIGCHLD) {
    reap();
    return;
  }
  const ShutdownKind k = shutdown_for_signal(ev.signo);
  if (k != ShutdownKind::none) {
    log_.info("signal %d from pid %d: %s", ev.signo, static_cast<int>(ev.sender), to_string(k));
    request_shutdown(k);
    return;
  }
  log_.debug("signal %d from pid %d: ignored", ev.signo, static_cast<int>(ev.sender));
}

void Supervisor::start_due_services() noexcept {
  if (!started_ || stopped_) return;
  const std::int64_t now = sys_.monotonic_ms();
  for (auto& s : services_) {
    if (s.pid == 0 && now >= s.next_start_ms) start_service(s);
  }
}

int Supervisor::wait_budget(int max_wait_ms) noexcept {
  std::int64_t budget = max_wait_ms < 0 ? std::numeric_limits<int>::max() : max_wait_ms;
  if (started_ && !stopped_) {
    const std::int64_t now = sys_.monotonic_ms();
    for (const auto& s : services_) {
      if (s.pid == 0) budget = std::min(budget, std::max<std::int64_t>(0, s.next_start_ms - now));
    }
  }
  if (budget >= std::numeric_limits<int>::max()) return -1;
  return static_cast<int>(budget);
}

void Supervisor::maybe_shutdown() noexcept {
  if (pending_ == ShutdownKind::none || run_depth_ > 0) return;
  const ShutdownKind k = pending_;
  pending_ = ShutdownKind::none;
  if (!shutdown_handler_) {
    log_.info("shutdown (%s) requested, but no handler is installed", to_string(k));
    return;
  }
  try {
    shutdown_handler_(k);  // normally ends in reboot(2) and never returns
  } catch (...) {
    log_.info("shutdown (%s): unexpected exception", to_string(k));
  }
}

void Supervisor::poll(int max_wait_ms) noexcept {
  maybe_shutdown();  // a request queued while we were busy elsewhere
  auto ev = sys_.wait_events(wait_budget(max_wait_ms), wait_fds(-1));
  if (ev.ok()) {
    handle_event(ev.value);
    dispatch_ready(ev.value.ready);
  } else {
    sys_.sleep_ms(100);  // never spin if the signalfd is broken
  }
  reap();                   // cheap, and covers a lost SIGCHLD
  start_due_services();
  maybe_shutdown();
}

void Supervisor::run_forever() noexcept {
  for (;;) poll(-1);
}

void Supervisor::signal_tree(pid_t pid, int sig) noexcept {
  // The child leads its own process group: signal the group, else the child alone.
  auto st = sys_.kill(-pid, sig);
  if (st.ok()) return;
  st = sys_.kill(pid, sig);
  if (!st.ok() && st.err != ESRCH)
    log_.info("kill %d (signal %d): %s", static_cast<int>(pid), sig, sys::error_text(st.err));
}

sys::Result<pid_t> Supervisor::spawn_oneshot(const RunSpec& spec, int& read_fd) noexcept {
  read_fd = -1;
  if (spec.argv.empty()) return sys::Result<pid_t>::failure(EINVAL);
  int out_fd = -1;
  bool close_out = false;
  switch (spec.capture) {
    case Capture::inherit: out_fd = 1; break;
    case Capture::null: break;
    case Capture::file: {
      auto fd = sys_.open(spec.capture_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0600);
      if (!fd.ok()) return sys::Result<pid_t>::failure(fd.err);
      out_fd = fd.value;
      close_out = true;
      break;
    }
    case Capture::string: {
      auto p = sys_.pipe();
      if (!p.ok()) return sys::Result<pid_t>::failure(p.err);
      read_fd = p.value.first;
      out_fd = p.value.second;
      close_out = true;
      break;
    }
  }

  sys::SpawnSpec ss;
  try {
    ss.argv = spec.argv;
    ss.env = spec.env;
    ss.cwd = spec.cwd;
  } catch (...) {
    if (close_out) sys_.close_quietly(out_fd);  // the child's end
    if (read_fd >= 0) sys_.close_quietly(read_fd);
    read_fd = -1;
    return sys::Result<pid_t>::failure(ENOMEM);
  }
  ss.new_process_group = true;  // so a timeout can take the whole tree down
  ss.stdin_fd = spec.stdin_fd;
  ss.nice = spec.nice;
  ss.stdout_fd = out_fd;
  ss.stderr_fd = spec.capture == Capture::inherit ? 2 : out_fd;

  auto pid = sys_.spawn(ss);
  if (close_out) sys_.close_quietly(out_fd);  // the child's end
  if (!pid.ok()) {
    if (read_fd >= 0) sys_.close_quietly(read_fd);
    read_fd = -1;
    return pid;
  }
  try {
    oneshot_running_.insert(pid.value);
  } catch (...) {
  }
  return pid;
}

RunResult Supervisor::run(const RunSpec& spec) noexcept {
  RunResult res;
  const std::int64_t start = sys_.monotonic_ms();
  int read_fd = -1;
  auto pid = spawn_oneshot(spec, read_fd);
  if (!pid.ok()) {
    res.code = pid.err;
    res.duration_ms = sys_.monotonic_ms() - start;
    return res;
  }
  const pid_t child = pid.value;
  ++run_depth_;

  auto drain = [&]() noexcept {
    if (read_fd < 0) return;
    char buf[4096];
    for (;;) {
      auto n = sys_.read(read_fd, buf, sizeof buf);
      if (!n.ok()) {
        if (n.err == EINTR) continue;
        if (n.err == EAGAIN || n.err == EWOULDBLOCK) return;
      }
      if (!n.ok() || n.value == 0) {  // EOF or a real error: done with the pipe
        sys_.close_quietly(read_fd);
        read_fd = -1;
        return;
      }
      std::size_t room = spec.capture_limit > res.output.size() ? spec.capture_limit - res.output.size() : 0;
      if (n.value > room) res.output_truncated = true;
      try {
        res.output.append(buf, std::min(room, n.value));
      } catch (...) {
        res.output_truncated = true;
      }
    }
  };

  RunResult waited = wait_oneshot(child, spec, start, read_fd, [&](int& fd) {
    read_fd = fd;
    drain();
    fd = read_fd;
  });
  waited.output = std::move(res.output);
  waited.output_truncated = res.output_truncated;
  return waited;
}

RunResult Supervisor::wait_oneshot(pid_t child, const RunSpec& spec, std::int64_t start, int read_fd,
                                   const std::function<void(int&)>& drain_fd) noexcept {
  RunResult res;
  auto drain = [&]() noexcept {
    if (read_fd >= 0) drain_fd(read_fd);
  };
  enum class Phase { running, terminating, killed } phase = Phase::running;
  std::int64_t deadline = spec.timeout_ms > 0 ? start + spec.timeout_ms : -1;
  bool done = false;
  int status = 0;
  for (;;) {
    if (auto it = oneshot_exited_.find(child); it != oneshot_exited_.end()) {
      status = it->second;
      oneshot_exited_.erase(it);
      done = true;
      break;
    }
    const std::int64_t now = sys_.monotonic_ms();
    if (deadline >= 0 && now >= deadline) {
      if (phase == Phase::running) {
        signal_tree(child, SIGTERM);
        phase = Phase::terminating;
        deadline = now + spec.kill_grace_ms;
      } else if (phase == Phase::terminating) {
        signal_tree(child, SIGKILL);
        phase = Phase::killed;
        deadline = now + 5000;  // SIGKILL is not instant for a process stuck in the kernel
      } else {
        log_.info("run %s: pid %d did not die after SIGKILL; leaving it to the reaper",
                  spec.argv[0].c_str(), static_cast<int>(child));
        oneshot_running_.erase(child);
        break;
      }
      continue;
    }
    int wait = deadline >= 0 ? static_cast<int>(std::max<std::int64_t>(1, deadline - now)) : -1;
    auto ev = sys_.wait_events(wait_budget(wait), wait_fds(read_fd));
    if (!ev.ok()) sys_.sleep_ms(10);
    else {
      if (read_fd >= 0 && std::find(ev.value.ready.begin(), ev.value.ready.end(), read_fd) != ev.value.ready.end())
        drain();
      handle_event(ev.value);
      dispatch_ready(ev.value.ready);
    }
    reap();
    start_due_services();
  }
  drain();  // what the child wrote last (non-blocking: a grandchild may hold the pipe)
  if (read_fd >= 0) sys_.close_quietly(read_fd);
  --run_depth_;

  res.duration_ms = sys_.monotonic_ms() - start;
  if (phase != Phase::running || !done) {
    res.kind = RunResult::Kind::timed_out;
    res.code = 0;
  } else if (WIFEXITED(status)) {
    res.kind = RunResult::Kind::exited;
    res.code = WEXITSTATUS(status);
  } else {
    res.kind = RunResult::Kind::signaled;
    res.code = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  }
  return res;
}

Supervisor::Pending Supervisor::start(const RunSpec& spec) noexcept {
  Pending p;
  p.started_ms = sys_.monotonic_ms();
  if (spec.capture == Capture::string) {  // nobody would drain the pipe meanwhile
    p.err = EINVAL;
    return p;
  }
  try {
    p.spec = spec;
  } catch (...) {
    p.err = ENOMEM;
    return p;
  }
  int read_fd = -1;  // stays -1 without Capture::string
  auto pid = spawn_oneshot(spec, read_fd);
  if (!pid.ok()) {
    p.err = pid.err;
    return p;
  }
  p.pid = pid.value;
  return p;
}

RunResult Supervisor::finish(Pending& p) noexcept {
  RunResult res;
  if (p.pid < 0) {
    res.code = p.err ? p.err : EINVAL;
    return res;
  }
  ++run_depth_;
  res = wait_oneshot(p.pid, p.spec, p.started_ms, -1, [](int&) {});
  p.pid = -1;
  return res;
}

}  // namespace lifeboat
