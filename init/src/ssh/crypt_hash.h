#pragma once
// Recognising crypt(3) password hashes (pure): "$id$[params$]salt$hash".
//   $1$ md5, $5$ sha256, $6$ sha512 (optionally "rounds=N$"), $y$ yescrypt, $2b$/$2y$ bcrypt,
//   $gy$, $7$ ... any lowercase/digit id is accepted: the system's crypt() decides later.
// Only the shape is checked: the charset of crypt output ([A-Za-z0-9./] plus "=,+-" used
// in parameters), at least "$id$x$hash", a final segment of 16 or more characters, no ':'
// or whitespace (the value lands in /etc/shadow). A plaintext password that happens to
// look like this would be taken as a hash: sources say which one they mean when they can.
#include <string_view>

namespace lifeboat::meta {

bool looks_like_crypt_hash(std::string_view text) noexcept;

}  // namespace lifeboat::meta
