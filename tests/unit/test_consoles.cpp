#include <doctest/doctest.h>

#include "supervise/consoles.h"
#include "boot/log.h"
#include "fake_sys.h"
#include "supervise/supervisor.h"

using namespace lifeboat;

TEST_CASE("consoles: parse /proc/consoles") {
  auto c = parse_proc_consoles(
      "ttyS0                -W- (EC p a)    4:64\n"
      "tty0                 -WU (E  p  )    4:1\n"
      "netcon0              -W- (E     )\n");
  REQUIRE(c.size() == 3);
  CHECK(c[0].name == "ttyS0");
  CHECK(c[0].flags == "-W-");
  CHECK(c[0].status == "EC p a");
  CHECK(c[0].major == 4);
  CHECK(c[0].minor == 64);
  CHECK(c[0].enabled());
  CHECK(c[1].name == "tty0");
  CHECK(c[1].flags == "-WU");
  CHECK(c[1].minor == 1);
  CHECK(c[2].name == "netcon0");
  CHECK(c[2].major == -1);
}

TEST_CASE("consoles: devices, tty0 -> tty1, duplicates and netconsole dropped") {
  auto d = console_devices(parse_proc_consoles(
      "ttyS0 -W- (EC p a) 4:64\n"
      "tty0 -WU (E  p  ) 4:1\n"
      "ttyS0 -W- (E p a) 4:64\n"
      "netcon0 -W- (E )\n"
      "hvc0 -W- (E p ) 229:0\n"));
  REQUIRE(d.size() == 3);
  CHECK(d[0] == ConsoleDevice{"/dev/ttyS0", "vt100"});
  CHECK(d[1] == ConsoleDevice{"/dev/tty1", "linux"});
  CHECK(d[2] == ConsoleDevice{"/dev/hvc0", "vt100"});
}

TEST_CASE("consoles: empty or garbage falls back to /dev/console") {
  auto d = console_devices(parse_proc_consoles(""));
  REQUIRE(d.size() == 1);
  CHECK(d[0] == ConsoleDevice{"/dev/console", "linux"});
  CHECK(console_devices(parse_proc_consoles("garbage\n\n  \n")).size() == 1);
}

TEST_CASE("consoles: term_for") {
  CHECK(term_for("ttyS0") == "vt100");
  CHECK(term_for("ttyAMA0") == "vt100");
  CHECK(term_for("hvc0") == "vt100");
  CHECK(term_for("tty1") == "linux");
  CHECK(term_for("console") == "linux");
}

TEST_CASE("consoles: shell and login commands") {
  auto sh = console_command({"/dev/ttyS0", "vt100"}, ConsoleMode::shell);
  CHECK(sh.name == "shell@ttyS0");
  CHECK(sh.spawn.argv == std::vector<std::string>{"/bin/sh", "-l"});
  CHECK(sh.spawn.new_session);
  CHECK(sh.spawn.controlling_tty);
  CHECK(sh.spawn.tty == "/dev/ttyS0");
  CHECK(sh.spawn.env == std::vector<std::string>{"HOME=/root", "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "TERM=vt100"});

  auto login = console_command({"/dev/tty1", "linux"}, ConsoleMode::login);
  CHECK(login.name == "getty@tty1");
  CHECK(login.spawn.argv == std::vector<std::string>{"/sbin/getty", "-L", "0", "tty1", "linux"});
}

TEST_CASE("consoles: register_console_services keeps devices that exist") {
  test::FakeSys sys;
  sys.add_file("/proc/consoles", "ttyS0 -W- (EC p a) 4:64\ntty0 -WU (E p ) 4:1\n");
  sys.add_file("/dev/ttyS0", "");
  Log log(sys);
  Supervisor sup(sys, log);
  CHECK(register_console_services(sys, sup, ConsoleMode::shell) == "shell@ttyS0");
  REQUIRE(sup.services().size() == 1);
  CHECK(sup.services()[0].spec.spawn.tty == "/dev/ttyS0");

  test::FakeSys bare;  // no /proc/consoles at all
  Supervisor sup2(bare, log);
  CHECK(register_console_services(bare, sup2, ConsoleMode::shell) == "shell@console");
}
