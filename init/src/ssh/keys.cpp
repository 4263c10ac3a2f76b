#include "ssh/keys.h"

#include <cstdint>

#include "common/text.h"
#include "ssh/base64.h"
#include "ssh/sha256.h"

namespace lifeboat::ssh {

namespace {

constexpr std::string_view kTypes[] = {
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
};

bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }

// Reads SSH wire-format strings (uint32 big-endian length + bytes) from a blob.
class BlobReader {
 public:
  explicit BlobReader(std::string_view b) noexcept : rest_(b) {}
  bool read(std::string_view& out) noexcept {
    if (rest_.size() < 4) return false;
    std::uint32_t n = (std::uint32_t(static_cast<unsigned char>(rest_[0])) << 24) |
                      (std::uint32_t(static_cast<unsigned char>(rest_[1])) << 16) |
                      (std::uint32_t(static_cast<unsigned char>(rest_[2])) << 8) |
                      std::uint32_t(static_cast<unsigned char>(rest_[3]));
    rest_.remove_prefix(4);
    if (n > rest_.size()) return false;
    out = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return true;
  }
  bool done() const noexcept { return rest_.empty(); }

 private:
  std::string_view rest_;
};

// Checks the blob's layout after its type string.
bool blob_layout_ok(std::string_view type, BlobReader& r) noexcept {
  std::string_view a, b, c;
  if (type == "ssh-ed25519") return r.read(a) && a.size() == 32 && r.done();
  if (type == "sk-ssh-ed25519@openssh.com") return r.read(a) && a.size() == 32 && r.read(b) && r.done();
  if (type == "ssh-rsa") {
    // mpint e, mpint n: both non-empty, n at least 512 bits.
    return r.read(a) && !a.empty() && r.read(b) && b.size() >= 64 && r.done();
  }
  auto ecdsa = [&](std::string_view curve, std::size_t point_len, bool sk) {
    if (!r.read(a) || a != curve) return false;
    if (!r.read(b) || b.size() != point_len || b[0] != 0x04) return false;
    if (sk && !r.read(c)) return false;
    return r.done();
  };
  if (type == "ecdsa-sha2-nistp256") return ecdsa("nistp256", 65, false);
  if (type == "ecdsa-sha2-nistp384") return ecdsa("nistp384", 97, false);
  if (type == "ecdsa-sha2-nistp521") return ecdsa("nistp521", 133, false);
  if (type == "sk-ecdsa-sha2-nistp256@openssh.com") return ecdsa("nistp256", 65, true);
  return false;
}

// Splits off the options prefix (quoted strings may contain spaces). false when unbalanced.
bool take_options(std::string_view& line, std::string_view& options) noexcept {
  bool in_quote = false;
  std::size_t i = 0;
  for (; i < line.size(); ++i) {
    char c = line[i];
    if (in_quote) {
      if (c == '\\' && i + 1 < line.size()) {
        ++i;
      } else if (c == '"') {
        in_quote = false;
      }
    } else if (c == '"') {
      in_quote = true;
    } else if (is_blank(c)) {
      break;
    }
  }
  if (in_quote) return false;
  options = line.substr(0, i);
  line.remove_prefix(i);
  while (!line.empty() && is_blank(line.front())) line.remove_prefix(1);
  return true;
}

std::string_view take_word(std::string_view& line) noexcept {
  std::size_t i = 0;
  while (i < line.size() && !is_blank(line[i])) ++i;
  std::string_view w = line.substr(0, i);
  line.remove_prefix(i);
  while (!line.empty() && is_blank(line.front())) line.remove_prefix(1);
  return w;
}

}  // namespace

const char* to_string(KeyProblem p) noexcept {
  switch (p) {
    case KeyProblem::none: return "ok";
    case KeyProblem::empty: return "empty line";
    case KeyProblem::too_long: return "line too long";
    case KeyProblem::control_chars: return "control characters in the line";
    case KeyProblem::bad_options: return "unbalanced quotes in the options";
    case KeyProblem::unknown_type: return "unsupported key type";
    case KeyProblem::bad_base64: return "key data is not valid base64";
    case KeyProblem::type_mismatch: return "key data does not match its type";
    case KeyProblem::bad_blob: return "key data is malformed";
  }
  return "invalid";
}

bool is_supported_key_type(std::string_view type) noexcept {
  for (auto t : kTypes)
    if (t == type) return true;
  return false;
}

KeyParse parse_public_key(std::string_view line) {
  KeyParse r;
  if (line.size() > kMaxKeyLine) {
    r.problem = KeyProblem::too_long;
    return r;
  }
  line = trim(line);
  if (line.empty() || line.front() == '#') {
    r.problem = KeyProblem::empty;
    return r;
  }
  for (char c : line) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) {
      r.problem = KeyProblem::control_chars;
      return r;
    }
  }
  std::string_view options;
  std::string_view rest = line;
  std::string_view first = line.substr(0, line.find_first_of(" \t"));
  if (!is_supported_key_type(first)) {
    if (!take_options(rest, options)) {
      r.problem = KeyProblem::bad_options;
      return r;
    }
  }
  std::string_view type = take_word(rest);
  if (!is_supported_key_type(type)) {
    r.problem = KeyProblem::unknown_type;
    return r;
  }
  std::string_view b64 = take_word(rest);
  auto blob = base64_decode(b64);
  if (b64.empty() || !blob) {
    r.problem = KeyProblem::bad_base64;
    return r;
  }
  BlobReader reader(*blob);
  std::string_view blob_type;
  if (!reader.read(blob_type)) {
    r.problem = KeyProblem::bad_blob;
    return r;
  }
  if (blob_type != type) {
    r.problem = KeyProblem::type_mismatch;
    return r;
  }
  if (!blob_layout_ok(type, reader)) {
    r.problem = KeyProblem::bad_blob;
    return r;
  }
  PublicKey k;
  k.options = std::string(options);
  k.type = std::string(type);
  k.base64 = std::string(b64);
  k.blob = std::move(*blob);
  k.comment = std::string(trim(rest));
  r.key = std::move(k);
  return r;
}

std::string fingerprint_sha256(std::string_view blob) {
  auto d = sha256(blob);
  return "SHA256:" + base64_encode_unpadded(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

std::string canonical_line(const PublicKey& key) {
  std::string out;
  if (!key.options.empty()) {
    out += key.options;
    out += ' ';
  }
  out += key.type;
  out += ' ';
  out += key.base64;
  if (!key.comment.empty()) {
    out += ' ';
    out += key.comment;
  }
  return out;
}

std::optional<PublicKey> check_authorized_key(std::string_view line, std::string_view source,
                                              std::string_view field, Errors& errors) {
  KeyParse p = parse_public_key(line);
  if (p.key) return std::move(p.key);
  if (p.problem != KeyProblem::empty) {
    errors.push_back(Error{std::string(source), std::string(field),
                           std::string("not a valid OpenSSH public key (") + to_string(p.problem) + ")"});
  }
  return std::nullopt;
}

std::vector<std::string> check_authorized_keys_text(std::string_view text, std::string_view source,
                                                    std::string_view field, Errors& errors) {
  std::vector<std::string_view> lines;
  for (auto l : split_lines(text)) {
    auto t = trim(l);
    if (!t.empty() && t.front() != '#') lines.push_back(l);
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string f(field);
    if (lines.size() > 1) f += "[" + std::to_string(i) + "]";
    if (auto k = check_authorized_key(lines[i], source, f, errors)) out.push_back(canonical_line(*k));
  }
  return out;
}

bool append_unique_key(std::vector<meta::AuthorizedKey>& list, meta::AuthorizedKey key) {
  auto k = parse_public_key(key.line);
  for (const auto& existing : list) {
    if (existing.line == key.line) return false;
    auto e = parse_public_key(existing.line);
    if (k.key && e.key && k.key->blob == e.key->blob) return false;
  }
  list.push_back(std::move(key));
  return true;
}

std::string render_authorized_keys(const std::vector<meta::AuthorizedKey>& keys) {
  std::string out = "# written by lifeboat at boot: edits are lost on reboot\n";
  for (const auto& k : keys) {
    if (k.line.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) continue;
    out += "# source: ";
    out += meta::to_string(k.source);
    out += '\n';
    out += k.line;
    out += '\n';
  }
  return out;
}

}  // namespace lifeboat::ssh
