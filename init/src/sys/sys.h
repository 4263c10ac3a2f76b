#pragma once
// The thin layer over system calls (dinit's baseproc-sys.h is the model).
//
// Everything that touches the kernel goes through a `Sys&`, so the logic above it runs in
// unit tests against FakeSys (tests/unit/fake_sys.h). No method throws: each returns a
// Result carrying either a value or an errno. Callers check every result.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace lifeboat::sys {

template <class T = int>
struct [[nodiscard]] Result {
  T value{};
  int err = 0;  // errno; 0 means success

  bool ok() const noexcept { return err == 0; }
  static Result success(T v) noexcept(noexcept(T(std::move(v)))) {
    Result r;
    r.value = std::move(v);
    return r;
  }
  static Result failure(int e) noexcept {
    Result r;
    r.err = e;
    return r;
  }
};
using Status = Result<int>;  // value unused (or the syscall's return value)

inline Status ok_status() noexcept { return Status{}; }

// strerror() that never returns null.
const char* error_text(int err) noexcept;

struct FileStat {
  mode_t mode = 0;  // type and permission bits (st_mode)
  uid_t uid = 0;
  gid_t gid = 0;
  dev_t rdev = 0;
  dev_t dev = 0;                // the filesystem it is on
  std::uint64_t blocks512 = 0;  // space used, in 512-byte blocks
  std::uint64_t size = 0;       // st_size
};

// Sys::run_in_root: a command run in the foreground in a chroot.
inline constexpr int kJobTermGraceMs = 1000;
struct ForegroundResult {
  int exit_code = -1;  // when it exited
  int signal = 0;      // when a signal ended it
};

// Sys::replace_file: the file's mode and owner when it is new; `keep_existing` keeps those
// of the file it replaces and refuses to replace anything but a regular file (a guest's
// /etc/shadow, authorized_keys); `sync_dir` fsyncs the directory after the rename.
struct ReplaceOptions {
  mode_t mode = 0644;
  int uid = -1, gid = -1;  // -1: leave as created
  bool keep_existing = false;
  bool sync_dir = false;
};

struct DirEntry {
  std::string name;
  unsigned char type = 0;  // DT_DIR, DT_REG, DT_LNK, ... (DT_UNKNOWN possible)
};

struct WaitStatus {
  pid_t pid = 0;   // 0: nothing to reap (WNOHANG)
  int status = 0;  // as from waitpid(2)
};

// What wait_event() saw: a signal (signo != 0), extra fds readable (or hung up), or
// neither (timeout).
struct Event {
  int signo = 0;
  pid_t sender = 0;
  bool fd_ready = false;    // wait_event(): extra_fd is ready
  std::vector<int> ready;   // wait_events(): the fds that are ready
};

// How to start a child. The child always gets an empty signal mask and default
// dispositions before exec, whatever PID 1 blocked.
struct SpawnSpec {
  std::vector<std::string> argv;  // argv[0]: absolute path, or a name searched in PATH dirs
  std::vector<std::string> env;   // "KEY=value"
  std::string cwd;                // empty: inherit; falls back to "/" if chdir fails
  bool new_session = false;       // setsid()
  bool new_process_group = false; // setpgid(0, 0) (implied by new_session)
  std::string tty;                // if set: opened and dup'ed to 0/1/2
  bool controlling_tty = false;   // TIOCSCTTY on tty (needs new_session)
  int nice = 0;                   // setpriority() before exec (best effort)
  int oom_score_adj = 0;          // written to /proc/self/oom_score_adj before exec when not 0
  // Used when tty is empty: fds to dup to 0/1/2; -1 means /dev/null.
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
};

class Sys {
 public:
  virtual ~Sys() = default;

  // --- processes -------------------------------------------------------------------
  virtual pid_t getpid() noexcept = 0;
  virtual Result<pid_t> spawn(const SpawnSpec& spec) noexcept = 0;  // fork + exec
  // fork() alone: the child (empty signal mask, default dispositions, PID 1's fds) runs
  // `fn` and exits with what it returns (125 if it throws). For short work that needs what
  // PID 1 already has in memory (coldplug's module database) without the cost of an exec.
  virtual Result<pid_t> fork_call(const std::function<int()>& fn) noexcept = 0;
  virtual Status kill(pid_t pid, int sig) noexcept = 0;
  virtual Result<WaitStatus> waitpid(pid_t pid, int options) noexcept = 0;

  // --- signals: all blocked, read from a signalfd -----------------------------------------
  virtual Status block_all_signals() noexcept = 0;
  // Waits up to timeout_ms (<0: forever) for a signal or for one of `fds` to be readable
  // (or hung up). Returns at most one signal per call; Event::ready lists the ready fds.
  virtual Result<Event> wait_events(int timeout_ms, const std::vector<int>& fds) noexcept = 0;
  // The same with at most one extra fd (-1: none): Event::fd_ready.
  Result<Event> wait_event(int timeout_ms, int extra_fd) noexcept;

  // --- files -------------------------------------------------------------------------
  virtual Result<int> open(const std::string& path, int flags, mode_t mode = 0) noexcept = 0;
  virtual Status close(int fd) noexcept = 0;
  virtual Result<std::size_t> read(int fd, void* buf, std::size_t len) noexcept = 0;
  virtual Result<std::size_t> write(int fd, const void* buf, std::size_t len) noexcept = 0;
  virtual Status fsync(int fd) noexcept = 0;
  virtual bool fd_is_open(int fd) noexcept = 0;
  // {read, write}: O_CLOEXEC both ends, the read end O_NONBLOCK.
  virtual Result<std::pair<int, int>> pipe() noexcept = 0;
  virtual Status mkdir(const std::string& path, mode_t mode) noexcept = 0;
  virtual Status mknod(const std::string& path, mode_t mode, dev_t dev) noexcept = 0;
  virtual Status rename(const std::string& from, const std::string& to) noexcept = 0;
  virtual Status unlink(const std::string& path) noexcept = 0;
  virtual Status rmdir(const std::string& path) noexcept = 0;
  virtual Status symlink(const std::string& target, const std::string& path) noexcept = 0;
  virtual bool exists(const std::string& path) noexcept = 0;
  // Opens `path` inside the directory `root` the way a process chrooted there would see it
  // (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): absolute links and ".." stay inside
  // `root`, never reaching the rescue system's files.
  virtual Result<int> open_in_root(const std::string& root, const std::string& path, int flags,
                                   mode_t mode = 0) noexcept = 0;
  // The path an open fd refers to now (readlink /proc/self/fd/N).
  virtual Result<std::string> fd_path(int fd) noexcept = 0;
  // The file type of an open fd (S_IFREG, S_IFIFO, ... as in st_mode & S_IFMT).
  virtual Result<unsigned> file_type(int fd) noexcept = 0;
  virtual Result<FileStat> lstat(const std::string& path) noexcept = 0;
  virtual Result<FileStat> stat(const std::string& path) noexcept = 0;  // follows links
  virtual Status fchown(int fd, uid_t uid, gid_t gid) noexcept = 0;
  virtual Status fchmod(int fd, mode_t mode) noexcept = 0;
  // Of the path itself (a link is not followed): fchownat/fchmodat(AT_SYMLINK_NOFOLLOW).
  virtual Status chown_path(const std::string& path, uid_t uid, gid_t gid) noexcept = 0;
  virtual Status chmod_path(const std::string& path, mode_t mode) noexcept = 0;
  virtual Result<std::string> readlink(const std::string& path) noexcept = 0;
  virtual Result<std::vector<DirEntry>> list_dir(const std::string& path) noexcept = 0;
  // The same entries one at a time, in constant memory (a guest directory may hold
  // millions); `visit` returns false to stop early.
  virtual Status each_dir_entry(const std::string& path, const std::function<bool(const DirEntry&)>& visit) noexcept = 0;

  // Helpers built on open/read/write/close (overridable).
  virtual Result<std::string> read_file(const std::string& path,
                                        std::size_t max_bytes = 1 << 20) noexcept;
  virtual Status write_file(const std::string& path, std::string_view data,
                            mode_t mode = 0644) noexcept;  // create/truncate
  // A file from a guest: opened inside `root` (open_in_root), non-blocking, only a regular
  // file (a FIFO, device or directory is refused with ENXIO/ENODEV/EISDIR-like errors:
  // EINVAL for anything not regular), at most max_bytes (more: EFBIG).
  Result<std::string> read_guest_file(const std::string& root, const std::string& path,
                                      std::size_t max_bytes) noexcept;
  // Writes path.lifeboat-tmp, fsyncs, renames over path: replace_file(path, data, {mode}).
  Status write_file_atomic(const std::string& path, std::string_view data,
                           mode_t mode = 0644) noexcept;
  // The one atomic file write: a fresh path.lifeboat-tmp (O_EXCL, O_NOFOLLOW: a link planted there is
  // not followed), owner and mode set, written, fsynced, renamed over path. On failure the
  // tmp file is removed and `what` (optional) says what failed, whole ("/etc/shadow.lifeboat-tmp:
  // write: No space left on device", "/etc/shadow: not a regular file (refusing to replace it)").
  Status replace_file(const std::string& path, std::string_view data, const ReplaceOptions& o,
                      std::string* what = nullptr) noexcept;
  Status write_all(int fd, std::string_view data) noexcept;
  // close() where nothing can be done about an error: fds only read from, a parent's copy
  // of a child's end, cleanup after another error. On Linux the fd is released whatever
  // close() returns, so there is nothing to retry.
  void close_quietly(int fd) noexcept { (void)close(fd); }
  Status mkdir_p(const std::string& path, mode_t mode = 0755) noexcept;

  // `argv` run as a shell runs a foreground job, chrooted into `root` (cwd "/") with exactly
  // `env`, PATH searched inside the root; meanwhile the caller ignores SIGINT and SIGQUIT
  // (they reach the job from the terminal) and passes SIGHUP and SIGTERM on to it. Waits
  // for it without a limit: the admin's interactive shell (`rescue chroot`). After a
  // SIGTERM the job has kJobTermGraceMs to end, then gets SIGKILL: a shutdown's own SIGKILL
  // follows 3 s after its SIGTERM, and the caller must still undo what it did in the guest.
  virtual Result<ForegroundResult> run_in_root(const std::string& root, const std::vector<std::string>& argv,
                                               const std::vector<std::string>& env) noexcept = 0;

  // --- terminals -----------------------------------------------------------------------
  virtual bool isatty(int fd) noexcept = 0;
  virtual Result<int> dup(int fd) noexcept = 0;  // close-on-exec
  // tcgetattr/tcsetattr(TCSAFLUSH) of c_lflag only (ECHO, ECHONL, ICANON...).
  virtual Result<unsigned> terminal_lflag(int fd) noexcept = 0;
  virtual Status set_terminal_lflag(int fd, unsigned lflag) noexcept = 0;

  // --- mounts ------------------------------------------------------------------------
  virtual Status mount(const std::string& source, const std::string& target,
                       const std::string& fstype, unsigned long flags,
                       const std::string& data) noexcept = 0;
  virtual Status umount2(const std::string& target, int flags) noexcept = 0;

  // --- network, modules, system -----------------------------------------------------------
  virtual Result<int> socket(int domain, int type, int protocol) noexcept = 0;
  virtual Status ioctl(int fd, unsigned long request, void* arg) noexcept = 0;
  // connect(2) (a non-blocking socket: EINPROGRESS comes back as the error).
  virtual Status connect(int fd, const void* addr, std::size_t addr_len) noexcept = 0;
  // getsockopt(SO_ERROR): the pending error of a non-blocking connect (0: connected).
  virtual Result<int> socket_error(int fd) noexcept = 0;
  // send(2) with MSG_NOSIGNAL (a closed peer is EPIPE, never SIGPIPE).
  virtual Result<std::size_t> send(int fd, const void* buf, std::size_t len) noexcept = 0;
  // poll(2) on one fd: true when `events` (POLLIN, POLLOUT) are ready, false on timeout.
  virtual Result<bool> poll_fd(int fd, short events, int timeout_ms) noexcept = 0;
  virtual Status finit_module(int fd, const std::string& params, int flags) noexcept = 0;
  virtual Result<std::string> kernel_release() noexcept = 0;  // uname -r
  virtual Status sethostname(const std::string& name) noexcept = 0;
  // getrandom(2): up to len bytes (flags: GRND_NONBLOCK...).
  virtual Result<std::size_t> getrandom(void* buf, std::size_t len, unsigned flags) noexcept = 0;
  // n random bytes without ever blocking: getrandom(GRND_NONBLOCK), else /dev/urandom
  // (a pool not ready yet at early boot). EIO when neither gave all n.
  Status random_bytes(void* buf, std::size_t n) noexcept;
  virtual Status reboot(int cmd) noexcept = 0;
  virtual void sync() noexcept = 0;

  // --- time --------------------------------------------------------------------------
  virtual std::int64_t monotonic_ms() noexcept = 0;  // CLOCK_BOOTTIME: ms since boot
  virtual std::int64_t realtime_ns() noexcept = 0;
  // CPU time this process has used (user + system, all threads), in microseconds.
  virtual std::int64_t cpu_us() noexcept = 0;
  virtual void sleep_ms(int ms) noexcept = 0;
};

// Base environment for every child of PID 1.
std::vector<std::string> base_environment(std::string_view term = "linux");

}  // namespace lifeboat::sys
