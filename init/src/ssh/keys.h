#pragma once
// OpenSSH public keys as found in authorized_keys lines (pure).
//
//   line    := [options SP] type SP base64 [SP comment]
//   options := comma-separated, may hold "quoted strings" (with \" escapes) and no
//              unquoted whitespace, e.g.  no-pty,command="echo hi"
//   type    := ssh-ed25519 | ssh-rsa | ecdsa-sha2-nistp256|384|521
//              | sk-ssh-ed25519@openssh.com | sk-ecdsa-sha2-nistp256@openssh.com
// The base64 blob must decode strictly, start with the same type string, and have the
// layout of that type (ed25519: 32-byte key, ecdsa: matching curve name, rsa: e and n).
//
// Public keys are not secrets, but errors still name the key (field) and never echo it:
// a pasted private key or a password in the wrong field must not reach the console.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "model/model.h"

namespace lifeboat::ssh {

struct PublicKey {
  std::string options;  // "" when none
  std::string type;     // "ssh-ed25519"
  std::string base64;   // the blob as written (strict base64)
  std::string blob;     // decoded bytes
  std::string comment;  // "" when none
};

enum class KeyProblem {
  none,
  empty,          // blank or a '#' comment line: not a key, callers skip it
  too_long,       // > kMaxKeyLine
  control_chars,  // CR, LF, NUL or another control character inside the line
  bad_options,    // unbalanced quotes in the options prefix
  unknown_type,   // no supported key type where one is expected
  bad_base64,
  type_mismatch,  // the blob names another type than the line
  bad_blob,       // the blob's layout does not fit its type
};

inline constexpr std::size_t kMaxKeyLine = 16 * 1024;

// Short reason for messages, e.g. "unsupported key type".
const char* to_string(KeyProblem p) noexcept;

struct KeyParse {
  std::optional<PublicKey> key;
  KeyProblem problem = KeyProblem::none;
};

KeyParse parse_public_key(std::string_view line);

bool is_supported_key_type(std::string_view type) noexcept;

// "SHA256:<base64 of SHA-256(blob), no padding>", as `ssh-keygen -l` prints it.
std::string fingerprint_sha256(std::string_view blob);

// options + type + base64 + comment joined by single spaces (the form written to disk).
std::string canonical_line(const PublicKey& key);

// Validates one authorized_keys line. When invalid, appends
//   Error{source, field, "not a valid OpenSSH public key (<reason>)"}
// and returns nullopt. Blank and comment lines return nullopt without an error.
std::optional<PublicKey> check_authorized_key(std::string_view line, std::string_view source,
                                              std::string_view field, Errors& errors);

// Splits text into lines and checks each; fields are "<field>[N]" when there is more than
// one non-blank line, else "<field>". Returns the canonical lines of the valid keys.
std::vector<std::string> check_authorized_keys_text(std::string_view text, std::string_view source,
                                                    std::string_view field, Errors& errors);

// Appends `key` unless a key with the same blob is already in `list` (the first one, and
// so its source, is kept). Returns true when appended.
bool append_unique_key(std::vector<meta::AuthorizedKey>& list, meta::AuthorizedKey key);

// The content of /root/.ssh/authorized_keys: a header, then per key a "# source: X"
// comment and the canonical line. Empty input gives just the header.
std::string render_authorized_keys(const std::vector<meta::AuthorizedKey>& keys);

}  // namespace lifeboat::ssh
