// SHA-256 (NIST vectors) and base64 (RFC 4648 vectors, round trips, strictness).
#include <doctest/doctest.h>

#include <string>

#include "ssh/base64.h"
#include "ssh/sha256.h"

using namespace lifeboat::ssh;

TEST_CASE("ssh sha256: NIST FIPS 180-2 vectors") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
                   "mnopqrstnopqrstu") == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST_CASE("ssh sha256: one million 'a', fed in odd-sized pieces") {
  Sha256 h;
  std::string chunk(997, 'a');
  std::size_t left = 1000000;
  while (left > 0) {
    std::size_t n = left < chunk.size() ? left : chunk.size();
    h.update(std::string_view(chunk).substr(0, n));
    left -= n;
  }
  auto d = h.finish();
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (auto b : d) {
    hex += kHex[b >> 4];
    hex += kHex[b & 15];
  }
  CHECK(hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("ssh sha256: padding boundaries 55/56/63/64/65 bytes match incremental hashing") {
  for (std::size_t n : {55u, 56u, 57u, 63u, 64u, 65u, 119u, 120u, 128u}) {
    std::string s(n, 'x');
    Sha256 h;
    for (char c : s) h.update(&c, 1);
    CHECK(h.finish() == sha256(s));
  }
  // The object is reusable after finish().
  Sha256 h;
  h.update("abc");
  h.finish();
  h.update("abc");
  CHECK(h.finish() == sha256("abc"));
}

TEST_CASE("ssh base64: RFC 4648 vectors") {
  const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char* enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (int i = 0; i < 7; ++i) {
    CHECK(base64_encode(plain[i]) == enc[i]);
    auto d = base64_decode(enc[i]);
    REQUIRE(d);
    CHECK(*d == plain[i]);
  }
  CHECK(base64_encode_unpadded("f") == "Zg");
  CHECK(base64_decode("Zg").value() == "f");     // padding optional
  CHECK(base64_decode("Zm8").value() == "fo");
}

TEST_CASE("ssh base64: round trip of all byte values and lengths") {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t len = 0; len <= all.size(); len += 7) {
    std::string s = all.substr(0, len);
    CHECK(base64_decode(base64_encode(s)).value() == s);
    CHECK(base64_decode(base64_encode_unpadded(s)).value() == s);
  }
}

TEST_CASE("ssh base64: strict decoding refuses junk") {
  CHECK_FALSE(base64_decode("Zm9v!"));
  CHECK_FALSE(base64_decode("Zm 9v"));
  CHECK_FALSE(base64_decode("Z"));         // impossible length
  CHECK_FALSE(base64_decode("Zg=a"));      // padding in the middle
  CHECK_FALSE(base64_decode("Zh=="));      // non-zero trailing bits
  CHECK_FALSE(base64_decode("Zg==="));     // too much padding
  CHECK_FALSE(base64_decode("Zm9v-_"));    // URL-safe alphabet is not standard
  CHECK(base64_decode_lenient("Zm9v\nYmFy\r\n").value() == "foobar");
  CHECK_FALSE(base64_decode_lenient("Zm9v\n!"));
}
