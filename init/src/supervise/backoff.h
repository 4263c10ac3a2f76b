#pragma once
// Respawn backoff (pure): 0.5 s, doubling up to 10 s; a child that stayed up for 30 s
// or more starts again from 0.5 s.
#include <cstdint>

namespace lifeboat {

struct BackoffParams {
  std::int64_t initial_ms = 500;
  std::int64_t max_ms = 10000;
  std::int64_t reset_after_ms = 30000;
};

class Backoff {
 public:
  explicit Backoff(BackoffParams p = {}) noexcept : p_(p) {}

  // The child exited after running `uptime_ms`: how long to wait before starting it again.
  std::int64_t next_delay(std::int64_t uptime_ms) noexcept {
    if (uptime_ms >= p_.reset_after_ms) current_ = 0;
    current_ = current_ == 0 ? p_.initial_ms : (current_ >= p_.max_ms / 2 ? p_.max_ms : current_ * 2);
    return current_;
  }
  void reset() noexcept { current_ = 0; }

 private:
  BackoffParams p_;
  std::int64_t current_ = 0;
};

}  // namespace lifeboat
