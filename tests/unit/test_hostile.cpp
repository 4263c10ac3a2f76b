// Issue 11: text from a guest never reaches a terminal raw.
#include <doctest/doctest.h>

#include "boot/log.h"
#include "cli/summary.h"
#include "common/text.h"
#include "fake_sys.h"
#include "report/status.h"

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

TEST_CASE("escape_control(keep_layout): command output keeps its lines and tabs") {
  CHECK(escape_control("a\tb\nc\x1b[2Jd\r\n", true) == "a\tb\nc\\x1b[2Jd\\x0d\n");
}
