#pragma once
// A log file that cannot grow without bound: the first `head` bytes go to the file as they
// come; after that the output rotates between two tail files (<path>.tail and
// <path>.tail.old, each at most `tail` bytes), so the newest output is kept too. finish()
// appends "### lifeboat: N bytes of output cut here" and the kept tail (at most `tail`
// bytes) to the file and removes the tail files. At any moment the three files together
// hold at most head + 2 * tail bytes (plus what was in the file before).
//
//   BoundedLog log(sys, "/run/lifeboat/fsck/vda1.log");
//   log.write(chunk); ...; log.finish();
//
// Markers (strings a caller looks for, e.g. e2fsck's "FILE SYSTEM WAS MODIFIED") are
// searched in the whole stream, including what is cut (MarkerScan).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sys/sys.h"

namespace lifeboat {

// Finds fixed strings in a stream that arrives in chunks of any size.
class MarkerScan {
 public:
  explicit MarkerScan(std::vector<std::string> markers = {});
  void feed(std::string_view chunk);
  const std::vector<bool>& found() const noexcept { return found_; }

 private:
  std::vector<std::string> markers_;
  std::vector<bool> found_;
  std::string window_;  // the last (longest marker - 1) bytes
  std::size_t keep_ = 0;
};

class BoundedLog {
 public:
  static constexpr std::size_t kDefaultHead = 1 << 20;
  static constexpr std::size_t kDefaultTail = 1 << 20;

  BoundedLog(sys::Sys& sys, std::string path, std::size_t head = kDefaultHead, std::size_t tail = kDefaultTail) noexcept
      : sys_(sys), path_(std::move(path)), head_(head), tail_(tail) {}
  BoundedLog(const BoundedLog&) = delete;
  BoundedLog& operator=(const BoundedLog&) = delete;
  BoundedLog(BoundedLog&& o) noexcept;
  ~BoundedLog();

  // Appends to the log (the file is opened O_APPEND on the first write and kept open).
  void write(std::string_view data) noexcept;
  // Puts the kept tail into the file with the "cut" line; closes. Idempotent.
  void finish() noexcept;

  std::uint64_t total() const noexcept { return total_; }   // bytes given to write()
  std::uint64_t cut() const noexcept { return cut_; }       // bytes not kept (known at finish)
  std::size_t errors() const noexcept { return errors_; }   // failed opens/writes
  const std::string& path() const noexcept { return path_; }

 private:
  bool open_fd(int& fd, const std::string& path, bool truncate) noexcept;
  void rotate() noexcept;

  sys::Sys& sys_;
  std::string path_;
  std::size_t head_, tail_;
  int fd_ = -1, tail_fd_ = -1;
  std::uint64_t total_ = 0, in_head_ = 0, in_tail_ = 0, dropped_ = 0, cut_ = 0;
  bool rotated_ = false, finished_ = false;
  std::size_t errors_ = 0;
};

}  // namespace lifeboat
