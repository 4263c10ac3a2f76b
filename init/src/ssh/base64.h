#pragma once
// Base64 (RFC 4648, standard alphabet) for OpenSSH key blobs, random seeds and the
// `lifeboat.ssh_key=` parameter. Pure, no allocation surprises, never throws.
#include <optional>
#include <string>
#include <string_view>

namespace lifeboat::ssh {

// Standard alphabet with '=' padding.
std::string base64_encode(std::string_view bytes);
// Same, without the trailing '=' (the form `ssh-keygen -l` prints after "SHA256:").
std::string base64_encode_unpadded(std::string_view bytes);

// Strict decode: standard alphabet only, padding optional but, if present, correct;
// no whitespace inside; non-zero trailing bits rejected. nullopt on anything else.
std::optional<std::string> base64_decode(std::string_view text);

// Lenient variant for multi-line input (PEM-ish bodies, user-supplied blobs): spaces,
// tabs, CR and LF are skipped, then decoded strictly.
std::optional<std::string> base64_decode_lenient(std::string_view text);

}  // namespace lifeboat::ssh
