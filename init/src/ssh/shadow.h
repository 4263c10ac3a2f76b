#pragma once
// /etc/shadow rendering for the root password (pure).
//
//   name:password:lastchg:min:max:warn:inactive:expire:reserved
//
// The password field is a crypt(3) hash kept as given, or "*" (password login disabled).
// Anything that could break the file (':', newline, control characters) is refused and
// turns into "*" as well: a broken shadow file is worse than no password.
#include <string>
#include <string_view>

namespace lifeboat::ssh {

inline constexpr std::string_view kLockedPassword = "*";

// True when `hash` is safe as a shadow password field: non-empty, printable ASCII,
// no ':' and no whitespace.
bool valid_shadow_field(std::string_view hash) noexcept;

// "root:$6$...:::::::" (aging fields empty = no aging). An empty or unsafe hash gives "*".
std::string shadow_line(std::string_view user, std::string_view hash);

// Replaces the password field of `user`'s entry in an existing shadow file, keeping every
// other field and every other line byte for byte. Appends shadow_line() when the user has no
// entry. The result always ends with a newline.
std::string render_shadow(std::string_view existing_text, std::string_view user, std::string_view hash);

}  // namespace lifeboat::ssh
