// authorized_keys validation, fingerprints (checked against `ssh-keygen -lf`), rendering.
#include <doctest/doctest.h>

#include "common/error.h"
#include "ssh/base64.h"
#include "ssh/keys.h"

using namespace lifeboat;
using namespace lifeboat::ssh;

namespace {
// Generated with `ssh-keygen -t ed25519 -C test@lifeboat`; `ssh-keygen -lf` printed
// "256 SHA256:y4ESXpOVegjEvihwPVD7vKhNz3rjWeezAzz1kg+Tj0w test@lifeboat (ED25519)".
const char* kEd25519 =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIq73hjYIxxnNxmJp21V+WSOvsznh88K+7a6XWmqhNJo test@lifeboat";
const char* kEd25519Fp = "SHA256:y4ESXpOVegjEvihwPVD7vKhNz3rjWeezAzz1kg+Tj0w";
// `ssh-keygen -t rsa -b 1024`: "1024 SHA256:Rh2iSqtJG8H6IGg0UH3HVWEuvwKTQtWpO34AINa9eAQ rsa@lifeboat (RSA)"
const char* kRsa =
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDFdYlF+5ZI2JTjJYTM46xNMsk0ODAqOb/th/aifbZmFvzlsF4mK8dNPtR5GZDtB1uigsLKoD0Io"
    "c8wc3bSHU0/0OkzHz7KFutMwnCwlBP7RoTtMwc9QmfDha9RD8pKYPpMYDN73d2R8r6LT4LJgXi5ZBiasX3kIfz9q1Ot5RncPw== rsa@lifeboat";
const char* kRsaFp = "SHA256:Rh2iSqtJG8H6IGg0UH3HVWEuvwKTQtWpO34AINa9eAQ";
// `ssh-keygen -t ecdsa -b 256`: "256 SHA256:6XkusWe+nkb+OUsLc0VfC40HqjzFRruZAoPlH2khC2g ec (ECDSA)"
const char* kEcdsa =
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBB04RhHqe8D1+kTUZt7oHSR606W53kKIfqgMpijw7Tys"
    "T+oT85ppcwAv3D6QAMVii1mgkG1OfFp+pdZ24Ec3XRY= ec";
const char* kEcdsaFp = "SHA256:6XkusWe+nkb+OUsLc0VfC40HqjzFRruZAoPlH2khC2g";

std::string wire(std::string_view s) {
  std::string out;
  out += static_cast<char>((s.size() >> 24) & 0xff);
  out += static_cast<char>((s.size() >> 16) & 0xff);
  out += static_cast<char>((s.size() >> 8) & 0xff);
  out += static_cast<char>(s.size() & 0xff);
  out += s;
  return out;
}
}  // namespace

TEST_CASE("ssh keys: fingerprints match ssh-keygen -lf") {
  for (auto [line, fp] : {std::pair{kEd25519, kEd25519Fp}, std::pair{kRsa, kRsaFp}, std::pair{kEcdsa, kEcdsaFp}}) {
    auto p = parse_public_key(line);
    REQUIRE(p.key);
    CHECK(fingerprint_sha256(p.key->blob) == fp);
  }
}

TEST_CASE("ssh keys: fields of a parsed key") {
  auto p = parse_public_key(kEd25519);
  REQUIRE(p.key);
  CHECK(p.key->type == "ssh-ed25519");
  CHECK(p.key->comment == "test@lifeboat");
  CHECK(p.key->options.empty());
  CHECK(p.key->blob.size() == 51);
  CHECK(canonical_line(*p.key) == kEd25519);
}

TEST_CASE("ssh keys: options prefix, comments, whitespace") {
  std::string line = std::string("no-pty,command=\"echo \\\"hi there\\\"\" ") + kEd25519;
  auto p = parse_public_key(line);
  REQUIRE(p.key);
  CHECK(p.key->options == "no-pty,command=\"echo \\\"hi there\\\"\"");
  CHECK(p.key->type == "ssh-ed25519");

  auto no_comment = parse_public_key("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIq73hjYIxxnNxmJp21V+WSOvsznh88K+7a6XWmqhNJo");
  REQUIRE(no_comment.key);
  CHECK(no_comment.key->comment.empty());

  auto spaced = parse_public_key(
      "  ssh-ed25519\tAAAAC3NzaC1lZDI1NTE5AAAAIIq73hjYIxxnNxmJp21V+WSOvsznh88K+7a6XWmqhNJo   my laptop key  \r");
  CHECK(spaced.problem == KeyProblem::none);  // trailing CR trimmed with the whitespace
  REQUIRE(spaced.key);
  CHECK(spaced.key->comment == "my laptop key");
}

TEST_CASE("ssh keys: invalid lines and their reasons") {
  CHECK(parse_public_key("").problem == KeyProblem::empty);
  CHECK(parse_public_key("   # a comment").problem == KeyProblem::empty);
  CHECK(parse_public_key("ssh-dss AAAAB3NzaC1kc3M= x").problem == KeyProblem::unknown_type);
  CHECK(parse_public_key("hunter2").problem == KeyProblem::unknown_type);
  CHECK(parse_public_key("ssh-ed25519 !!!notbase64!!! c").problem == KeyProblem::bad_base64);
  CHECK(parse_public_key("ssh-ed25519").problem == KeyProblem::bad_base64);
  CHECK(parse_public_key("command=\"unterminated ssh-ed25519 AAAA").problem == KeyProblem::bad_options);
  // The type on the line says rsa, the blob says ed25519.
  CHECK(parse_public_key("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIIq73hjYIxxnNxmJp21V+WSOvsznh88K+7a6XWmqhNJo").problem ==
        KeyProblem::type_mismatch);
  // ed25519 blob with a 31-byte key.
  std::string short_blob = base64_encode(wire("ssh-ed25519") + wire(std::string(31, 'k')));
  CHECK(parse_public_key("ssh-ed25519 " + short_blob).problem == KeyProblem::bad_blob);
  // Trailing garbage inside the blob.
  std::string long_blob = base64_encode(wire("ssh-ed25519") + wire(std::string(32, 'k')) + "x");
  CHECK(parse_public_key("ssh-ed25519 " + long_blob).problem == KeyProblem::bad_blob);
  // A length prefix pointing past the end.
  std::string lying = base64_encode(std::string("\x00\x00\xff\xff", 4) + "ssh-ed25519");
  CHECK(parse_public_key("ssh-ed25519 " + lying).problem == KeyProblem::bad_blob);
  // ecdsa with the wrong curve name.
  std::string wrong_curve = base64_encode(wire("ecdsa-sha2-nistp256") + wire("nistp384") + wire(std::string(65, '\x04')));
  CHECK(parse_public_key("ecdsa-sha2-nistp256 " + wrong_curve).problem == KeyProblem::bad_blob);
  // Embedded newline and NUL.
  CHECK(parse_public_key(std::string(kEd25519) + "\nssh-rsa x").problem == KeyProblem::control_chars);
  CHECK(parse_public_key(std::string("ssh-ed25519 AAAA\0x", 18)).problem == KeyProblem::control_chars);
  CHECK(parse_public_key(std::string(20000, 'A')).problem == KeyProblem::too_long);
}

TEST_CASE("ssh keys: sk- key types are accepted") {
  std::string sk = base64_encode(wire("sk-ssh-ed25519@openssh.com") + wire(std::string(32, 'k')) + wire("ssh:"));
  auto p = parse_public_key("sk-ssh-ed25519@openssh.com " + sk + " yubikey");
  REQUIRE(p.key);
  CHECK(p.key->type == "sk-ssh-ed25519@openssh.com");
  std::string point = std::string(1, '\x04') + std::string(64, 'p');
  std::string ske = base64_encode(wire("sk-ecdsa-sha2-nistp256@openssh.com") + wire("nistp256") + wire(point) + wire("ssh:"));
  CHECK(parse_public_key("sk-ecdsa-sha2-nistp256@openssh.com " + ske).key.has_value());
}

TEST_CASE("ssh keys: check_authorized_key names the field and never echoes the value") {
  Errors errors;
  CHECK_FALSE(check_authorized_key("mysecretpassword123", "config-2", "public_keys.mykey", errors));
  REQUIRE(errors.size() == 1);
  CHECK(describe(errors[0]).rfind("config-2: public_keys.mykey: not a valid OpenSSH public key", 0) == 0);
  CHECK(describe(errors[0]).find("mysecretpassword123") == std::string::npos);
  // Blank lines are not errors.
  CHECK_FALSE(check_authorized_key("   ", "config-2", "x", errors));
  CHECK(errors.size() == 1);
}

TEST_CASE("ssh keys: several lines in one text") {
  Errors errors;
  std::string text = std::string(kEd25519) + "\n# comment\n\nnot-a-key here\n" + kRsa + "\n";
  auto lines = check_authorized_keys_text(text, "cmdline", "lifeboat.ssh_key", errors);
  CHECK(lines.size() == 2);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].field == "lifeboat.ssh_key[1]");
}

TEST_CASE("ssh keys: dedupe by blob keeps the first source; rendering") {
  std::vector<meta::AuthorizedKey> keys;
  CHECK(append_unique_key(keys, {kEd25519, meta::Source::cmdline}));
  // Same key, another comment, another source: a duplicate.
  CHECK_FALSE(append_unique_key(keys, {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIq73hjYIxxnNxmJp21V+WSOvsznh88K+7a6XWmqhNJo other",
                                       meta::Source::imds}));
  CHECK(append_unique_key(keys, {kRsa, meta::Source::imds}));
  REQUIRE(keys.size() == 2);
  CHECK(keys[0].source == meta::Source::cmdline);
  std::string file = render_authorized_keys(keys);
  CHECK(file.find("# source: cmdline\n" + std::string(kEd25519) + "\n") != std::string::npos);
  CHECK(file.find("# source: imds\n" + std::string(kRsa) + "\n") != std::string::npos);
  // A line with a newline inside is never written.
  keys.push_back({"ssh-ed25519 AAAA\ncommand=evil", meta::Source::imds});
  CHECK(render_authorized_keys(keys).find("evil") == std::string::npos);
}
