#include "sys/sys.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace lifeboat::sys {

const char* error_text(int err) noexcept {
  const char* s = std::strerror(err);
  return s ? s : "unknown error";
}

Result<Event> Sys::wait_event(int timeout_ms, int extra_fd) noexcept {
  std::vector<int> fds;
  try {
    if (extra_fd >= 0) fds.push_back(extra_fd);
  } catch (...) {
  }
  auto r = wait_events(timeout_ms, fds);
  if (r.ok()) r.value.fd_ready = !r.value.ready.empty();
  return r;
}

Result<std::string> Sys::read_guest_file(const std::string& root, const std::string& path,
                                         std::size_t max_bytes) noexcept {
  // The type first, through an O_PATH handle (no open of a FIFO or device at all: a
  // device on a nodev mount would only say EACCES), then the regular file itself.
  auto handle = open_in_root(root, path, O_PATH | O_CLOEXEC);
  if (!handle.ok()) return Result<std::string>::failure(handle.err);
  auto first = file_type(handle.value);
  close_quietly(handle.value);
  if (!first.ok() || first.value != S_IFREG)
    return Result<std::string>::failure(first.ok() ? (first.value == S_IFDIR ? EISDIR : EINVAL) : first.err);
  auto fd = open_in_root(root, path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (!fd.ok()) return Result<std::string>::failure(fd.err);
  auto type = file_type(fd.value);
  if (!type.ok() || type.value != S_IFREG) {
    close_quietly(fd.value);
    return Result<std::string>::failure(type.ok() ? (type.value == S_IFDIR ? EISDIR : EINVAL) : type.err);
  }
  Result<std::string> out;
  try {
    char buf[4096];
    for (;;) {
      auto n = read(fd.value, buf, sizeof buf);
      if (!n.ok()) {
        if (n.err == EINTR) continue;
        out.err = n.err;
        break;
      }
      if (n.value == 0) break;
      if (out.value.size() + n.value > max_bytes) {
        out.err = EFBIG;
        break;
      }
      out.value.append(buf, n.value);
    }
  } catch (...) {
    out.err = ENOMEM;
  }
  close_quietly(fd.value);
  return out;
}

Result<std::string> Sys::read_file(const std::string& path, std::size_t max_bytes) noexcept {
  auto fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (!fd.ok()) return Result<std::string>::failure(fd.err);
  Result<std::string> out;
  try {
    char buf[4096];
    while (out.value.size() < max_bytes) {
      std::size_t want = std::min(sizeof buf, max_bytes - out.value.size());
      auto n = read(fd.value, buf, want);
      if (!n.ok()) {
        if (n.err == EINTR) continue;
        out.err = n.err;
        break;
      }
      if (n.value == 0) break;
      out.value.append(buf, n.value);
    }
  } catch (...) {
    out.err = ENOMEM;
  }
  close_quietly(fd.value);  // read-only
  return out;
}

Status Sys::write_all(int fd, std::string_view data) noexcept {
  while (!data.empty()) {
    auto n = write(fd, data.data(), data.size());
    if (!n.ok()) {
      if (n.err == EINTR) continue;
      return Status::failure(n.err);
    }
    if (n.value == 0) return Status::failure(EIO);
    data.remove_prefix(n.value);
  }
  return ok_status();
}

Status Sys::write_file(const std::string& path, std::string_view data, mode_t mode) noexcept {
  auto fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, mode);
  if (!fd.ok()) return Status::failure(fd.err);
  auto st = write_all(fd.value, data);
  auto cl = close(fd.value);
  if (!st.ok()) return st;
  return cl;
}

Status Sys::write_file_atomic(const std::string& path, std::string_view data, mode_t mode) noexcept {
  ReplaceOptions o;
  o.mode = mode;
  return replace_file(path, data, o);
}

Status Sys::replace_file(const std::string& path, std::string_view data, const ReplaceOptions& o,
                         std::string* what) noexcept {
  try {
    auto failed = [&](const std::string& where, int err) {
      if (what) *what = where + ": " + error_text(err);
      return Status::failure(err);
    };
    mode_t mode = o.mode;
    int uid = o.uid, gid = o.gid;
    if (o.keep_existing) {
      auto st = lstat(path);
      if (st.ok()) {
        if (!S_ISREG(st.value.mode)) {
          if (what) *what = path + ": not a regular file (refusing to replace it)";
          return Status::failure(EINVAL);
        }
        mode = st.value.mode & 07777;
        uid = static_cast<int>(st.value.uid);
        gid = static_cast<int>(st.value.gid);
      } else if (st.err != ENOENT) {
        return failed(path, st.err);
      }
    }
    const std::string tmp = path + ".lifeboat-tmp";  // a name no guest file is likely to have
    (void)unlink(tmp);  // a stale one (ENOENT is the usual answer)
    auto fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0600);
    if (!fd.ok()) return failed(tmp, fd.err);
    const char* step = "chown";
    Status st = uid >= 0 || gid >= 0 ? fchown(fd.value, static_cast<uid_t>(uid), static_cast<gid_t>(gid)) : ok_status();
    if (st.ok()) step = "chmod", st = fchmod(fd.value, mode);
    if (st.ok()) step = "write", st = write_all(fd.value, data);
    if (st.ok()) step = "fsync", st = fsync(fd.value);
    auto cl = close(fd.value);
    if (st.ok() && !cl.ok()) step = "close", st = cl;
    if (st.ok()) {
      st = rename(tmp, path);
      if (!st.ok()) {
        (void)unlink(tmp);  // the first error is the one to report
        return failed(path + ": rename", st.err);
      }
    } else {
      (void)unlink(tmp);
      return failed(tmp + ": " + std::string(step), st.err);
    }
    if (o.sync_dir) {
      const auto slash = path.rfind('/');
      const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
      auto dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dfd.ok()) {
        auto sy = fsync(dfd.value);
        close_quietly(dfd.value);  // read-only
        if (!sy.ok()) return failed(dir + ": fsync", sy.err);
      }
    }
    return ok_status();
  } catch (...) {
    return Status::failure(ENOMEM);
  }
}

Status Sys::random_bytes(void* out, std::size_t n) noexcept {
  auto* buf = static_cast<unsigned char*>(out);
  std::size_t got = 0;
  while (got < n) {
    auto r = getrandom(buf + got, n - got, GRND_NONBLOCK);
    if (!r.ok() && r.err == EINTR) continue;
    if (!r.ok() || r.value == 0) break;  // EAGAIN (pool not ready) or ENOSYS: fall back
    got += r.value;
  }
  if (got == n) return ok_status();
  auto fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (!fd.ok()) return Status::failure(fd.err);
  got = 0;
  while (got < n) {
    auto r = read(fd.value, buf + got, n - got);
    if (!r.ok() && r.err == EINTR) continue;
    if (!r.ok() || r.value == 0) break;
    got += r.value;
  }
  close_quietly(fd.value);  // read-only
  return got == n ? ok_status() : Status::failure(EIO);
}

Status Sys::mkdir_p(const std::string& path, mode_t mode) noexcept {
  try {
    std::string cur;
    std::size_t i = 0;
    while (i <= path.size()) {
      std::size_t slash = path.find('/', i);
      if (slash == std::string::npos) slash = path.size();
      cur = path.substr(0, slash);
      i = slash + 1;
      if (cur.empty()) continue;
      auto st = mkdir(cur, mode);
      if (!st.ok() && st.err != EEXIST) return st;
    }
  } catch (...) {
    return Status::failure(ENOMEM);
  }
  return ok_status();
}

std::vector<std::string> base_environment(std::string_view term) {
  return {"HOME=/root", "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "TERM=" + std::string(term)};
}

}  // namespace lifeboat::sys
