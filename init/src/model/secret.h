#pragma once
// A small holder for secret text (plaintext passwords, private host keys, tokens).
//
// - no operator<< and no implicit conversion: reading it takes an explicit reveal();
// - redacted() is what may be printed;
// - the bytes are overwritten when the Secret is destroyed, reassigned or moved from.
// This limits accidental leaks (logs, Error messages, status.json); it is not a defence
// against someone reading the memory of PID 1.
#include <cstddef>
#include <string>
#include <string_view>

namespace lifeboat::meta {

class Secret {
 public:
  Secret() noexcept = default;
  explicit Secret(std::string_view text);
  Secret(const Secret& other);
  Secret(Secret&& other) noexcept;
  Secret& operator=(const Secret& other);
  Secret& operator=(Secret&& other) noexcept;
  ~Secret();

  std::string_view reveal() const noexcept { return value_; }
  bool empty() const noexcept { return value_.empty(); }
  std::size_t size() const noexcept { return value_.size(); }
  // "<redacted>" or "<empty>": never any of the secret's bytes.
  const char* redacted() const noexcept { return value_.empty() ? "<empty>" : "<redacted>"; }
  void clear() noexcept;

  bool operator==(const Secret& other) const noexcept;

 private:
  std::string value_;
};

// Overwrites a string's bytes (including its spare capacity) and empties it.
void wipe(std::string& s) noexcept;

}  // namespace lifeboat::meta
