#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "sys/real_sys.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <linux/openat2.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

namespace lifeboat::sys {

namespace {

// How long spawn() waits for the child to report a failed exec (see spawn()).
constexpr int kSpawnStatusWaitMs = 2000;

Status from_rc(int rc) noexcept { return rc < 0 ? Status::failure(errno) : Status{rc, 0}; }

// Child side of spawn(): only async-signal-safe calls from here on.
[[noreturn]] void child_exec(const SpawnSpec& spec, char* const* argv, char* const* envp,
                             const char* const* search, int err_fd) noexcept {
  // A clean slate: default dispositions and an empty mask, whatever PID 1 set up.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);  // KILL/STOP: EINVAL, fine
  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, nullptr);

  if (spec.new_session) {
    setsid();
  } else if (spec.new_process_group) {
    setpgid(0, 0);
  }
  if (spec.nice != 0) (void)setpriority(PRIO_PROCESS, 0, spec.nice);  // best effort
  if (spec.oom_score_adj != 0) {  // best effort; no allocation here: format by hand
    char buf[16];
    int v = spec.oom_score_adj, n = 0;
    unsigned u = v < 0 ? 0u - static_cast<unsigned>(v) : static_cast<unsigned>(v);
    char digits[12];
    int d = 0;
    do {
      digits[d++] = static_cast<char>('0' + u % 10);
      u /= 10;
    } while (u != 0 && d < 11);
    if (v < 0) buf[n++] = '-';
    while (d > 0) buf[n++] = digits[--d];
    buf[n++] = '\n';
    int fd = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      (void)!::write(fd, buf, static_cast<std::size_t>(n));
      ::close(fd);
    }
  }

  int fds[3] = {-1, -1, -1};
  if (!spec.tty.empty()) {
    int flags = O_RDWR | (spec.controlling_tty ? 0 : O_NOCTTY);
    int fd = ::open(spec.tty.c_str(), flags);
    if (fd < 0) goto fail;
    if (spec.controlling_tty && ::ioctl(fd, TIOCSCTTY, 1) < 0) goto fail;
    fds[0] = fds[1] = fds[2] = fd;
  } else {
    const int wanted[3] = {spec.stdin_fd, spec.stdout_fd, spec.stderr_fd};
    for (int i = 0; i < 3; ++i) {
      if (wanted[i] >= 0) {
        // Move out of the 0..2 range first, so dup2 order cannot clobber a source.
        fds[i] = fcntl(wanted[i], F_DUPFD_CLOEXEC, 3);
      } else {
        fds[i] = ::open("/dev/null", (i == 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC | O_NOCTTY);
      }
      if (fds[i] < 0) goto fail;
    }
  }
  for (int i = 0; i < 3; ++i) {
    if (dup2(fds[i], i) < 0) goto fail;
  }
  if (!spec.cwd.empty() && chdir(spec.cwd.c_str()) < 0) {
    if (chdir("/") < 0) { /* keep the inherited cwd */ }
  }

  if (std::strchr(argv[0], '/')) {
    execve(argv[0], argv, envp);
  } else {
    char path[512];
    for (const char* const* dir = search; *dir; ++dir) {
      int n = snprintf(path, sizeof path, "%s/%s", *dir, argv[0]);
      if (n <= 0 || static_cast<std::size_t>(n) >= sizeof path) continue;
      execve(path, argv, envp);
    }
  }
fail:
  int e = errno;
  ssize_t w = ::write(err_fd, &e, sizeof e);
  (void)w;
  _exit(127);
}

}  // namespace

RealSys::~RealSys() {
  if (signal_fd_ >= 0) ::close(signal_fd_);
}

pid_t RealSys::getpid() noexcept { return ::getpid(); }

Result<pid_t> RealSys::spawn(const SpawnSpec& spec) noexcept {
  if (spec.argv.empty() || spec.argv[0].empty()) return Result<pid_t>::failure(EINVAL);
  // Build every pointer before fork(): the child must not allocate.
  std::vector<char*> argv, envp;
  try {
    for (auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (auto& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
  } catch (...) {
    return Result<pid_t>::failure(ENOMEM);
  }
  static const char* const search[] = {"/bin", "/sbin", "/usr/bin", "/usr/sbin", nullptr};

  int errpipe[2];
  if (::pipe2(errpipe, O_CLOEXEC) < 0) return Result<pid_t>::failure(errno);
  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    ::close(errpipe[0]);
    ::close(errpipe[1]);
    return Result<pid_t>::failure(e);
  }
  if (pid == 0) {
    ::close(errpipe[0]);
    child_exec(spec, argv.data(), envp.data(), search, errpipe[1]);
  }
  ::close(errpipe[1]);
  // The child reports a failed exec through the pipe (closed by a successful exec). Its
  // setup may block before that (opening a console tty that never answers): wait a
  // bounded time, then treat the child as started; if its exec fails later it exits 127
  // and is reaped like any other exit.
  int child_err = 0;
  ssize_t n = -1;
  struct pollfd pfd = {errpipe[0], POLLIN, 0};
  int pr;
  do {
    pr = ::poll(&pfd, 1, kSpawnStatusWaitMs);
  } while (pr < 0 && errno == EINTR);
  if (pr > 0) {
    do {
      n = ::read(errpipe[0], &child_err, sizeof child_err);
    } while (n < 0 && errno == EINTR);
  }
  ::close(errpipe[0]);
  if (n == static_cast<ssize_t>(sizeof child_err)) {
    // exec failed: collect the child now so it never shows up as an unknown zombie.
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return Result<pid_t>::failure(child_err ? child_err : ENOEXEC);
  }
  return Result<pid_t>::success(pid);
}

Result<pid_t> RealSys::fork_call(const std::function<int()>& fn) noexcept {
  const pid_t pid = ::fork();
  if (pid < 0) return Result<pid_t>::failure(errno);
  if (pid == 0) {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, nullptr);
    int rc = 125;
    try {
      rc = fn();
    } catch (...) {
    }
    ::_exit(rc & 0xff);
  }
  return Result<pid_t>::success(pid);
}

Status RealSys::kill(pid_t pid, int sig) noexcept { return from_rc(::kill(pid, sig)); }

Result<WaitStatus> RealSys::waitpid(pid_t pid, int options) noexcept {
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid, &status, options);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return Result<WaitStatus>::failure(errno);
  return Result<WaitStatus>::success(WaitStatus{r, status});
}

Status RealSys::block_all_signals() noexcept {
  sigset_t all;
  sigfillset(&all);
  if (sigprocmask(SIG_BLOCK, &all, nullptr) < 0) return Status::failure(errno);
  if (signal_fd_ >= 0) return ok_status();
  int fd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0) return Status::failure(errno);
  signal_fd_ = fd;
  return ok_status();
}

Result<Event> RealSys::wait_events(int timeout_ms, const std::vector<int>& fds) noexcept {
  // Without a signalfd nothing would wake a wait without a timeout (SIGCHLD included):
  // bound it, so the caller's loop still reaps and restarts.
  if (signal_fd_ < 0 && (timeout_ms < 0 || timeout_ms > 1000)) timeout_ms = 1000;
  constexpr std::size_t kMax = 32;  // signalfd + watched fds; more are not waited for
  struct pollfd pfd[kMax + 1];
  pfd[0] = {signal_fd_, POLLIN, 0};  // a negative fd is ignored by poll
  std::size_t n = 1;
  for (int fd : fds) {
    if (n > kMax) break;
    pfd[n++] = {fd, POLLIN, 0};
  }
  int r = ::poll(pfd, static_cast<nfds_t>(n), timeout_ms);
  if (r < 0) return errno == EINTR ? Result<Event>{} : Result<Event>::failure(errno);
  Event ev;
  if (signal_fd_ >= 0 && (pfd[0].revents & POLLIN)) {
    struct signalfd_siginfo si;
    ssize_t got = ::read(signal_fd_, &si, sizeof si);
    if (got == static_cast<ssize_t>(sizeof si)) {
      ev.signo = static_cast<int>(si.ssi_signo);
      ev.sender = static_cast<pid_t>(si.ssi_pid);
    }
  }
  try {
    for (std::size_t i = 1; i < n; ++i)
      if (pfd[i].fd >= 0 && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))) ev.ready.push_back(pfd[i].fd);
  } catch (...) {
    return Result<Event>::failure(ENOMEM);
  }
  return Result<Event>::success(ev);
}

Result<int> RealSys::open(const std::string& path, int flags, mode_t mode) noexcept {
  int fd;
  do {
    fd = ::open(path.c_str(), flags, mode);
  } while (fd < 0 && errno == EINTR);
  return fd < 0 ? Result<int>::failure(errno) : Result<int>::success(fd);
}

Status RealSys::close(int fd) noexcept {
  // Never retry close() on EINTR: on Linux the fd is gone either way.
  return from_rc(::close(fd));
}

Result<std::size_t> RealSys::read(int fd, void* buf, std::size_t len) noexcept {
  ssize_t n = ::read(fd, buf, len);
  return n < 0 ? Result<std::size_t>::failure(errno)
               : Result<std::size_t>::success(static_cast<std::size_t>(n));
}

Result<std::size_t> RealSys::write(int fd, const void* buf, std::size_t len) noexcept {
  ssize_t n = ::write(fd, buf, len);
  return n < 0 ? Result<std::size_t>::failure(errno)
               : Result<std::size_t>::success(static_cast<std::size_t>(n));
}

Status RealSys::fsync(int fd) noexcept { return from_rc(::fsync(fd)); }

bool RealSys::fd_is_open(int fd) noexcept { return fcntl(fd, F_GETFD) >= 0; }

Result<std::pair<int, int>> RealSys::pipe() noexcept {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) return Result<std::pair<int, int>>::failure(errno);
  int fl = fcntl(p[0], F_GETFL);
  if (fl < 0 || fcntl(p[0], F_SETFL, fl | O_NONBLOCK) < 0) {
    int e = errno;
    ::close(p[0]);
    ::close(p[1]);
    return Result<std::pair<int, int>>::failure(e);
  }
  return Result<std::pair<int, int>>::success({p[0], p[1]});
}

Status RealSys::mkdir(const std::string& path, mode_t mode) noexcept {
  return from_rc(::mkdir(path.c_str(), mode));
}

Status RealSys::mknod(const std::string& path, mode_t mode, dev_t dev) noexcept {
  return from_rc(::mknod(path.c_str(), mode, dev));
}

Status RealSys::rename(const std::string& from, const std::string& to) noexcept {
  return from_rc(::rename(from.c_str(), to.c_str()));
}

Status RealSys::unlink(const std::string& path) noexcept { return from_rc(::unlink(path.c_str())); }
Status RealSys::rmdir(const std::string& path) noexcept { return from_rc(::rmdir(path.c_str())); }
Status RealSys::symlink(const std::string& target, const std::string& path) noexcept {
  return from_rc(::symlink(target.c_str(), path.c_str()));
}

Result<int> RealSys::open_in_root(const std::string& root, const std::string& path, int flags, mode_t mode) noexcept {
  int dirfd;
  do {
    dirfd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  } while (dirfd < 0 && errno == EINTR);
  if (dirfd < 0) return Result<int>::failure(errno);
  struct open_how how;
  std::memset(&how, 0, sizeof how);
  how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const char* rel = path.c_str();
  while (*rel == '/') ++rel;  // relative to root (RESOLVE_IN_ROOT treats "/" as root anyway)
  long fd;
  do {
    fd = ::syscall(SYS_openat2, dirfd, *rel ? rel : ".", &how, sizeof how);
  } while (fd < 0 && errno == EINTR);
  const int err = errno;
  ::close(dirfd);
  return fd < 0 ? Result<int>::failure(err) : Result<int>::success(static_cast<int>(fd));
}

Result<std::string> RealSys::fd_path(int fd) noexcept {
  char link[64], buf[4096];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = ::readlink(link, buf, sizeof buf);
  if (n < 0) return Result<std::string>::failure(errno);
  if (static_cast<std::size_t>(n) >= sizeof buf) return Result<std::string>::failure(ENAMETOOLONG);
  try {
    return Result<std::string>::success(std::string(buf, static_cast<std::size_t>(n)));
  } catch (...) {
    return Result<std::string>::failure(ENOMEM);
  }
}

Result<unsigned> RealSys::file_type(int fd) noexcept {
  struct stat st;
  if (::fstat(fd, &st) < 0) return Result<unsigned>::failure(errno);
  return Result<unsigned>::success(st.st_mode & S_IFMT);
}

Result<FileStat> RealSys::lstat(const std::string& path) noexcept {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return Result<FileStat>::failure(errno);
  return Result<FileStat>::success(
      FileStat{st.st_mode, st.st_uid, st.st_gid, st.st_rdev, st.st_dev, static_cast<std::uint64_t>(st.st_blocks),
               static_cast<std::uint64_t>(st.st_size)});
}

Result<FileStat> RealSys::stat(const std::string& path) noexcept {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Result<FileStat>::failure(errno);
  return Result<FileStat>::success(
      FileStat{st.st_mode, st.st_uid, st.st_gid, st.st_rdev, st.st_dev, static_cast<std::uint64_t>(st.st_blocks),
               static_cast<std::uint64_t>(st.st_size)});
}

Status RealSys::fchown(int fd, uid_t uid, gid_t gid) noexcept { return from_rc(::fchown(fd, uid, gid)); }

Status RealSys::fchmod(int fd, mode_t mode) noexcept { return from_rc(::fchmod(fd, mode)); }

Status RealSys::chown_path(const std::string& path, uid_t uid, gid_t gid) noexcept {
  return from_rc(::fchownat(AT_FDCWD, path.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW));
}

Status RealSys::chmod_path(const std::string& path, mode_t mode) noexcept {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return Status::failure(errno);
  if (S_ISLNK(st.st_mode)) return Status::failure(ELOOP);  // fchmodat(AT_SYMLINK_NOFOLLOW) is ENOTSUP on Linux
  return from_rc(::chmod(path.c_str(), mode));
}

Result<std::string> RealSys::readlink(const std::string& path) noexcept {
  char buf[4096];
  const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
  if (n < 0) return Result<std::string>::failure(errno);
  try {
    return Result<std::string>::success(std::string(buf, static_cast<std::size_t>(n)));
  } catch (...) {
    return Result<std::string>::failure(ENOMEM);
  }
}

namespace {
pid_t g_foreground = 0;               // the job run_in_root waits for (a signal handler's state)
volatile sig_atomic_t g_term_seen = 0;  // a SIGTERM was passed on to it
extern "C" void forward_to_foreground(int sig) {
  if (sig == SIGTERM) g_term_seen = 1;
  if (g_foreground > 0) ::kill(g_foreground, sig);
}
}  // namespace

Result<ForegroundResult> RealSys::run_in_root(const std::string& root, const std::vector<std::string>& cmd,
                                              const std::vector<std::string>& env) noexcept {
  if (cmd.empty()) return Result<ForegroundResult>::failure(EINVAL);
  std::vector<std::string> args, vars;
  std::vector<char*> argv, envp;
  try {
    args = cmd;
    vars = env;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : vars) envp.push_back(e.data());
    envp.push_back(nullptr);
  } catch (...) {
    return Result<ForegroundResult>::failure(ENOMEM);
  }
  struct sigaction ign {}, fwd {}, old_int {}, old_quit {}, old_hup {}, old_term {};
  ign.sa_handler = SIG_IGN;
  fwd.sa_handler = forward_to_foreground;
  ::sigaction(SIGINT, &ign, &old_int);
  ::sigaction(SIGQUIT, &ign, &old_quit);
  ::sigaction(SIGHUP, &fwd, &old_hup);
  ::sigaction(SIGTERM, &fwd, &old_term);
  auto restore = [&] {
    ::sigaction(SIGINT, &old_int, nullptr);
    ::sigaction(SIGQUIT, &old_quit, nullptr);
    ::sigaction(SIGHUP, &old_hup, nullptr);
    ::sigaction(SIGTERM, &old_term, nullptr);
  };
  const pid_t pid = ::fork();
  if (pid == 0) {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int s : {SIGINT, SIGQUIT, SIGHUP, SIGTERM, SIGPIPE}) ::sigaction(s, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (::chroot(root.c_str()) != 0 || ::chdir("/") != 0) {
      ::dprintf(2, "rescue: chroot %s: %s\n", root.c_str(), std::strerror(errno));
      ::_exit(127);
    }
    ::execvpe(argv[0], argv.data(), envp.data());
    ::dprintf(2, "rescue: chroot: %s: %s\n", argv[0], std::strerror(errno));
    ::_exit(errno == ENOENT ? 127 : 126);
  }
  if (pid < 0) {
    const int err = errno;
    restore();
    return Result<ForegroundResult>::failure(err);
  }
  g_term_seen = 0;
  g_foreground = pid;
  int status = 0;
  pid_t w;
  int waited_ms = 0;
  bool killed = false;
  for (;;) {
    if (!g_term_seen) {
      w = ::waitpid(pid, &status, 0);
    } else {
      // A SIGTERM (a shutdown: PID 1 sends SIGKILL 3 s later) that the job ignores, as an
      // interactive shell does: it gets kJobTermGraceMs, then SIGKILL, so that the caller
      // can still undo its mounts and placeholders in the guest.
      w = ::waitpid(pid, &status, WNOHANG);
      if (w == 0) {
        if (waited_ms >= kJobTermGraceMs && !killed) killed = ::kill(pid, SIGKILL) == 0;
        const struct timespec tick = {0, 50 * 1000 * 1000};
        ::nanosleep(&tick, nullptr);
        waited_ms += 50;
        continue;
      }
    }
    if (w < 0 && errno == EINTR) continue;
    break;
  }
  const int err = errno;
  g_foreground = 0;
  restore();
  if (w < 0) return Result<ForegroundResult>::failure(err);
  ForegroundResult r;
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return Result<ForegroundResult>::success(r);
}

bool RealSys::exists(const std::string& path) noexcept {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

Result<std::vector<DirEntry>> RealSys::list_dir(const std::string& path) noexcept {
  DIR* d = ::opendir(path.c_str());
  if (!d) return Result<std::vector<DirEntry>>::failure(errno);
  Result<std::vector<DirEntry>> out;
  try {
    errno = 0;
    while (struct dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.' && (e->d_name[1] == 0 || (e->d_name[1] == '.' && e->d_name[2] == 0)))
        continue;
      out.value.push_back(DirEntry{e->d_name, e->d_type});
    }
    if (errno) out.err = errno;
  } catch (...) {
    out.err = ENOMEM;
  }
  ::closedir(d);
  return out;
}

Status RealSys::each_dir_entry(const std::string& path,
                               const std::function<bool(const DirEntry&)>& visit) noexcept {
  DIR* d = ::opendir(path.c_str());
  if (!d) return Status::failure(errno);
  int err = 0;
  try {
    DirEntry entry;
    errno = 0;
    while (struct dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.' && (e->d_name[1] == 0 || (e->d_name[1] == '.' && e->d_name[2] == 0))) continue;
      entry.name = e->d_name;
      entry.type = e->d_type;
      if (!visit(entry)) break;
      errno = 0;
    }
    err = errno;
  } catch (...) {
    err = ENOMEM;
  }
  ::closedir(d);
  return err ? Status::failure(err) : ok_status();
}

Status RealSys::mount(const std::string& source, const std::string& target,
                      const std::string& fstype, unsigned long flags,
                      const std::string& data) noexcept {
  return from_rc(::mount(source.empty() ? nullptr : source.c_str(), target.c_str(),
                         fstype.empty() ? nullptr : fstype.c_str(), flags,
                         data.empty() ? nullptr : data.c_str()));
}

Status RealSys::umount2(const std::string& target, int flags) noexcept {
  return from_rc(::umount2(target.c_str(), flags));
}

Result<int> RealSys::socket(int domain, int type, int protocol) noexcept {
  int fd = ::socket(domain, type, protocol);
  return fd < 0 ? Result<int>::failure(errno) : Result<int>::success(fd);
}

Status RealSys::ioctl(int fd, unsigned long request, void* arg) noexcept {
  return from_rc(::ioctl(fd, request, arg));
}

Status RealSys::finit_module(int fd, const std::string& params, int flags) noexcept {
  long rc = ::syscall(SYS_finit_module, fd, params.c_str(), flags);
  return rc < 0 ? Status::failure(errno) : ok_status();
}

Result<std::string> RealSys::kernel_release() noexcept {
  struct utsname u;
  if (::uname(&u) < 0) return Result<std::string>::failure(errno);
  try {
    return Result<std::string>::success(u.release);
  } catch (...) {
    return Result<std::string>::failure(ENOMEM);
  }
}

Status RealSys::sethostname(const std::string& name) noexcept {
  return from_rc(::sethostname(name.c_str(), name.size()));
}

bool RealSys::isatty(int fd) noexcept { return ::isatty(fd) == 1; }

Result<int> RealSys::dup(int fd) noexcept {
  const int d = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (d < 0) return Result<int>::failure(errno);
  return Result<int>::success(d);
}

Result<unsigned> RealSys::terminal_lflag(int fd) noexcept {
  struct termios t {};
  if (::tcgetattr(fd, &t) != 0) return Result<unsigned>::failure(errno);
  return Result<unsigned>::success(static_cast<unsigned>(t.c_lflag));
}

Status RealSys::set_terminal_lflag(int fd, unsigned lflag) noexcept {
  struct termios t {};
  if (::tcgetattr(fd, &t) != 0) return Status::failure(errno);
  t.c_lflag = static_cast<tcflag_t>(lflag);
  return from_rc(::tcsetattr(fd, TCSAFLUSH, &t));
}

Status RealSys::connect(int fd, const void* addr, std::size_t addr_len) noexcept {
  return from_rc(::connect(fd, static_cast<const struct sockaddr*>(addr), static_cast<socklen_t>(addr_len)));
}

Result<int> RealSys::socket_error(int fd) noexcept {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return Result<int>::failure(errno);
  return Result<int>::success(err);
}

Result<std::size_t> RealSys::send(int fd, const void* buf, std::size_t len) noexcept {
  const ssize_t n = ::send(fd, buf, len, MSG_NOSIGNAL);
  if (n < 0) return Result<std::size_t>::failure(errno);
  return Result<std::size_t>::success(static_cast<std::size_t>(n));
}

Result<bool> RealSys::poll_fd(int fd, short events, int timeout_ms) noexcept {
  struct pollfd p{fd, events, 0};
  const int n = ::poll(&p, 1, timeout_ms);
  if (n < 0) return Result<bool>::failure(errno);
  return Result<bool>::success(n > 0);
}

Result<std::size_t> RealSys::getrandom(void* buf, std::size_t len, unsigned flags) noexcept {
  const ssize_t n = ::getrandom(buf, len, flags);
  if (n < 0) return Result<std::size_t>::failure(errno);
  return Result<std::size_t>::success(static_cast<std::size_t>(n));
}

Status RealSys::reboot(int cmd) noexcept { return from_rc(::reboot(cmd)); }

void RealSys::sync() noexcept { ::sync(); }

std::int64_t RealSys::monotonic_ms() noexcept {
  struct timespec ts;
  if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0) clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::int64_t RealSys::cpu_us() noexcept {
  struct timespec ts;
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) < 0) return -1;
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

std::int64_t RealSys::realtime_ns() noexcept {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void RealSys::sleep_ms(int ms) noexcept {
  if (ms <= 0) return;
  struct timespec ts {ms / 1000, static_cast<long>(ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

}  // namespace lifeboat::sys
