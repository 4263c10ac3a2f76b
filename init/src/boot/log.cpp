#include "boot/log.h"

#include "common/text.h"

#include <fcntl.h>

#include <cerrno>
#include <cstdio>

namespace lifeboat {

namespace {
constexpr std::size_t kMaxLine = 900;           // kmsg records are limited to ~1 KB
constexpr std::size_t kMaxEarlyBytes = 32 * 1024;
}  // namespace

void Log::attach_console(int fd) noexcept {
  const bool had_console = console_fd_ >= 0;
  console_fd_ = fd;
  if (fd < 0 || had_console) return;  // a new fd for the same console: no replay
  for (const auto& l : early_lines_) emit_console(l);
}

bool Log::attach_kmsg(const std::string& path) noexcept {
  if (kmsg_fd_ >= 0) return true;
  auto fd = sys_.open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (!fd.ok()) return false;
  kmsg_fd_ = fd.value;
  for (const auto& l : early_lines_) emit_kmsg(l);
  return true;
}

void Log::end_early() noexcept {
  early_ = false;
  early_lines_.clear();
  early_lines_.shrink_to_fit();
}

void Log::emit_console(std::string_view text) noexcept {
  if (console_fd_ < 0) return;
  char buf[kMaxLine + 16];
  int n = std::snprintf(buf, sizeof buf, "lifeboat: %.*s\n", static_cast<int>(text.size()),
                        text.data());
  if (n <= 0) return;
  std::size_t len = std::min(static_cast<std::size_t>(n), sizeof buf - 1);
  if (len == sizeof buf - 1) buf[len - 1] = '\n';
  (void)sys_.write_all(console_fd_, std::string_view(buf, len));  // nowhere to report a console error
}

void Log::emit_kmsg(std::string_view text) noexcept {
  if (kmsg_fd_ < 0) return;
  char buf[kMaxLine + 16];
  int n = std::snprintf(buf, sizeof buf, "<6>lifeboat: %.*s\n", static_cast<int>(text.size()),
                        text.data());
  if (n <= 0) return;
  std::size_t len = std::min(static_cast<std::size_t>(n), sizeof buf - 1);
  (void)sys_.write(kmsg_fd_, buf, len);  // one write = one record; the console has the line anyway
}

void Log::line(std::string_view raw) noexcept {
  // Guest-provided text (labels, PRETTY_NAME, fstab fields) reaches these lines: never raw.
  std::string safe;
  try {
    safe = escape_control(raw.size() > kMaxLine ? raw.substr(0, kMaxLine) : raw);
  } catch (...) {
    return;
  }
  std::string_view text = safe;
  if (text.size() > kMaxLine) text = text.substr(0, kMaxLine);
  emit_console(text);
  emit_kmsg(text);
  if (early_ && (console_fd_ < 0 || kmsg_fd_ < 0) && early_bytes_ + text.size() < kMaxEarlyBytes) {
    try {
      early_lines_.emplace_back(text);
      early_bytes_ += text.size();
    } catch (...) {
    }
  }
}

void Log::vinfo(const char* fmt, va_list ap) noexcept {
  char buf[kMaxLine + 1];
  int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  if (n < 0) return;
  line(std::string_view(buf, std::min(static_cast<std::size_t>(n), kMaxLine)));
}

void Log::info(const char* fmt, ...) noexcept {
  va_list ap;
  va_start(ap, fmt);
  vinfo(fmt, ap);
  va_end(ap);
}

void Log::debug(const char* fmt, ...) noexcept {
  if (!debug_) return;
  va_list ap;
  va_start(ap, fmt);
  vinfo(fmt, ap);
  va_end(ap);
}

namespace {

sys::Status write_proc(sys::Sys& sys, const std::string& proc, const char* rel, const char* value) noexcept {
  try {
    return sys.write_file(proc + rel, value);
  } catch (...) {
    return sys::Status::failure(ENOMEM);
  }
}

}  // namespace

sys::Status quiet_console_loglevel(sys::Sys& sys, const std::string& proc) noexcept {
  return write_proc(sys, proc, "/sys/kernel/printk", "4\n");
}

sys::Status unlimit_kmsg(sys::Sys& sys, const std::string& proc) noexcept {
  return write_proc(sys, proc, "/sys/kernel/printk_devkmsg", "on\n");
}

}  // namespace lifeboat
