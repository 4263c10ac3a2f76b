#pragma once
#include "sys/sys.h"

namespace lifeboat::sys {

// The real kernel. One instance per process (it owns the signalfd).
class RealSys final : public Sys {
 public:
  RealSys() = default;
  ~RealSys() override;
  RealSys(const RealSys&) = delete;
  RealSys& operator=(const RealSys&) = delete;

  pid_t getpid() noexcept override;
  Result<pid_t> spawn(const SpawnSpec& spec) noexcept override;
  Result<pid_t> fork_call(const std::function<int()>& fn) noexcept override;
  Status kill(pid_t pid, int sig) noexcept override;
  Result<WaitStatus> waitpid(pid_t pid, int options) noexcept override;

  Status block_all_signals() noexcept override;
  Result<Event> wait_events(int timeout_ms, const std::vector<int>& fds) noexcept override;

  Result<int> open(const std::string& path, int flags, mode_t mode) noexcept override;
  Status close(int fd) noexcept override;
  Result<std::size_t> read(int fd, void* buf, std::size_t len) noexcept override;
  Result<std::size_t> write(int fd, const void* buf, std::size_t len) noexcept override;
  Status fsync(int fd) noexcept override;
  bool fd_is_open(int fd) noexcept override;
  Result<std::pair<int, int>> pipe() noexcept override;
  Status mkdir(const std::string& path, mode_t mode) noexcept override;
  Status mknod(const std::string& path, mode_t mode, dev_t dev) noexcept override;
  Status rename(const std::string& from, const std::string& to) noexcept override;
  Status unlink(const std::string& path) noexcept override;
  Status rmdir(const std::string& path) noexcept override;
  Status symlink(const std::string& target, const std::string& path) noexcept override;
  bool exists(const std::string& path) noexcept override;
  Result<int> open_in_root(const std::string& root, const std::string& path, int flags, mode_t mode) noexcept override;
  Result<unsigned> file_type(int fd) noexcept override;
  Result<std::string> fd_path(int fd) noexcept override;
  Result<std::vector<DirEntry>> list_dir(const std::string& path) noexcept override;

  Status mount(const std::string& source, const std::string& target, const std::string& fstype,
               unsigned long flags, const std::string& data) noexcept override;
  Status umount2(const std::string& target, int flags) noexcept override;

  Result<int> socket(int domain, int type, int protocol) noexcept override;
  Status ioctl(int fd, unsigned long request, void* arg) noexcept override;
  Status finit_module(int fd, const std::string& params, int flags) noexcept override;
  Result<std::string> kernel_release() noexcept override;
  Status sethostname(const std::string& name) noexcept override;
  Result<FileStat> lstat(const std::string& path) noexcept override;
  Result<FileStat> stat(const std::string& path) noexcept override;
  Status fchown(int fd, uid_t uid, gid_t gid) noexcept override;
  Status fchmod(int fd, mode_t mode) noexcept override;
  Status chown_path(const std::string& path, uid_t uid, gid_t gid) noexcept override;
  Status chmod_path(const std::string& path, mode_t mode) noexcept override;
  Result<std::string> readlink(const std::string& path) noexcept override;
  Status each_dir_entry(const std::string& path, const std::function<bool(const DirEntry&)>& visit) noexcept override;
  Result<ForegroundResult> run_in_root(const std::string& root, const std::vector<std::string>& argv,
                                       const std::vector<std::string>& env) noexcept override;
  bool isatty(int fd) noexcept override;
  Result<int> dup(int fd) noexcept override;
  Result<unsigned> terminal_lflag(int fd) noexcept override;
  Status set_terminal_lflag(int fd, unsigned lflag) noexcept override;
  Status connect(int fd, const void* addr, std::size_t addr_len) noexcept override;
  Result<int> socket_error(int fd) noexcept override;
  Result<std::size_t> send(int fd, const void* buf, std::size_t len) noexcept override;
  Result<bool> poll_fd(int fd, short events, int timeout_ms) noexcept override;
  Result<std::size_t> getrandom(void* buf, std::size_t len, unsigned flags) noexcept override;
  Status reboot(int cmd) noexcept override;
  void sync() noexcept override;

  std::int64_t monotonic_ms() noexcept override;
  std::int64_t cpu_us() noexcept override;
  std::int64_t realtime_ns() noexcept override;
  void sleep_ms(int ms) noexcept override;

 private:
  int signal_fd_ = -1;
};

}  // namespace lifeboat::sys
