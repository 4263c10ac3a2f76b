#pragma once
// Small string helpers (no iostream, no std::format: zig 0.11's libc++ lacks it).
#include <cstdarg>
#include <string>
#include <string_view>
#include <vector>

namespace lifeboat {

// printf into a std::string.
std::string strformat(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string vstrformat(const char* fmt, va_list ap);

std::string_view trim(std::string_view s) noexcept;
std::vector<std::string_view> split_lines(std::string_view text);
// Splits on runs of spaces/tabs/newlines; no empty fields.
std::vector<std::string_view> split_ws(std::string_view text);

// For messages: a value in double quotes, control characters escaped, cut at max_len.
std::string quoted(std::string_view value, std::size_t max_len = 64);

// The length (2-4) of the valid multi-byte UTF-8 character at s[i], or 0. Strict, as udev
// and modern terminals decode: overlong forms (an ESC or a CSI spelt in 2-3 bytes),
// surrogates, U+FFFE/U+FFFF and code points past U+10FFFF are not valid.
std::size_t utf8_char_len(std::string_view s, std::size_t i) noexcept;

// Text for a terminal: control characters (C0, DEL, C1), the bidirectional embedding,
// override and isolate controls (U+202A-U+202E, U+2066-U+2069: they reorder what follows
// on screen) and bytes that are not valid UTF-8 (utf8_char_len) shown as \xNN, so nothing
// a guest wrote (a label, PRETTY_NAME, a file name) can move the cursor, retitle the
// window or disguise what follows. Other printable UTF-8 is kept.
// keep_layout: newlines and tabs pass (multi-line command output); everything else as above.
std::string escape_control(std::string_view text, bool keep_layout = false);

// "/usr/bin/rescue" -> "rescue"
std::string_view path_basename(std::string_view path) noexcept;

// Decimal parse; false on anything but digits (with an optional leading '-').
bool parse_int(std::string_view s, long long& out) noexcept;
// ASCII case-insensitive equality (labels, MACs, hex UUIDs).
bool iequal(std::string_view a, std::string_view b) noexcept;

// RFC 1123-ish: 1-64 chars of letters, digits, '-', '.'; no leading '-' or '.'.
bool valid_hostname(const std::string& name) noexcept;

// fstab and mountinfo octal escapes decoded: \040 (space), \011 (tab), \012, \134 (backslash).
std::string unescape_octal(std::string_view s);

}  // namespace lifeboat
