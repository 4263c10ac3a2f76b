// Real processes on the host (not PID 1): spawn, timeout, exit status, capture.
#include <doctest/doctest.h>
#include <signal.h>

#include <cerrno>

#include "boot/log.h"
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
