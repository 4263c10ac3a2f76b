#pragma once
// FakeSys: an in-memory Sys for unit tests. Files live in a map, time only moves when
// the code waits or sleeps, children are scripted (exit_child), and every effect
// (mounts, kills, spawns, reboots, module loads) is recorded for assertions.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cerrno>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sys/sys.h"

namespace lifeboat::test {

class FakeSys : public sys::Sys {
 public:
  using Status = sys::Status;
  template <class T>
  using Result = sys::Result<T>;

  // --- state a test sets up or inspects ---------------------------------------------------
  pid_t pid = 1;
  std::int64_t now_ms = 1000;
  std::int64_t cpu_now_us = 0;
  std::int64_t realtime = 1700000000LL * 1000000000LL;
  std::map<std::string, std::string> files;
  std::set<std::string> dirs{"/"};
  std::set<int> std_fds{0, 1, 2};
  std::string release = "6.1.0-test";
  std::string hostname;
  bool signals_blocked = false;

  struct MountCall {
    std::string source, target, fstype;
    unsigned long flags;
    std::string data;
  };
  std::vector<MountCall> mounts;
  std::map<std::string, int> mount_errors;   // target -> errno
  std::vector<std::string> umounts;
  std::map<std::string, int> umount_errors;  // target -> errno

  std::vector<sys::SpawnSpec> spawns;
  std::map<pid_t, std::size_t> spawn_index;  // pid -> index in spawns
  std::map<std::string, int> spawn_errors;   // argv[0] -> errno
  pid_t next_pid = 100;
  std::set<pid_t> live;
  std::deque<sys::WaitStatus> zombies;
  std::vector<std::pair<pid_t, int>> kills;
  std::function<void(pid_t, int)> on_kill;  // scripted reaction to kill()
  std::function<void(pid_t, const sys::SpawnSpec&)> on_spawn;  // e.g. the child exits at once
  std::deque<sys::Event> events;
  // Each wait_event() call first runs the next scripted action, if any (e.g. a child exits).
  std::deque<std::function<void()>> script;
  std::vector<int> reboots;
  int reboot_error = 0;  // errno reboot() fails with (0: "succeeds", i.e. returns)
  int syncs = 0;

  std::vector<std::string> loaded_modules;      // paths given to finit_module
  std::map<std::string, int> module_errors;     // path -> errno
  std::function<void(const std::string&)> on_module_load;
  std::vector<unsigned long> ioctls;
  std::function<Status(unsigned long, void*)> on_ioctl;

  // --- scripting helpers -----------------------------------------------------------------
  void add_file(const std::string& path, std::string content) {
    files[path] = std::move(content);
    add_parents(path);
  }
  void add_dir(const std::string& path) {
    dirs.insert(path);
    add_parents(path);
  }
  // The child exits: a zombie to reap and a SIGCHLD in the queue.
  void exit_child(pid_t p, int exit_code) { end_child(p, (exit_code & 0xff) << 8); }
  void kill_child(pid_t p, int sig) { end_child(p, sig & 0x7f); }
  const sys::SpawnSpec& spawn_of(pid_t p) const { return spawns.at(spawn_index.at(p)); }
  // A child writes `text` to one of its fds (e.g. spec.stdout_fd, a pipe's write end),
  // while that fd is still open in the parent.
  void write_fd(int fd, const std::string& text) {
    if (auto it = fds_.find(fd); it != fds_.end()) files[it->second.path] += text;
  }
  void queue_signal(int signo, pid_t sender = 1234) { events.push_back(sys::Event{signo, sender, false, {}}); }
  // The paths of the fds open now (a socket is "socket").
  std::vector<std::string> fds_open() const {
    std::vector<std::string> out;
    for (const auto& [fd, f] : fds_) out.push_back(f.path);
    return out;
  }
  std::string console_text() const {
    auto it = files.find("/dev/console");
    return it == files.end() ? std::string() : it->second;
  }

  // --- Sys -------------------------------------------------------------------------------
  pid_t getpid() noexcept override { return pid; }

  Result<pid_t> spawn(const sys::SpawnSpec& spec) noexcept override {
    spawns.push_back(spec);
    if (spec.argv.empty()) return Result<pid_t>::failure(EINVAL);
    if (auto it = spawn_errors.find(spec.argv[0]); it != spawn_errors.end())
      return Result<pid_t>::failure(it->second);
    pid_t p = next_pid++;
    spawn_index[p] = spawns.size() - 1;
    live.insert(p);
    if (on_spawn) on_spawn(p, spec);
    return Result<pid_t>::success(p);
  }

  // The child's work runs at once, here (its effects land in this FakeSys); it then exits
  // with fn's result, to be reaped like a spawned child.
  std::vector<pid_t> forks;
  Result<pid_t> fork_call(const std::function<int()>& fn) noexcept override {
    pid_t p = next_pid++;
    forks.push_back(p);
    live.insert(p);
    int rc = 125;
    try {
      rc = fn();
    } catch (...) {
    }
    exit_child(p, rc);
    return Result<pid_t>::success(p);
  }

  Status kill(pid_t p, int sig) noexcept override {
    kills.emplace_back(p, sig);
    pid_t target = p < 0 ? -p : p;
    const bool found = p == -1 || target == 1 || live.count(target);
    if (on_kill) on_kill(p, sig);  // after the check: the signal was delivered
    return found ? sys::ok_status() : Status::failure(ESRCH);
  }

  Result<sys::WaitStatus> waitpid(pid_t p, int) noexcept override {
    for (auto it = zombies.begin(); it != zombies.end(); ++it) {
      if (p == -1 || it->pid == p) {
        auto w = *it;
        zombies.erase(it);
        return Result<sys::WaitStatus>::success(w);
      }
    }
    if (live.empty()) return Result<sys::WaitStatus>::failure(ECHILD);
    return Result<sys::WaitStatus>::success(sys::WaitStatus{0, 0});
  }

  Status block_all_signals() noexcept override {
    signals_blocked = true;
    return sys::ok_status();
  }

  // Pipes ("pipe:<read fd>") whose write end a child still holds: reading them when empty
  // gives EAGAIN instead of EOF.
  std::set<std::string> held_pipes;
  // fds a test marks ready: reported (once each) by the next wait_events() that waits on them.
  std::set<int> ready_fds;
  Result<sys::Event> wait_events(int timeout_ms, const std::vector<int>& fds) noexcept override {
    if (!script.empty()) {
      auto action = std::move(script.front());
      script.pop_front();
      action();
    }
    sys::Event ready;
    for (int fd : fds)
      if (ready_fds.erase(fd)) ready.ready.push_back(fd);
    if (!events.empty()) {
      auto ev = events.front();
      events.pop_front();
      ev.ready = ready.ready;
      return Result<sys::Event>::success(ev);
    }
    if (!ready.ready.empty()) return Result<sys::Event>::success(ready);
    now_ms += timeout_ms < 0 ? 1000 : timeout_ms;
    return Result<sys::Event>::success(sys::Event{});
  }

  Result<int> open(const std::string& path, int flags, mode_t = 0) noexcept override {
    if (dirs.count(path) && (flags & (O_DIRECTORY | O_PATH))) {  // a directory handle
      int fd = next_fd_++;
      fds_[fd] = OpenFile{path, 0};
      fd_types_[fd] = S_IFDIR;
      return Result<int>::success(fd);
    }
    if (flags & O_DIRECTORY) return Result<int>::failure(files.count(path) ? ENOTDIR : ENOENT);
    if (!files.count(path)) {
      if (!(flags & O_CREAT)) return Result<int>::failure(dirs.count(path) ? EISDIR : ENOENT);
      files[path];
    }
    if (flags & O_TRUNC) files[path].clear();
    int fd = next_fd_++;
    fds_[fd] = OpenFile{path, 0};
    return Result<int>::success(fd);
  }
  // Guest paths: root + path (no link semantics in the fake); file types from `types`.
  std::map<std::string, unsigned> types;  // path -> S_IFIFO, S_IFCHR, ... (default S_IFREG)
  Result<int> open_in_root(const std::string& root, const std::string& path, int flags, mode_t mode = 0) noexcept override {
    std::string full = root;
    if (!path.empty() && path.front() != '/') full += "/";
    full += path;
    if (auto t = types.find(full); t != types.end() && t->second != S_IFREG && !files.count(full)) files[full];
    auto r = open(full, flags, mode);
    if (r.ok()) fd_types_[r.value] = types.count(full) ? types[full] : S_IFREG;
    return r;
  }
  Result<std::string> fd_path(int fd) noexcept override {
    if (auto it = fds_.find(fd); it != fds_.end()) return Result<std::string>::success(it->second.path);
    return Result<std::string>::failure(EBADF);
  }
  Result<unsigned> file_type(int fd) noexcept override {
    if (auto it = fd_types_.find(fd); it != fd_types_.end()) return Result<unsigned>::success(it->second);
    return fds_.count(fd) ? Result<unsigned>::success(S_IFREG) : Result<unsigned>::failure(EBADF);
  }
  Status close(int fd) noexcept override {
    if (std_fds.erase(fd)) return sys::ok_status();
    return fds_.erase(fd) ? sys::ok_status() : Status::failure(EBADF);
  }
  // Standard input: files["/dev/stdin"], read once from the start.
  std::size_t stdin_offset = 0;
  Result<std::size_t> read(int fd, void* buf, std::size_t len) noexcept override {
    if (fd == 0 && std_fds.count(0)) {
      const std::string& in = files["/dev/stdin"];
      std::size_t n = stdin_offset < in.size() ? std::min(len, in.size() - stdin_offset) : 0;
      in.copy(static_cast<char*>(buf), n, stdin_offset);
      stdin_offset += n;
      return Result<std::size_t>::success(n);
    }
    auto it = fds_.find(fd);
    if (it == fds_.end()) return Result<std::size_t>::failure(EBADF);
    const std::string& data = files[it->second.path];
    if (it->second.offset >= data.size() && held_pipes.count(it->second.path)) return Result<std::size_t>::failure(EAGAIN);
    std::size_t n = it->second.offset < data.size() ? std::min(len, data.size() - it->second.offset) : 0;
    data.copy(static_cast<char*>(buf), n, it->second.offset);
    it->second.offset += n;
    return Result<std::size_t>::success(n);
  }
  std::string fail_writes_to;  // writes to this path fail with ENOSPC
  Result<std::size_t> write(int fd, const void* buf, std::size_t len) noexcept override {
    if (!fail_writes_to.empty() && path_of_fd(fd) == fail_writes_to) return Result<std::size_t>::failure(ENOSPC);
    std::string* target;
    if (std_fds.count(fd)) target = &files["/dev/console"];
    else if (auto it = fds_.find(fd); it != fds_.end()) target = &files[it->second.path];
    else return Result<std::size_t>::failure(EBADF);
    target->append(static_cast<const char*>(buf), len);
    return Result<std::size_t>::success(len);
  }
  Status fsync(int) noexcept override { return sys::ok_status(); }
  bool fd_is_open(int fd) noexcept override { return std_fds.count(fd) || fds_.count(fd); }
  Result<std::pair<int, int>> pipe() noexcept override {
    int r = next_fd_++, w = next_fd_++;
    files["pipe:" + std::to_string(r)];
    fds_[r] = OpenFile{"pipe:" + std::to_string(r), 0};
    fds_[w] = OpenFile{"pipe:" + std::to_string(r), 0};
    return Result<std::pair<int, int>>::success({r, w});
  }
  Status mkdir(const std::string& path, mode_t) noexcept override {
    if (dirs.count(path) || files.count(path)) return Status::failure(EEXIST);
    dirs.insert(path);
    return sys::ok_status();
  }
  Status mknod(const std::string& path, mode_t, dev_t) noexcept override {
    if (files.count(path)) return Status::failure(EEXIST);
    files[path];
    return sys::ok_status();
  }
  Status rename(const std::string& from, const std::string& to) noexcept override {
    auto it = files.find(from);
    if (it == files.end()) return Status::failure(ENOENT);
    files[to] = it->second;
    files.erase(from);
    if (auto m = meta.find(from); m != meta.end()) {
      meta[to] = m->second;
      meta.erase(m);
    } else {
      meta.erase(to);
    }
    return sys::ok_status();
  }
  // Owner and permission bits by path (set by fchown/fchmod, moved by rename); a file
  // without an entry is 0644 root:root.
  std::map<std::string, sys::FileStat> meta;
  Result<sys::FileStat> lstat(const std::string& path) noexcept override {
    sys::FileStat st;
    if (links.count(path) && !files.count(path) && !dirs.count(path)) {
      st.mode = S_IFLNK | 0777;
      return Result<sys::FileStat>::success(st);
    }
    if (auto m = meta.find(path); m != meta.end()) st = m->second;
    else st.mode = 0644;
    if (auto t = types.find(path); t != types.end()) st.mode = (st.mode & 07777) | t->second;
    else if (dirs.count(path)) st.mode = S_IFDIR | 0755;
    else if (files.count(path)) st.mode = (st.mode & 07777) | S_IFREG;
    else return Result<sys::FileStat>::failure(ENOENT);
    return Result<sys::FileStat>::success(st);
  }
  Result<sys::FileStat> stat(const std::string& path) noexcept override { return lstat(path); }  // no links
  Status chown_path(const std::string& path, uid_t uid, gid_t gid) noexcept override {
    if (!exists(path)) return Status::failure(ENOENT);
    meta[path].uid = uid;
    meta[path].gid = gid;
    return sys::ok_status();
  }
  Status chmod_path(const std::string& path, mode_t mode) noexcept override {
    if (!exists(path)) return Status::failure(ENOENT);
    meta[path].mode = mode & 07777;
    return sys::ok_status();
  }
  // Links by path (readlink's answers); other paths: EINVAL (not a link) or ENOENT.
  std::map<std::string, std::string> links;
  Result<std::string> readlink(const std::string& path) noexcept override {
    if (auto it = links.find(path); it != links.end()) return Result<std::string>::success(it->second);
    return Result<std::string>::failure(exists(path) ? EINVAL : ENOENT);
  }
  // run_in_root: recorded, answered with foreground_result (or foreground_errno).
  struct ForegroundRun {
    std::string root;
    std::vector<std::string> argv, env;
  };
  std::vector<ForegroundRun> foreground_runs;
  sys::ForegroundResult foreground_result{0, 0};
  int foreground_errno = 0;
  Result<sys::ForegroundResult> run_in_root(const std::string& root, const std::vector<std::string>& argv,
                                            const std::vector<std::string>& env) noexcept override {
    foreground_runs.push_back({root, argv, env});
    if (foreground_errno) return Result<sys::ForegroundResult>::failure(foreground_errno);
    return Result<sys::ForegroundResult>::success(foreground_result);
  }
  Status fchown(int fd, uid_t uid, gid_t gid) noexcept override {
    auto it = fds_.find(fd);
    if (it == fds_.end()) return Status::failure(EBADF);
    auto& m = meta[it->second.path];
    if (m.mode == 0) m.mode = 0600;
    m.uid = uid;
    m.gid = gid;
    return sys::ok_status();
  }
  Status fchmod(int fd, mode_t mode) noexcept override {
    auto it = fds_.find(fd);
    if (it == fds_.end()) return Status::failure(EBADF);
    meta[it->second.path].mode = mode & 07777;
    return sys::ok_status();
  }
  Status unlink(const std::string& path) noexcept override {
    if (links.erase(path)) return sys::ok_status();
    return files.erase(path) ? sys::ok_status() : Status::failure(ENOENT);
  }
  Status rmdir(const std::string& path) noexcept override {
    return dirs.erase(path) ? sys::ok_status() : Status::failure(ENOENT);
  }
  Status symlink(const std::string& target, const std::string& path) noexcept override {
    if (exists(path) || links.count(path)) return Status::failure(EEXIST);
    links[path] = target;
    return sys::ok_status();
  }
  bool exists(const std::string& path) noexcept override { return files.count(path) || dirs.count(path); }
  Status each_dir_entry(const std::string& path, const std::function<bool(const sys::DirEntry&)>& visit) noexcept override {
    auto all = list_dir(path);
    if (!all.ok()) return Status::failure(all.err);
    for (const auto& e : all.value)
      if (!visit(e)) break;
    return sys::ok_status();
  }
  Result<std::vector<sys::DirEntry>> list_dir(const std::string& path) noexcept override {
    if (!dirs.count(path)) return Result<std::vector<sys::DirEntry>>::failure(ENOENT);
    std::vector<sys::DirEntry> out;
    const std::string prefix = path == "/" ? "/" : path + "/";
    auto child = [&](const std::string& p) -> bool {
      return p.size() > prefix.size() && p.compare(0, prefix.size(), prefix) == 0 &&
             p.find('/', prefix.size()) == std::string::npos;
    };
    for (const auto& d : dirs)
      if (child(d)) out.push_back({d.substr(prefix.size()), DT_DIR});
    for (const auto& f : files)
      if (child(f.first)) out.push_back({f.first.substr(prefix.size()), DT_REG});
    return Result<std::vector<sys::DirEntry>>::success(out);
  }

  Status mount(const std::string& source, const std::string& target, const std::string& fstype,
               unsigned long flags, const std::string& data) noexcept override {
    mounts.push_back(MountCall{source, target, fstype, flags, data});
    if (auto it = mount_errors.find(target); it != mount_errors.end()) return Status::failure(it->second);
    return sys::ok_status();
  }
  Status umount2(const std::string& target, int) noexcept override {
    umounts.push_back(target);
    if (auto it = umount_errors.find(target); it != umount_errors.end()) return Status::failure(it->second);
    return sys::ok_status();
  }

  Result<int> socket(int, int, int) noexcept override { return open_special("socket"); }
  Status ioctl(int, unsigned long request, void* arg) noexcept override {
    ioctls.push_back(request);
    return on_ioctl ? on_ioctl(request, arg) : sys::ok_status();
  }
  // Terminals: files whose path is in tty_paths (the std fds are "/dev/console"); their
  // c_lflag is kept by path, every change recorded in lflag_history.
  std::set<std::string> tty_paths;
  std::map<std::string, unsigned> tty_lflag;
  std::vector<unsigned> lflag_history;
  std::string path_of_fd(int fd) const {
    if (std_fds.count(fd)) return "/dev/console";
    auto it = fds_.find(fd);
    return it == fds_.end() ? std::string() : it->second.path;
  }
  bool isatty(int fd) noexcept override { return tty_paths.count(path_of_fd(fd)) > 0; }
  Result<int> dup(int fd) noexcept override {
    std::string p = path_of_fd(fd);
    if (p.empty()) return Result<int>::failure(EBADF);
    return open_special(p);
  }
  Result<unsigned> terminal_lflag(int fd) noexcept override {
    if (!isatty(fd)) return Result<unsigned>::failure(ENOTTY);
    return Result<unsigned>::success(tty_lflag[path_of_fd(fd)]);
  }
  Status set_terminal_lflag(int fd, unsigned lflag) noexcept override {
    if (!isatty(fd)) return Status::failure(ENOTTY);
    tty_lflag[path_of_fd(fd)] = lflag;
    lflag_history.push_back(lflag);
    return sys::ok_status();
  }
  // Sockets: connect fails with connect_errno (0: connects at once); what is sent is
  // appended to `sent`; poll_fd is always ready; reading a socket reads files["socket"].
  int connect_errno = ECONNREFUSED;
  std::string sent;
  Status connect(int, const void*, std::size_t) noexcept override {
    return connect_errno ? Status::failure(connect_errno) : sys::ok_status();
  }
  Result<int> socket_error(int) noexcept override { return Result<int>::success(0); }
  Result<std::size_t> send(int, const void* buf, std::size_t len) noexcept override {
    sent.append(static_cast<const char*>(buf), len);
    return Result<std::size_t>::success(len);
  }
  Result<bool> poll_fd(int, short, int) noexcept override { return Result<bool>::success(true); }
  Status finit_module(int fd, const std::string&, int) noexcept override {
    auto it = fds_.find(fd);
    if (it == fds_.end()) return Status::failure(EBADF);
    loaded_modules.push_back(it->second.path);
    if (on_module_load) on_module_load(it->second.path);
    if (auto e = module_errors.find(it->second.path); e != module_errors.end()) return Status::failure(e->second);
    return sys::ok_status();
  }
  Result<std::string> kernel_release() noexcept override { return Result<std::string>::success(release); }
  Status sethostname(const std::string& name) noexcept override {
    hostname = name;
    return sys::ok_status();
  }
  // Deterministic "random" bytes (0x11, 0x22, ...); random_errno makes getrandom fail.
  int random_errno = 0;
  Result<std::size_t> getrandom(void* buf, std::size_t len, unsigned) noexcept override {
    if (random_errno) return Result<std::size_t>::failure(random_errno);
    auto* b = static_cast<unsigned char*>(buf);
    for (std::size_t i = 0; i < len; ++i) b[i] = static_cast<unsigned char>(0x11 * (i + 1));
    return Result<std::size_t>::success(len);
  }
  Status reboot(int cmd) noexcept override {
    reboots.push_back(cmd);
    return reboot_error ? Status::failure(reboot_error) : sys::ok_status();
  }
  void sync() noexcept override { ++syncs; }

  std::int64_t monotonic_ms() noexcept override { return now_ms; }
  std::int64_t realtime_ns() noexcept override { return realtime; }
  std::int64_t cpu_us() noexcept override { return cpu_now_us; }
  void sleep_ms(int ms) noexcept override { now_ms += ms; }

 private:
  struct OpenFile {
    std::string path;
    std::size_t offset;
  };
  void add_parents(const std::string& path) {
    for (auto slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1))
      dirs.insert(path.substr(0, slash));
  }
  void end_child(pid_t p, int status) {
    live.erase(p);
    zombies.push_back(sys::WaitStatus{p, status});
    queue_signal(SIGCHLD, p);
  }
  Result<int> open_special(const std::string& name) {
    int fd = next_fd_++;
    fds_[fd] = OpenFile{name, 0};
    return Result<int>::success(fd);
  }
  std::map<int, OpenFile> fds_;
  std::map<int, unsigned> fd_types_;
  int next_fd_ = 10;
};

}  // namespace lifeboat::test
