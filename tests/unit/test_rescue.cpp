#include <doctest/doctest.h>

#include <cstdlib>

#include "cli/rescue.h"
#include "fake_sys.h"
#include "report/status.h"

using namespace lifeboat;

namespace {
struct RunDir {
  explicit RunDir(const char* dir) { ::setenv("LIFEBOAT_RUN_DIR", dir, 1); }
  ~RunDir() { ::unsetenv("LIFEBOAT_RUN_DIR"); }
};
int rescue(test::FakeSys& sys, std::vector<std::string> args, CliOutput& o) {
  return rescue_main(args, sys, o);
}
}  // namespace

TEST_CASE("rescue: help, version, usage errors") {
  test::FakeSys sys;
  CliOutput o;
  CHECK(rescue(sys, {"--help"}, o) == kExitOk);
  CHECK(o.out.find("usage: rescue COMMAND") != std::string::npos);
  CliOutput v;
  CHECK(rescue(sys, {"--version"}, v) == kExitOk);
  CHECK(v.out.rfind("lifeboat ", 0) == 0);
  CliOutput e;
  CHECK(rescue(sys, {}, e) == kExitUsage);
  CHECK(e.err.find("missing command") != std::string::npos);
  CliOutput u;
  CHECK(rescue(sys, {"frob"}, u) == kExitUsage);
  CHECK(u.err == "rescue: unknown command 'frob'\ntry 'rescue --help'\n");
  CliOutput x;
  CHECK(rescue(sys, {"status", "--yaml"}, x) == kExitUsage);
  CliOutput y;
  CHECK(rescue(sys, {"poweroff", "now"}, y) == kExitUsage);
  CHECK(sys.kills.empty());
}

TEST_CASE("rescue: status reads the run dir") {
  RunDir dir("/fake/run");
  test::FakeSys sys;
  CliOutput missing;
  CHECK(rescue(sys, {"status"}, missing) == kExitFailure);
  CHECK(missing.err == "rescue: status: /fake/run/status.json: No such file or directory\n");

  BootStatus st;
  st.version = "9.9";
  st.boot_ms = 812;
  st.steps = {{"mounts", StepResult::ok, "", 2}, {"modules", StepResult::skipped, "no modules.dep", 0}};
  st.errors = {{"cmdline", "lifeboat.fsck", "expected check|repair|off, got \"banana\"", Severity::error}};
  sys.add_file("/fake/run/status.json", render_status_json(st));

  CliOutput text;
  CHECK(rescue(sys, {"status"}, text) == kExitOk);
  CHECK(text.out.find("lifeboat 9.9: boot took 812 ms") != std::string::npos);
  CHECK(text.out.find("skipped modules") != std::string::npos);
  CHECK(text.out.find("error: cmdline: lifeboat.fsck") != std::string::npos);

  CliOutput json;
  CHECK(rescue(sys, {"status", "--json"}, json) == kExitOk);
  CHECK(json.out == sys.files["/fake/run/status.json"]);

  sys.files["/fake/run/status.json"] = "{broken";
  CliOutput bad;
  CHECK(rescue(sys, {"status"}, bad) == kExitFailure);
  CHECK(bad.err.find("not a JSON object") != std::string::npos);
}

TEST_CASE("rescue: poweroff/reboot/halt sync and signal PID 1") {
  test::FakeSys sys;
  sys.pid = 999;
  CliOutput o;
  CHECK(rescue(sys, {"poweroff"}, o) == kExitOk);
  CHECK(rescue(sys, {"reboot"}, o) == kExitOk);
  CHECK(rescue(sys, {"halt"}, o) == kExitOk);
  CHECK(sys.syncs == 3);
  REQUIRE(sys.kills.size() == 3);
  CHECK(sys.kills[0] == std::make_pair(pid_t(1), SIGUSR2));
  CHECK(sys.kills[1] == std::make_pair(pid_t(1), SIGTERM));
  CHECK(sys.kills[2] == std::make_pair(pid_t(1), SIGUSR1));

  sys.on_kill = nullptr;
  struct DenySys : test::FakeSys {
    sys::Status kill(pid_t, int) noexcept override { return sys::Status::failure(EPERM); }
  } deny;
  CliOutput e;
  CHECK(rescue_main({"reboot"}, deny, e) == kExitFailure);
  CHECK(e.err == "rescue: reboot: cannot signal PID 1: Operation not permitted\n");
}
