#include "common/bounded_log.h"

#include <fcntl.h>

#include <algorithm>

#include "common/text.h"

namespace lifeboat {

MarkerScan::MarkerScan(std::vector<std::string> markers) : markers_(std::move(markers)), found_(markers_.size(), false) {
  for (const auto& m : markers_) keep_ = std::max(keep_, m.empty() ? 0 : m.size() - 1);
}

void MarkerScan::feed(std::string_view chunk) {
  if (markers_.empty() || chunk.empty()) return;
  // Only the window plus the chunk is searched: a marker that spans chunks is found
  // because the window keeps the last (longest marker - 1) bytes.
  std::string text = window_;
  text.append(chunk);
  for (std::size_t i = 0; i < markers_.size(); ++i)
    if (!found_[i] && !markers_[i].empty() && text.find(markers_[i]) != std::string::npos) found_[i] = true;
  window_ = text.size() > keep_ ? text.substr(text.size() - keep_) : text;
}

BoundedLog::BoundedLog(BoundedLog&& o) noexcept
    : sys_(o.sys_), path_(std::move(o.path_)), head_(o.head_), tail_(o.tail_), fd_(o.fd_), tail_fd_(o.tail_fd_),
      total_(o.total_), in_head_(o.in_head_), in_tail_(o.in_tail_), dropped_(o.dropped_), cut_(o.cut_),
      rotated_(o.rotated_), finished_(o.finished_), errors_(o.errors_) {
  o.fd_ = o.tail_fd_ = -1;
  o.finished_ = true;
}

BoundedLog::~BoundedLog() { finish(); }

bool BoundedLog::open_fd(int& fd, const std::string& path, bool truncate) noexcept {
  if (fd >= 0) return true;
  auto o = sys_.open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | (truncate ? O_TRUNC : O_APPEND), 0600);
  if (!o.ok()) {
    ++errors_;
    return false;
  }
  fd = o.value;
  return true;
}

void BoundedLog::rotate() noexcept {
  if (tail_fd_ >= 0) sys_.close_quietly(tail_fd_);
  tail_fd_ = -1;
  try {
    if (rotated_) dropped_ += tail_;  // what .tail.old held (about tail_ bytes) is gone now
    if (!sys_.rename(path_ + ".tail", path_ + ".tail.old").ok()) ++errors_;
  } catch (...) {
    ++errors_;
  }
  rotated_ = true;
  in_tail_ = 0;
}

void BoundedLog::write(std::string_view data) noexcept {
  if (finished_ || path_.empty()) return;
  total_ += data.size();
  try {
    if (in_head_ < head_) {
      const std::size_t n = std::min<std::size_t>(data.size(), head_ - in_head_);
      if (open_fd(fd_, path_, false) && !sys_.write_all(fd_, data.substr(0, n)).ok()) ++errors_;
      in_head_ += n;
      data.remove_prefix(n);
    }
    while (!data.empty()) {
      if (in_tail_ >= tail_) rotate();
      if (tail_fd_ < 0 && !open_fd(tail_fd_, path_ + ".tail", true)) return;
      const std::size_t n = std::min<std::size_t>(data.size(), tail_ - in_tail_);
      if (!sys_.write_all(tail_fd_, data.substr(0, n)).ok()) ++errors_;
      in_tail_ += n;
      data.remove_prefix(n);
    }
  } catch (...) {
    ++errors_;
  }
}

void BoundedLog::finish() noexcept {
  if (finished_) return;
  finished_ = true;
  try {
    if (tail_fd_ >= 0) {
      sys_.close_quietly(tail_fd_);
      tail_fd_ = -1;
      std::string kept;
      if (rotated_) {
        auto old = sys_.read_file(path_ + ".tail.old", tail_ + 1);
        if (old.ok()) kept = std::move(old.value);
      }
      auto cur = sys_.read_file(path_ + ".tail", tail_ + 1);
      if (cur.ok()) kept += cur.value;
      if (kept.size() > tail_) {
        dropped_ += kept.size() - tail_;
        kept.erase(0, kept.size() - tail_);
      }
      // What was never written anywhere: total minus head minus what the tail files saw.
      const std::uint64_t kept_total = in_head_ + kept.size();
      cut_ = total_ > kept_total ? total_ - kept_total : 0;
      if (open_fd(fd_, path_, false)) {
        std::string line = strformat("\n### lifeboat: %llu bytes of output cut here (%llu in all; the first %llu and the last %zu kept)\n",
                                     static_cast<unsigned long long>(cut_), static_cast<unsigned long long>(total_),
                                     static_cast<unsigned long long>(in_head_), kept.size());
        if (!sys_.write_all(fd_, line).ok() || !sys_.write_all(fd_, kept).ok()) ++errors_;
      }
      (void)sys_.unlink(path_ + ".tail");
      if (rotated_) (void)sys_.unlink(path_ + ".tail.old");
    }
  } catch (...) {
    ++errors_;
  }
  if (fd_ >= 0) sys_.close_quietly(fd_);
  fd_ = -1;
}

}  // namespace lifeboat
