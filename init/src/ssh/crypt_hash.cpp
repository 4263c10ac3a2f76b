#include "ssh/crypt_hash.h"

namespace lifeboat::meta {

bool looks_like_crypt_hash(std::string_view s) noexcept {
  if (s.size() < 20 || s.size() > 512 || s.front() != '$') return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '/' || c == '$' || c == '=' || c == ',' || c == '+' || c == '-';
    if (!ok) return false;
  }
  // id: 1-8 of [a-z0-9] between the first two '$'.
  std::size_t second = s.find('$', 1);
  if (second == std::string_view::npos || second == 1 || second > 9) return false;
  for (std::size_t i = 1; i < second; ++i) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  // At least one more '$' with something after it; no empty segments.
  std::size_t last = s.rfind('$');
  if (last == second) return false;
  if (s.size() - last - 1 < 16) return false;
  for (std::size_t i = 1; i < s.size(); ++i)
    if (s[i] == '$' && s[i - 1] == '$') return false;
  return true;
}

}  // namespace lifeboat::meta
