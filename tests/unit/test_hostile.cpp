// Issue 11: text from a guest never reaches a terminal raw.
#include <doctest/doctest.h>

#include "boot/log.h"
#include "cli/summary.h"
#include "common/text.h"
#include "fake_sys.h"
#include "report/status.h"

#include <nlohmann/json.hpp>

using namespace lifeboat;

TEST_CASE("escape_control: C0, DEL, C1 and invalid UTF-8 as \\xNN; printable UTF-8 kept") {
  CHECK(escape_control("plain text") == "plain text");
  CHECK(escape_control("Debian \x1b[2J\x1b]0;owned\x07") == "Debian \\x1b[2J\\x1b]0;owned\\x07");
  CHECK(escape_control("a\rb\nc\td\x7f") == "a\\x0db\\x0ac\\x09d\\x7f");
  CHECK(escape_control("caf\xc3\xa9 \xe2\x9c\x93") == "caf\xc3\xa9 \xe2\x9c\x93");  // é and a check mark
  CHECK(escape_control("csi \xc2\x9b" "31m") == "csi \\xc2\\x9b31m");              // C1 CSI in UTF-8
  CHECK(escape_control("raw \x9b" "31m") == "raw \\x9b31m");                        // 8-bit CSI
  CHECK(escape_control("cut \xe2\x9c") == "cut \\xe2\\x9c");                        // truncated sequence
  CHECK(escape_control(std::string("nul\0x", 5)) == "nul\\x00x");
}

TEST_CASE("escape_control: strict UTF-8; overlong controls and bidi overrides escaped") {
  // Overlong spellings of ESC and of the C1 CSI: a lenient terminal would decode them.
  CHECK(escape_control("a\xc0\x9b" "b") == "a\\xc0\\x9bb");
  CHECK(escape_control("a\xe0\x80\x9b" "b") == "a\\xe0\\x80\\x9bb");
  CHECK(escape_control("a\xe0\x82\x9b" "31m") == "a\\xe0\\x82\\x9b31m");
  CHECK(escape_control("a\xf0\x80\x80\x9b") == "a\\xf0\\x80\\x80\\x9b");
  CHECK(escape_control("\xed\xa0\x80") == "\\xed\\xa0\\x80");          // a UTF-16 surrogate
  CHECK(escape_control("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");  // past U+10FFFF
  CHECK(escape_control("\xef\xbf\xbe") == "\\xef\\xbf\\xbe");          // U+FFFE
  // Right-to-left override and isolate: "exe.txt" would show as "txt.exe".
  CHECK(escape_control("evil\xe2\x80\xaetxt.exe") == "evil\\xe2\\x80\\xaetxt.exe");
  CHECK(escape_control("x\xe2\x81\xa6y") == "x\\xe2\\x81\\xa6y");
  // Valid characters of every length stay: U+00A0, U+20AC, U+FFFD, U+1F600, U+10FFFD.
  for (const char* ok : {"\xc2\xa0", "\xe2\x82\xac", "\xef\xbf\xbd", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbd"})
    CHECK(escape_control(ok) == ok);
  // A bad byte is escaped alone; what follows it is read afresh.
  CHECK(escape_control("\xe2\xc3\xa9") == "\\xe2\xc3\xa9");
}

TEST_CASE("utf8_char_len: the length of a valid character, else 0") {
  CHECK(utf8_char_len("\xc3\xa9", 0) == 2);
  CHECK(utf8_char_len("\xe2\x82\xac", 0) == 3);
  CHECK(utf8_char_len("\xf0\x9f\x98\x80", 0) == 4);
  CHECK(utf8_char_len("a", 0) == 0);
  CHECK(utf8_char_len("\xc3", 0) == 0);
  CHECK(utf8_char_len("\xc3\xa9", 2) == 0);  // past the end
  CHECK(utf8_char_len("\xc1\xbf", 0) == 0);
  CHECK(utf8_char_len("\xf5\x80\x80\x80", 0) == 0);
}

TEST_CASE("log: a guest's escape sequences are shown, not sent to the console") {
  test::FakeSys sys;
  Log log(sys);
  log.attach_console(1);
  log.line("disks: guest Evil\x1b[2J\x1b[H OS on vda1");
  CHECK(sys.console_text() == "lifeboat: disks: guest Evil\\x1b[2J\\x1b[H OS on vda1\n");
}

TEST_CASE("login summary: guest names escaped") {
  BootStatus st;
  st.set_section("disks", "{\"volumes\":[{\"name\":\"vda1\",\"type\":\"ext4\",\"label\":\"x\\u001b[31my\"}],"
                          "\"guests\":[{\"volume\":\"vda1\",\"pretty_name\":\"Evil\\u001b]0;t\\u0007\"}]}");
  std::string s = render_summary(render_status_json(st));
  CHECK(s.find('\x1b') == std::string::npos);
  CHECK(s.find("\"x\\x1b[31my\"") != std::string::npos);
  CHECK(s.find("guest: Evil\\x1b]0;t\\x07 on vda1") != std::string::npos);
}

TEST_CASE("status.json: ASCII only, so a guest's C1 or bidi control stays valid JSON on a terminal") {
  BootStatus st;
  st.set_section("disks", "{\"volumes\":[{\"name\":\"vda1\",\"label\":\"caf\u00e9 \u009b31m \u202eexe.txt\"}]}");
  const std::string text = render_status_json(st);
  for (char c : text) CHECK(static_cast<unsigned char>(c) < 0x80);
  CHECK(escape_control(text, true) == text);  // what `rescue status --json` prints
  auto doc = nlohmann::json::parse(text);
  CHECK(doc["disks"]["volumes"][0]["label"] == "caf\xc3\xa9 \xc2\x9b" "31m \xe2\x80\xae" "exe.txt");
}

TEST_CASE("escape_control(keep_layout): command output keeps its lines and tabs") {
  CHECK(escape_control("a\tb\nc\x1b[2Jd\r\n", true) == "a\tb\nc\\x1b[2Jd\\x0d\n");
}
