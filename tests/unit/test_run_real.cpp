// Real processes on the host (not PID 1): spawn, timeout, exit status, capture.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>

#include <cerrno>

#include "boot/log.h"
#include "guest/ops.h"
#include "supervise/supervisor.h"
#include "sys/real_sys.h"

using namespace lifeboat;

namespace {
// One RealSys (one signalfd) for the whole test process.
sys::RealSys& real() {
  static sys::RealSys s;
  static bool blocked = [] { return s.block_all_signals().ok(); }();
  REQUIRE(blocked);
  return s;
}
}  // namespace

TEST_CASE("real run: a timeout kills the child and reports timed out") {
  auto& sys = real();
  Log log(sys);
  Supervisor sup(sys, log);
  RunSpec r;
  r.argv = {"/bin/sleep", "5"};
  r.timeout_ms = 200;
  const auto t0 = sys.monotonic_ms();
  auto res = sup.run(r);
  const auto took = sys.monotonic_ms() - t0;
  CHECK(res.timed_out());
  CHECK(took >= 190);
  CHECK(took < 3000);  // SIGTERM was enough: no 2 s grace needed
  // The child is gone (reaped, not a zombie): no child is left at all.
  auto w = sys.waitpid(-1, WNOHANG);
  CHECK_FALSE(w.ok());
  CHECK(w.err == ECHILD);
}

TEST_CASE("real run: exit status, capture to a string, and the environment") {
  auto& sys = real();
  Log log(sys);
  Supervisor sup(sys, log);
  RunSpec r;
  r.argv = {"/bin/sh", "-c", "exit 3"};
  auto res = sup.run(r);
  CHECK(res.kind == RunResult::Kind::exited);
  CHECK(res.code == 3);

  RunSpec out;
  out.argv = {"/bin/sh", "-c", "echo \"$HOME $TERM\"; echo err >&2; pwd"};
  out.capture = Capture::string;
  auto res2 = sup.run(out);
  CHECK(res2.ok());
  CHECK(res2.output == "/root linux\nerr\n/\n");
}

TEST_CASE("real run: children start with a clean signal mask") {
  auto& sys = real();
  Log log(sys);
  Supervisor sup(sys, log);
  RunSpec r;
  r.argv = {"/bin/sh", "-c", "grep -E '^Sig(Blk|Ign):' /proc/self/status"};
  r.capture = Capture::string;
  auto res = sup.run(r);
  CHECK(res.ok());
  CHECK(res.output == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

TEST_CASE("real run: capture is bounded, and a missing program is a spawn failure") {
  auto& sys = real();
  Log log(sys);
  Supervisor sup(sys, log);
  RunSpec r;
  r.argv = {"/bin/sh", "-c", "head -c 100000 /dev/zero"};
  r.capture = Capture::string;
  r.capture_limit = 1000;
  auto res = sup.run(r);
  CHECK(res.ok());
  CHECK(res.output.size() == 1000);
  CHECK(res.output_truncated);

  RunSpec bad;
  bad.argv = {"/nonexistent/program"};
  auto res2 = sup.run(bad);
  CHECK(res2.kind == RunResult::Kind::spawn_failed);
  CHECK(res2.code == ENOENT);
  CHECK(res2.describe() == "spawn: No such file or directory");
}

TEST_CASE("real run: a grandchild holding the pipe does not hang run()") {
  auto& sys = real();
  Log log(sys);
  Supervisor sup(sys, log);
  RunSpec r;
  r.argv = {"/bin/sh", "-c", "echo hi; sleep 3 & exit 0"};
  r.capture = Capture::string;
  const auto t0 = sys.monotonic_ms();
  auto res = sup.run(r);
  CHECK(res.ok());
  CHECK(res.output == "hi\n");
  CHECK(sys.monotonic_ms() - t0 < 2000);  // the background sleep is not our child
}

TEST_CASE("real guest files: links resolved inside the guest root; FIFOs, devices and big files refused at once") {
  auto& sys = real();
  char tmpl[] = "/tmp/lifeboat-guest-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::string root = tmpl;
  REQUIRE(sys.mkdir_p(root + "/etc").ok());
  REQUIRE(sys.mkdir_p(root + "/usr/lib").ok());
  REQUIRE(sys.write_file(root + "/usr/lib/os-release", "ID=guest\n").ok());
  // The usual relative link, an absolute one, and one that climbs out with "..".
  REQUIRE(::symlink("../usr/lib/os-release", (root + "/etc/os-release").c_str()) == 0);
  REQUIRE(::symlink("/usr/lib/os-release", (root + "/etc/abs").c_str()) == 0);
  REQUIRE(::symlink("../../../../../../etc/hostname", (root + "/etc/climb").c_str()) == 0);
  REQUIRE(::symlink("/proc/self/root/etc/hostname", (root + "/etc/magic").c_str()) == 0);
  REQUIRE(::mkfifo((root + "/etc/fstab").c_str(), 0644) == 0);
  REQUIRE(::symlink("/dev/zero", (root + "/etc/zero").c_str()) == 0);
  REQUIRE(sys.write_file(root + "/etc/big", std::string(70000, 'x')).ok());

  CHECK(sys.read_guest_file(root, "/etc/os-release", 65536).value == "ID=guest\n");
  CHECK(sys.read_guest_file(root, "/etc/abs", 65536).value == "ID=guest\n");  // the guest's /usr/lib
  auto climb = sys.read_guest_file(root, "/etc/climb", 65536);
  CHECK(climb.err == ENOENT);  // <root>/etc/hostname: not the host's
  CHECK_FALSE(sys.read_guest_file(root, "/etc/magic", 65536).ok());
  const auto t0 = sys.monotonic_ms();
  CHECK(sys.read_guest_file(root, "/etc/fstab", 65536).err == EINVAL);  // a FIFO: no hang
  CHECK(sys.monotonic_ms() - t0 < 1000);
  CHECK(sys.read_guest_file(root, "/etc/zero", 65536).err != 0);  // <root>/dev/zero is absent
  CHECK(sys.read_guest_file(root, "/etc/big", 65536).err == EFBIG);
  for (const char* f : {"/etc/os-release", "/etc/abs", "/etc/climb", "/etc/magic", "/etc/fstab", "/etc/zero", "/etc/big",
                        "/usr/lib/os-release"})
    ::unlink((root + f).c_str());
  ::rmdir((root + "/usr/lib").c_str());
  ::rmdir((root + "/usr").c_str());
  ::rmdir((root + "/etc").c_str());
  ::rmdir(root.c_str());
}

TEST_CASE("real guest paths: directories resolved inside the guest, the last component left alone") {
  auto& sys = real();
  char tmpl[] = "/tmp/lifeboat-inguest-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::string root = tmpl;
  REQUIRE(sys.mkdir_p(root + "/root/.ssh").ok());
  REQUIRE(sys.mkdir_p(root + "/home").ok());
  REQUIRE(::symlink("/root/.ssh", (root + "/srv").c_str()) == 0);           // absolute: the guest's /root/.ssh
  REQUIRE(::symlink("/root", (root + "/home/alice").c_str()) == 0);
  REQUIRE(::symlink("../../../../../../../root", (root + "/home/bob").c_str()) == 0);
  std::string error;
  CHECK(guest::in_guest(sys, root, "/srv/authorized_keys", error) == root + "/root/.ssh/authorized_keys");
  CHECK(guest::dir_in_guest(sys, root, "/home/alice", error) == root + "/root");
  CHECK(guest::dir_in_guest(sys, root, "/home/bob", error) == root + "/root");  // ".." stops at the guest's /
  CHECK(guest::in_guest(sys, root, "/nope/x", error).empty());
  CHECK(error.find("/nope") != std::string::npos);
  CHECK(guest::in_guest(sys, root, "/etc/..", error).empty());
  for (const char* f : {"/srv", "/home/alice", "/home/bob"}) ::unlink((root + f).c_str());
  for (const char* d : {"/root/.ssh", "/root", "/home", ""}) ::rmdir((root + d).c_str());
}

TEST_CASE("real spawn: nice and oom_score_adj reach the child (and what it starts)") {
  auto& sys = real();
  char path[] = "/tmp/lifeboat-spawn-XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  sys::SpawnSpec spec;
  spec.argv = {"/bin/sh", "-c", "cat /proc/self/oom_score_adj; cut -d' ' -f19 /proc/self/stat"};
  spec.env = sys::base_environment();
  spec.stdout_fd = fd;
  spec.nice = 10;
  spec.oom_score_adj = 500;
  auto pid = sys.spawn(spec);
  REQUIRE(pid.ok());
  sys::Result<sys::WaitStatus> w;
  do {
    w = sys.waitpid(pid.value, 0);
  } while (!w.ok() && w.err == EINTR);
  ::close(fd);
  auto out = sys.read_file(path, 4096);
  ::unlink(path);
  REQUIRE(out.ok());
  CHECK(out.value == "500\n10\n");
}

TEST_CASE("real chroot job: a SIGTERM it ignores (a shutdown) ends it with SIGKILL after the grace") {
  if (::geteuid() != 0) return;  // chroot(2) needs root
  // In a child process: run_in_root takes SIGTERM through a handler, which this test
  // process (all signals blocked for its signalfd) cannot.
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    sys::RealSys s;
    // An interactive shell ignores SIGTERM; so does what it execs.
    auto r = s.run_in_root("/", {"/bin/sh", "-c", "trap '' TERM; exec sleep 30"}, {"PATH=/usr/bin:/bin"});
    ::_exit(r.ok() ? r.value.signal : 200);
  }
  struct timespec t0, t1, pause = {0, 300 * 1000 * 1000};
  ::clock_gettime(CLOCK_MONOTONIC, &t0);
  ::nanosleep(&pause, nullptr);
  REQUIRE(::kill(child, SIGTERM) == 0);
  int status = 0;
  pid_t w;
  do {
    w = ::waitpid(child, &status, 0);
  } while (w < 0 && errno == EINTR);
  ::clock_gettime(CLOCK_MONOTONIC, &t1);
  REQUIRE(w == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == SIGKILL);  // the job was killed, run_in_root returned
  const double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  CHECK(s < 3.0);  // well before the shutdown's own SIGKILL (and the job's 30 s)
}
