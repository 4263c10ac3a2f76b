// Reading a secret (cli/prompt.h): a terminal with echo off and restored, or one line on stdin.
#include <doctest/doctest.h>

#include <termios.h>

#include "cli/prompt.h"
#include "fake_sys.h"

using namespace lifeboat;

TEST_CASE("prompt: one line from stdin when it is not a terminal") {
  test::FakeSys sys;
  sys.files["/dev/stdin"] = "hunter2\r\nrest\n";
  std::string pw;
  CHECK(read_secret(sys, "Password: ", "Again: ", pw) == "");
  CHECK(pw == "hunter2");
  CHECK(sys.console_text().empty());  // no prompt written anywhere

  test::FakeSys empty;
  empty.files["/dev/stdin"] = "\n";
  CHECK(read_secret(empty, "Password: ", nullptr, pw) == "empty input refused");
  CHECK(pw.empty());
  test::FakeSys none;
  CHECK(read_secret(none, "Password: ", nullptr, pw) == "nothing on stdin (one line expected)");
}

TEST_CASE("prompt: on a terminal, echo off while typing, restored after, asked twice") {
  test::FakeSys sys;
  sys.tty_paths = {"/dev/console", "/dev/tty"};
  const unsigned cooked = ECHO | ICANON;
  sys.tty_lflag["/dev/tty"] = cooked;
  sys.files["/dev/tty"] = "s3cret\n";  // each open reads from the start: both answers match
  std::string pw;
  CHECK(read_secret(sys, "New password: ", "Retype: ", pw) == "");
  CHECK(pw == "s3cret");
  REQUIRE(sys.lflag_history.size() == 4);
  CHECK((sys.lflag_history[0] & ECHO) == 0);
  CHECK((sys.lflag_history[0] & ECHONL) != 0);
  CHECK(sys.lflag_history[1] == cooked);
  CHECK(sys.tty_lflag["/dev/tty"] == cooked);
  CHECK(sys.files["/dev/tty"].find("New password: ") != std::string::npos);
  CHECK(sys.files["/dev/tty"].find("Retype: ") != std::string::npos);
  CHECK(sys.fds_open().empty());
}

TEST_CASE("prompt: no /dev/tty: the terminal on stdin is used") {
  test::FakeSys sys;
  sys.tty_paths = {"/dev/console"};
  sys.files["/dev/console"] = "typed\n";  // what the admin types on the console (stdin's dup)
  std::string pw, error;
  CHECK(ask_tty(sys, "Passphrase: ", pw, error));
  CHECK(pw == "typed");
  CHECK(sys.console_text() == "typed\nPassphrase: ");
  CHECK(sys.fds_open().empty());
}
