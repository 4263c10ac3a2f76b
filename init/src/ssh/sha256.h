#pragma once
// SHA-256 (FIPS 180-4), small and self-contained: nothing else in the static init binary
// offers one. Used for OpenSSH key fingerprints ("SHA256:..."). Tested with NIST vectors.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lifeboat::ssh {

class Sha256 {
 public:
  using Digest = std::array<std::uint8_t, 32>;

  Sha256() noexcept;
  void update(std::string_view data) noexcept;
  void update(const void* data, std::size_t len) noexcept;
  Digest finish() noexcept;  // the object is reset afterwards

 private:
  void block(const std::uint8_t* p) noexcept;
  void reset() noexcept;

  std::uint32_t h_[8];
  std::uint8_t buf_[64];
  std::size_t buf_len_ = 0;
  std::uint64_t total_ = 0;  // bytes
};

Sha256::Digest sha256(std::string_view data) noexcept;
// Lowercase hex of the digest (64 characters).
std::string sha256_hex(std::string_view data);

}  // namespace lifeboat::ssh
