#include <doctest/doctest.h>

#include "boot/log.h"
#include "fake_sys.h"
#include "supervise/backoff.h"
#include "supervise/supervisor.h"

using namespace lifeboat;

TEST_CASE("backoff: 0.5 s doubling to 10 s, reset after 30 s of uptime") {
  Backoff b;
  CHECK(b.next_delay(0) == 500);
  CHECK(b.next_delay(100) == 1000);
  CHECK(b.next_delay(100) == 2000);
  CHECK(b.next_delay(100) == 4000);
  CHECK(b.next_delay(100) == 8000);
  CHECK(b.next_delay(100) == 10000);
  CHECK(b.next_delay(29999) == 10000);
  CHECK(b.next_delay(30000) == 500);
  CHECK(b.next_delay(10) == 1000);
  b.reset();
  CHECK(b.next_delay(10) == 500);
  Backoff custom(BackoffParams{100, 250, 1000});
  CHECK(custom.next_delay(0) == 100);
  CHECK(custom.next_delay(0) == 200);
  CHECK(custom.next_delay(0) == 250);
}

namespace {
ServiceSpec dropbear(std::vector<std::string> argv) {
  ServiceSpec s;
  s.name = "dropbear";
  s.spawn.argv = std::move(argv);
  s.spawn.new_session = true;
  return s;
}

ServiceSpec shell(const char* name = "shell@ttyS0") {
  ServiceSpec s;
  s.name = name;
  s.spawn.argv = {"/bin/sh", "-l"};
  s.spawn.env = sys::base_environment("vt100");
  s.spawn.tty = "/dev/ttyS0";
  s.spawn.new_session = true;
  s.spawn.controlling_tty = true;
  return s;
}
}  // namespace

TEST_CASE("supervisor: services start on start_services() and respawn with backoff") {
  test::FakeSys sys;
  Log log(sys);
  log.attach_console(1);
  Supervisor sup(sys, log);
  sup.add_service(shell());
  CHECK(sys.spawns.empty());  // not before start_services()
  sup.start_services();
  REQUIRE(sys.spawns.size() == 1);
  const pid_t first = sup.services()[0].pid;
  CHECK(first == 100);
  CHECK(sys.spawn_of(first).tty == "/dev/ttyS0");
  CHECK(sys.spawn_of(first).new_session);

  // It exits quickly: restarted 500 ms later, not before.
  sys.now_ms += 100;
  sys.exit_child(first, 0);
  sup.poll(0);
  CHECK(sup.services()[0].pid == 0);
  CHECK(sys.spawns.size() == 1);
  sup.poll(-1);  // waits exactly until the respawn deadline
  CHECK(sys.spawns.size() == 2);
  CHECK(sup.services()[0].pid == 101);
  CHECK(sup.services()[0].starts == 2);

  // Exits again quickly: 1 s this time.
  sys.exit_child(101, 1);
  sup.poll(0);
  const auto t0 = sys.now_ms;
  sup.poll(-1);
  CHECK(sys.now_ms - t0 == 1000);
  CHECK(sup.services()[0].pid == 102);

  // Ran for a minute: back to 500 ms.
  sys.now_ms += 60000;
  sys.exit_child(102, 0);
  sup.poll(0);
  CHECK(sup.services()[0].next_start_ms == sys.now_ms + 500);
  CHECK(sys.console_text().find("service shell@ttyS0: exit status 1; restarting in 1000 ms") != std::string::npos);
}

TEST_CASE("supervisor: a service added after start_services() starts at once") {
  test::FakeSys sys;
  Log log(sys);
  Supervisor sup(sys, log);
  sup.start_services();
  ServiceSpec s;
  s.name = "dropbear";
  s.spawn.argv = {"/sbin/dropbear", "-F"};
  sup.add_service(s);
  CHECK(sys.spawns.size() == 1);
  CHECK(sup.services()[0].pid != 0);
}

TEST_CASE("supervisor: start_now() starts one service ahead of the others, once") {
  test::FakeSys sys;
  Log log(sys);
  Supervisor sup(sys, log);
  const ServiceSpec ssh = dropbear({"/sbin/dropbear", "-F"});
  sup.add_service(shell());
  sup.start_now(sup.add_service(ssh));
  REQUIRE(sys.spawns.size() == 1);
  CHECK(sys.spawns[0].argv[0] == "/sbin/dropbear");
  sup.start_now(1);  // already running: nothing
  sup.start_now(7);  // no such service: nothing
  CHECK(sys.spawns.size() == 1);
  sup.start_services();  // the shell; Dropbear is not started twice
  REQUIRE(sys.spawns.size() == 2);
  CHECK(sys.spawns[1].argv[0] != "/sbin/dropbear");
  // A shutdown requested during the boot: nothing more is started early.
  Supervisor sup2(sys, log);
  sup2.request_shutdown(ShutdownKind::poweroff);
  sup2.start_now(sup2.add_service(ssh));
  CHECK(sys.spawns.size() == 2);
}

TEST_CASE("supervisor: a service that cannot be spawned is retried with backoff") {
  test::FakeSys sys;
  sys.spawn_errors["/bin/sh"] = ENOENT;
  Log log(sys);
  Supervisor sup(sys, log);
  sup.add_service(shell());
  sup.start_services();
  CHECK(sup.services()[0].pid == 0);
  CHECK(sup.services()[0].next_start_ms == sys.now_ms + 500);
  sup.poll(-1);
  CHECK(sys.spawns.size() == 2);
  CHECK(sup.services()[0].next_start_ms == sys.now_ms + 1000);
}

TEST_CASE("supervisor: orphans are reaped, ignored signals change nothing") {
  test::FakeSys sys;
  Log log(sys);
  Supervisor sup(sys, log);
  sys.live.insert(555);
  sys.exit_child(555, 0);  // an orphan re-parented to PID 1
  sys.queue_signal(SIGHUP);
  sup.poll(0);
  sup.poll(0);
  CHECK(sys.zombies.empty());
  CHECK(sup.pending_shutdown() == ShutdownKind::none);
}

TEST_CASE("supervisor: shutdown signals reach the handler; services stop respawning") {
  test::FakeSys sys;
  Log log(sys);
  Supervisor sup(sys, log);
  std::vector<ShutdownKind> seen;
  sup.set_shutdown_handler([&](ShutdownKind k) {
    seen.push_back(k);
    sup.stop_services();
  });
  sup.add_service(shell());
  sup.start_services();
  sys.queue_signal(SIGUSR2);
  sup.poll(0);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] == ShutdownKind::poweroff);
  sys.exit_child(100, 0);
  sup.poll(0);
  sup.poll(20000);
  CHECK(sys.spawns.size() == 1);  // no respawn after stop_services()

  Supervisor sup2(sys, log);
  std::vector<ShutdownKind> seen2;
  sup2.set_shutdown_handler([&](ShutdownKind k) { seen2.push_back(k); });
  for (int sig : {SIGINT, SIGTERM, SIGUSR1}) {
    sys.queue_signal(sig);
    sup2.poll(0);
  }
  CHECK(seen2 == std::vector<ShutdownKind>{ShutdownKind::reboot, ShutdownKind::reboot, ShutdownKind::halt});
}

TEST_CASE("supervisor: run() returns the exit status and keeps reaping others") {
  test::FakeSys sys;
  Log log(sys);
  Supervisor sup(sys, log);
  sup.add_service(shell());
  sup.start_services();  // pid 100
  sys.live.insert(777);

  // The one-shot will be pid 101. While it runs: the shell dies, an orphan dies, and a
  // poweroff request arrives; then the one-shot exits 3.
  bool handled = false;
  sup.set_shutdown_handler([&](ShutdownKind) { handled = true; });
  sys.script = {
      [&] { sys.exit_child(100, 0); },
      [&] { sys.exit_child(777, 0); },
      [&] { sys.queue_signal(SIGUSR2); },
      [&] { sys.exit_child(101, 3); },
  };
  RunSpec r;
  r.argv = {"/sbin/fsck", "-p"};
  r.timeout_ms = 60000;
  auto res = sup.run(r);
  CHECK(res.kind == RunResult::Kind::exited);
  CHECK(res.code == 3);
  CHECK_FALSE(res.ok());
  CHECK(res.describe() == "exit status 3");
  CHECK(sys.spawn_of(101).new_process_group);
  CHECK(sys.zombies.empty());
  CHECK_FALSE(handled);  // queued during run()
  CHECK(sup.pending_shutdown() == ShutdownKind::poweroff);
  sup.poll(0);
  CHECK(handled);
}

TEST_CASE("supervisor: run() timeout sends SIGTERM to the group, then SIGKILL") {
  test::FakeSys sys;
  Log log(sys);
  Supervisor sup(sys, log);
  RunSpec r;
  r.argv = {"/bin/stubborn"};
  r.timeout_ms = 200;
  sys.on_kill = [&](pid_t p, int sig) {
    if (p == -100 && sig == SIGKILL) sys.kill_child(100, SIGKILL);
  };
  const auto t0 = sys.now_ms;
  auto res = sup.run(r);
  CHECK(res.timed_out());
  CHECK(res.describe().rfind("timed out after", 0) == 0);
  REQUIRE(sys.kills.size() == 2);
  CHECK(sys.kills[0] == std::make_pair(pid_t(-100), SIGTERM));
  CHECK(sys.kills[1] == std::make_pair(pid_t(-100), SIGKILL));
  CHECK(sys.now_ms - t0 == 2200);
  CHECK(sys.live.empty());
}

TEST_CASE("supervisor: run() spawn failure and bad input") {
  test::FakeSys sys;
  sys.spawn_errors["/nope"] = ENOENT;
  Log log(sys);
  Supervisor sup(sys, log);
  RunSpec r;
  r.argv = {"/nope"};
  auto res = sup.run(r);
  CHECK(res.kind == RunResult::Kind::spawn_failed);
  CHECK(res.code == ENOENT);
  CHECK(sup.run(RunSpec{}).code == EINVAL);
}

TEST_CASE("supervisor: run() capture to a file") {
  test::FakeSys sys;
  Log log(sys);
  Supervisor sup(sys, log);
  RunSpec r;
  r.argv = {"/bin/true"};
  r.capture = Capture::file;
  r.capture_path = "/run/lifeboat/fsck.log";
  sys.live.insert(100);
  sys.zombies.push_back(sys::WaitStatus{100, 0});
  sys.queue_signal(SIGCHLD);
  auto res = sup.run(r);
  CHECK(res.ok());
  CHECK(sys.files.count("/run/lifeboat/fsck.log"));
  const auto& spec = sys.spawn_of(100);
  CHECK(spec.stdout_fd >= 0);
  CHECK(spec.stdout_fd == spec.stderr_fd);
  CHECK(spec.stdin_fd == -1);
}

TEST_CASE("supervisor: replace_service() stops the old instance alone and starts the new spec at once") {
  test::FakeSys sys;
  Log log(sys);
  Supervisor sup(sys, log);
  const ServiceSpec ssh = dropbear({"/sbin/dropbear", "-F", "-p", "22", "-s"});
  const std::size_t i = sup.add_service(ssh);
  sup.start_now(i);
  const pid_t old = sup.services()[i].pid;
  REQUIRE(old > 0);
  // SIGTERM to the listener itself (its sessions, in its group, carry on); it exits.
  sys.on_kill = [&](pid_t p, int sig) {
    if (p == old && sig == SIGTERM) sys.exit_child(old, 0);
  };
  ServiceSpec next = ssh;
  next.spawn.argv = {"/sbin/dropbear", "-F", "-p", "22"};
  CHECK(sup.replace_service(i, next));
  REQUIRE(sys.kills.size() == 1);
  CHECK(sys.kills[0] == std::pair<pid_t, int>{old, SIGTERM});
  REQUIRE(sys.spawns.size() == 2);
  CHECK(sys.spawns[1].argv == next.spawn.argv);
  CHECK(sup.services()[i].pid > 0);
  CHECK(sup.services()[i].pid != old);
  CHECK(sys.console_text().find("restart") == std::string::npos);  // a change, not a crash line

  // One that ignores SIGTERM gets SIGKILL after the grace time.
  const pid_t second = sup.services()[i].pid;
  sys.kills.clear();
  sys.on_kill = [&](pid_t p, int sig) {
    if (p == second && sig == SIGKILL) sys.kill_child(second, SIGKILL);
  };
  CHECK(sup.replace_service(i, ssh, 50));
  REQUIRE(sys.kills.size() == 2);
  CHECK(sys.kills[0].second == SIGTERM);
  CHECK(sys.kills[1] == std::pair<pid_t, int>{second, SIGKILL});
  CHECK(sys.spawns.back().argv == ssh.spawn.argv);

  // One that cannot be stopped at all keeps its spec; a bad index changes nothing.
  const pid_t third = sup.services()[i].pid;
  sys.on_kill = nullptr;
  CHECK_FALSE(sup.replace_service(i, next, 50));
  CHECK(sup.services()[i].pid == third);
  CHECK(sup.services()[i].spec.spawn.argv == ssh.spawn.argv);
  CHECK_FALSE(sup.replace_service(9, next));
}
