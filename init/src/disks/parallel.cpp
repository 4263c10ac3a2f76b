#include "disks/parallel.h"

#include <fcntl.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <csignal>

#include <memory>

#include "common/bounded_log.h"
#include "common/text.h"

namespace lifeboat::disks {

namespace {

enum class Phase { running, terminating, killed };

struct Active {
  std::size_t lane = 0;
  pid_t pid = 0;
  std::int64_t started = 0;
  std::int64_t deadline = -1;  // -1: none
  std::int64_t next_progress = 0;
  Phase phase = Phase::running;
  bool cancelling = false;  // terminated because of a cancel, not a timeout
  std::string header;
  std::string log_path;
  std::vector<std::string> markers;
  int read_fd = -1;                  // the child's stdout+stderr
  std::unique_ptr<BoundedLog> log;   // where it goes (head + tail kept)
  MarkerScan scan;                   // markers, over the whole stream
};

constexpr std::size_t kDrainPerWake = 256 * 1024;  // keeps the loop responsive to a flood

std::string join_argv(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

class Runner {
 public:
  Runner(sys::Sys& sys, std::size_t lanes, const ParallelHooks& hooks, const ParallelOptions& opt)
      : sys_(sys), lanes_(lanes), hooks_(hooks), opt_(opt) {}

  ParallelStats run() {
    std::size_t next_lane = 0;
    for (;;) {
      while (next_lane < lanes_ && active_.size() < std::max<std::size_t>(1, opt_.max_parallel))
        advance(next_lane++, nullptr);
      if (active_.empty()) {
        if (next_lane >= lanes_) break;
        continue;
      }
      wait_once();
      reap();
      enforce_deadlines();
    }
    return stats_;
  }

 private:
  void append(const std::string& path, const std::string& text) {
    if (path.empty()) return;
    auto fd = sys_.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
    if (!fd.ok()) {
      ++stats_.log_errors;
      return;
    }
    if (!sys_.write_all(fd.value, text).ok()) ++stats_.log_errors;
    if (!sys_.close(fd.value).ok()) ++stats_.log_errors;
  }

  // Asks the lane for its next command and starts it; loops over refusals (cancelled,
  // spawn failures) until something runs or the lane is done.
  void advance(std::size_t lane, const CmdResult* last) {
    CmdResult local;
    for (;;) {
      std::optional<Launch> l;
      try {
        l = hooks_.next ? hooks_.next(lane, last) : std::nullopt;
      } catch (...) {
        l = std::nullopt;  // a lane whose planner throws is finished
      }
      if (!l) return;
      if (cancelled_) {
        local = CmdResult{CmdResult::Kind::cancelled, 0, 0, {}};
        local.markers.assign(l->markers.size(), false);
        last = &local;
        continue;
      }
      if (start(lane, *l, local)) return;
      last = &local;  // spawn failed
    }
  }

  bool start(std::size_t lane, const Launch& l, CmdResult& failed) {
    ++stats_.commands;
    const std::int64_t now = sys_.monotonic_ms();
    std::string header;
    try {
      header = strformat("### lifeboat: command %zu: %s\n", stats_.commands, join_argv(l.argv).c_str());
    } catch (...) {
    }
    int read_fd = -1, write_fd = -1;
    if (!l.log_path.empty()) {
      append(l.log_path, header);
      auto p = sys_.pipe();  // read end non-blocking, both close-on-exec
      if (p.ok()) {
        read_fd = p.value.first;
        write_fd = p.value.second;
      } else {
        ++stats_.log_errors;  // the child still runs, its output goes to /dev/null
      }
    }
    sys::SpawnSpec ss;
    try {
      ss.argv = l.argv;
      ss.env = l.env;
      ss.cwd = "/";
    } catch (...) {
      if (read_fd >= 0) sys_.close_quietly(read_fd);
      if (write_fd >= 0) sys_.close_quietly(write_fd);
      failed = CmdResult{CmdResult::Kind::spawn_failed, ENOMEM, 0, {}};
      failed.markers.assign(l.markers.size(), false);
      return false;
    }
    ss.new_process_group = true;
    ss.stdout_fd = write_fd;
    ss.stderr_fd = write_fd;
    auto pid = sys_.spawn(ss);
    if (write_fd >= 0) sys_.close_quietly(write_fd);  // the child has its own copy
    if (!pid.ok()) {
      if (read_fd >= 0) sys_.close_quietly(read_fd);
      append(l.log_path, strformat("### lifeboat: could not start: %s\n", sys::error_text(pid.err)));
      failed = CmdResult{CmdResult::Kind::spawn_failed, pid.err, 0, {}};
      failed.markers.assign(l.markers.size(), false);
      return false;
    }
    Active a;
    a.lane = lane;
    a.pid = pid.value;
    a.started = now;
    a.deadline = l.timeout_ms > 0 ? now + l.timeout_ms : -1;
    a.next_progress = now + opt_.progress_every_ms;
    a.header = std::move(header);
    a.log_path = l.log_path;
    a.markers = l.markers;
    a.read_fd = read_fd;
    if (read_fd >= 0) a.log = std::make_unique<BoundedLog>(sys_, l.log_path);
    a.scan = MarkerScan(l.markers);
    active_.push_back(std::move(a));
    stats_.max_running = std::max(stats_.max_running, active_.size());
    return true;
  }

  void wait_once() {
    const std::int64_t now = sys_.monotonic_ms();
    std::int64_t budget = opt_.max_wait_ms;
    for (const auto& a : active_) {
      if (a.deadline >= 0) budget = std::min(budget, a.deadline - now);
      if (hooks_.progress) budget = std::min(budget, a.next_progress - now);
    }
    budget = std::max<std::int64_t>(1, budget);
    std::vector<int> fds;
    for (const auto& a : active_)
      if (a.read_fd >= 0) fds.push_back(a.read_fd);
    auto ev = sys_.wait_events(static_cast<int>(budget), fds);
    if (!ev.ok()) {
      sys_.sleep_ms(10);  // never spin on a broken signalfd
      return;
    }
    for (int fd : ev.value.ready)
      for (auto& a : active_)
        if (a.read_fd == fd) drain(a, kDrainPerWake);
    if (ev.value.signo != 0 && ev.value.signo != SIGCHLD && hooks_.on_signal) {
      bool cancel = false;
      try {
        cancel = hooks_.on_signal(ev.value.signo);
      } catch (...) {
      }
      if (cancel && !cancelled_) cancel_all();
    }
  }

  void cancel_all() {
    cancelled_ = true;
    stats_.cancelled = true;
    const std::int64_t now = sys_.monotonic_ms();
    for (auto& a : active_) {
      if (a.phase != Phase::running) continue;
      a.cancelling = true;
      signal_group(a.pid, SIGTERM);
      a.phase = Phase::terminating;
      a.deadline = now + opt_.kill_grace_ms;
    }
  }

  void signal_group(pid_t pid, int sig) {
    if (sys_.kill(-pid, sig).ok()) return;
    (void)sys_.kill(pid, sig);
  }

  // Reads what the child wrote (non-blocking), up to `budget` bytes, into its log and the
  // marker scan. EOF or an error closes the pipe.
  void drain(Active& a, std::size_t budget) {
    char buf[16384];
    std::size_t done = 0;
    while (a.read_fd >= 0 && done < budget) {
      auto n = sys_.read(a.read_fd, buf, sizeof buf);
      if (!n.ok() && n.err == EINTR) continue;
      if (!n.ok() && (n.err == EAGAIN || n.err == EWOULDBLOCK)) return;
      if (!n.ok() || n.value == 0) {
        sys_.close_quietly(a.read_fd);
        a.read_fd = -1;
        return;
      }
      std::string_view chunk(buf, n.value);
      if (a.log) a.log->write(chunk);
      a.scan.feed(chunk);
      done += n.value;
    }
  }

  void finish(std::size_t index, CmdResult res) {
    Active a = std::move(active_[index]);
    active_.erase(active_.begin() + static_cast<std::ptrdiff_t>(index));
    // What it wrote last; a grandchild may hold the pipe open, so no waiting for EOF.
    drain(a, 64 * kDrainPerWake);
    if (a.read_fd >= 0) sys_.close_quietly(a.read_fd);
    a.read_fd = -1;
    if (a.log) {
      a.log->finish();
      stats_.log_errors += a.log->errors();
    }
    res.duration_ms = sys_.monotonic_ms() - a.started;
    std::string footer;
    switch (res.kind) {
      case CmdResult::Kind::exited: footer = strformat("exit status %d", res.code); break;
      case CmdResult::Kind::signaled: footer = strformat("killed by signal %d", res.code); break;
      case CmdResult::Kind::timed_out: footer = "timed out: killed"; break;
      case CmdResult::Kind::cancelled: footer = "cancelled: killed"; break;
      default: footer = "exit status lost"; break;
    }
    append(a.log_path, strformat("### lifeboat: %s after %lld ms\n", footer.c_str(), static_cast<long long>(res.duration_ms)));
    res.markers = a.scan.found();
    res.markers.resize(a.markers.size(), false);
    advance(a.lane, &res);
  }

  void reap() {
    for (std::size_t i = 0; i < active_.size();) {
      auto w = sys_.waitpid(active_[i].pid, WNOHANG);
      CmdResult res;
      if (!w.ok()) {
        if (w.err == EINTR) continue;
        res.kind = CmdResult::Kind::lost;  // ECHILD: someone else reaped it
      } else if (w.value.pid != active_[i].pid) {
        ++i;
        continue;
      } else {
        const int st = w.value.status;
        if (active_[i].phase != Phase::running) {
          res.kind = active_[i].cancelling ? CmdResult::Kind::cancelled : CmdResult::Kind::timed_out;
          res.code = 1;
        } else if (WIFEXITED(st)) {
          res.kind = CmdResult::Kind::exited;
          res.code = WEXITSTATUS(st);
        } else {
          res.kind = CmdResult::Kind::signaled;
          res.code = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
        }
      }
      finish(i, std::move(res));  // may append new children at the end: i stays valid
    }
  }

  void enforce_deadlines() {
    const std::int64_t now = sys_.monotonic_ms();
    for (std::size_t i = 0; i < active_.size();) {
      Active& a = active_[i];
      if (hooks_.progress && a.phase == Phase::running && now >= a.next_progress) {
        a.next_progress += opt_.progress_every_ms;
        if (a.next_progress <= now) a.next_progress = now + opt_.progress_every_ms;
        try {
          hooks_.progress(a.lane, now);
        } catch (...) {
        }
      }
      if (a.deadline < 0 || now < a.deadline) {
        ++i;
        continue;
      }
      if (a.phase == Phase::running) {
        signal_group(a.pid, SIGTERM);
        a.phase = Phase::terminating;
        a.deadline = now + opt_.kill_grace_ms;
        ++i;
      } else if (a.phase == Phase::terminating) {
        signal_group(a.pid, SIGKILL);
        a.phase = Phase::killed;
        a.deadline = now + opt_.kill_wait_ms;
        ++i;
      } else {  // SIGKILL did not end it: give up on it (left to the supervisor's reaper)
        CmdResult res;
        res.kind = a.cancelling ? CmdResult::Kind::cancelled : CmdResult::Kind::timed_out;
        res.code = 1;
        res.abandoned = true;
        append(a.log_path, strformat("### lifeboat: pid %d did not die after SIGKILL; given up on\n", static_cast<int>(a.pid)));
        finish(i, std::move(res));
      }
    }
  }

  sys::Sys& sys_;
  std::size_t lanes_;
  const ParallelHooks& hooks_;
  ParallelOptions opt_;
  std::vector<Active> active_;
  ParallelStats stats_;
  bool cancelled_ = false;
};

}  // namespace

ParallelStats run_parallel(sys::Sys& sys, std::size_t lanes, const ParallelHooks& hooks,
                           const ParallelOptions& options) noexcept {
  try {
    Runner r(sys, lanes, hooks, options);
    return r.run();
  } catch (...) {
    return ParallelStats{};  // out of memory: whatever ran was reaped or is left to the reaper
  }
}

std::vector<bool> scan_file(sys::Sys& sys, const std::string& path, const std::string& after,
                            const std::vector<std::string>& markers) noexcept {
  std::vector<bool> found(markers.size(), false);
  try {
    auto fd = sys.open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (!fd.ok()) return found;
    std::size_t keep = after.size();
    for (const auto& m : markers) keep = std::max(keep, m.size());
    bool searching = !after.empty();
    std::string window;
    char buf[16384];
    for (;;) {
      auto n = sys.read(fd.value, buf, sizeof buf);
      if (!n.ok() && n.err == EINTR) continue;
      if (!n.ok() || n.value == 0) break;
      window.append(buf, n.value);
      if (searching) {
        auto p = window.find(after);
        if (p == std::string::npos) {
          if (window.size() > keep) window.erase(0, window.size() - keep);
          continue;
        }
        window.erase(0, p + after.size());
        searching = false;
      }
      for (std::size_t i = 0; i < markers.size(); ++i)
        if (!found[i] && !markers[i].empty() && window.find(markers[i]) != std::string::npos) found[i] = true;
      if (window.size() > keep) window.erase(0, window.size() - keep);
    }
    sys.close_quietly(fd.value);
    if (searching) return std::vector<bool>(markers.size(), false);
  } catch (...) {
  }
  return found;
}

}  // namespace lifeboat::disks
