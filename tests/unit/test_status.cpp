#include <doctest/doctest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "boot/log.h"
#include "fake_sys.h"
#include "report/status.h"
#include "report/step_runner.h"

using namespace lifeboat;
using nlohmann::json;

namespace {
BootStatus sample() {
  BootStatus st;
  st.version = "1.2.3";
  st.boot_ms = 1234;
  st.steps = {{"mounts", StepResult::ok, "", 3},
              {"modules", StepResult::failed, "finit_module: \"x\"\n\tbad \\ path", 20, 803, 4200},
              {"rng", StepResult::skipped, "no /dev/hwrng", 0}};
  st.errors = {{"cmdline", "lifeboat.fsck", "expected check|repair|off, got \"banana\"", Severity::error},
               {"cmdline", "lifeboat.x", "unknown key (ignored)", Severity::warning}};
  return st;
}
}  // namespace

TEST_CASE("status: console lines") {
  CHECK(step_line({"mounts", StepResult::ok, "", 3}) == "mounts: ok (3 ms)");
  CHECK(step_line({"hostname", StepResult::ok, "lifeboat", 0}) == "hostname: ok: lifeboat (0 ms)");
  CHECK(step_line({"modules", StepResult::failed, "boom", 20}) == "modules: failed: boom (20 ms)");
  CHECK(step_line({"rng", StepResult::skipped, "no /dev/hwrng", 7}) == "rng: skipped: no /dev/hwrng");
  CHECK(error_line({"cmdline", "lifeboat.fsck", "bad", Severity::error}) == "error: cmdline: lifeboat.fsck: bad");
}

TEST_CASE("status: JSON is valid, schema 1, escaped, and round-trips") {
  const std::string text = render_status_json(sample());
  json doc = json::parse(text);  // throws if invalid
  CHECK(doc["schema"] == 1);
  CHECK(doc["version"] == "1.2.3");
  CHECK(doc["boot_ms"] == 1234);
  REQUIRE(doc["steps"].size() == 3);
  CHECK(doc["steps"][1]["result"] == "failed");
  CHECK(doc["steps"][1]["detail"] == "finit_module: \"x\"\n\tbad \\ path");
  CHECK(doc["steps"][1]["duration_ms"] == 20);
  CHECK(doc["steps"][1]["start_ms"] == 803);
  CHECK(doc["steps"][1]["cpu_us"] == 4200);
  CHECK(doc["errors"][0]["field"] == "lifeboat.fsck");
  CHECK(doc["errors"][1]["severity"] == "warning");
  CHECK(text.find("\\\"x\\\"\\n\\tbad \\\\ path") != std::string::npos);

  Error err;
  auto back = parse_status_json(text, err);
  REQUIRE(back);
  CHECK(back->version == "1.2.3");
  CHECK(back->steps.size() == 3);
  CHECK(back->steps[2].result == StepResult::skipped);
  CHECK(back->steps[1].start_ms == 803);
  CHECK(back->steps[1].cpu_us == 4200);
  CHECK(back->steps[0].cpu_us == -1);
  CHECK(back->errors == sample().errors);
}

TEST_CASE("status: invalid UTF-8 and control characters never break the JSON") {
  BootStatus st;
  st.steps = {{"x", StepResult::failed, std::string("bad \xff\xfe utf8 \x01"), 1}};
  json doc = json::parse(render_status_json(st));
  CHECK(doc["steps"][0]["result"] == "failed");
}

TEST_CASE("status: parse errors are values") {
  Error err;
  CHECK_FALSE(parse_status_json("not json", err));
  CHECK(err.source == "status.json");
  CHECK_FALSE(parse_status_json("{\"schema\": 2}", err));
  CHECK(err.field == "schema");
  auto partial = parse_status_json("{\"schema\":1,\"steps\":[1,{\"name\":\"a\"}]}", err);
  REQUIRE(partial);
  CHECK(partial->steps.size() == 1);
}

TEST_CASE("status: readable text") {
  auto text = render_status_text(sample());
  CHECK(text.find("lifeboat 1.2.3: boot took 1234 ms") != std::string::npos);
  CHECK(text.find("failed  modules") != std::string::npos);
  CHECK(text.find("error: cmdline: lifeboat.fsck: expected check|repair|off, got \"banana\"") != std::string::npos);
}

TEST_CASE("status: atomic write into the run dir") {
  test::FakeSys sys;
  auto st = write_status_text(sys, "/run/lifeboat", render_status_json(sample()));
  CHECK(st.ok());
  CHECK(sys.dirs.count("/run/lifeboat"));
  CHECK(sys.files.count("/run/lifeboat/status.json"));
  CHECK_FALSE(sys.files.count("/run/lifeboat/status.json.lifeboat-tmp"));
  CHECK(json::parse(sys.files["/run/lifeboat/status.json"])["schema"] == 1);
}

TEST_CASE("status: LIFEBOAT_RUN_DIR overrides the run dir") {
  ::setenv("LIFEBOAT_RUN_DIR", "/tmp/x", 1);
  CHECK(status_path() == "/tmp/x/status.json");
  ::unsetenv("LIFEBOAT_RUN_DIR");
  CHECK(status_path() == "/run/lifeboat/status.json");
}

TEST_CASE("step runner: outcomes, exceptions, console lines") {
  test::FakeSys sys;
  Log log(sys);
  log.attach_console(1);
  BootStatus status;
  StepRunner steps(sys, log, status);

  CHECK(steps.run_step("one", [&](StepContext&) { sys.now_ms += 5; sys.cpu_now_us += 1500; }));
  CHECK_FALSE(steps.run_step("two", [&](StepContext&) { throw std::runtime_error("no disk"); }));
  CHECK_FALSE(steps.run_step("three", [&](StepContext& s) { s.skip("not today"); }));
  CHECK_FALSE(steps.run_step("four", [&](StepContext& s) { s.fail("soft"); }));
  CHECK_FALSE(steps.run_step("five", [&](StepContext&) { throw 42; }));
  steps.report_error({"cmdline", "lifeboat.fsck", "bad", Severity::error});

  REQUIRE(status.steps.size() == 5);
  CHECK(status.steps[0].duration_ms == 5);
  CHECK(status.steps[0].cpu_us == 1500);
  CHECK(status.steps[1].cpu_us == 0);
  CHECK(status.steps[1].result == StepResult::failed);
  CHECK(status.steps[1].detail == "no disk");
  CHECK(status.steps[2].result == StepResult::skipped);
  CHECK(status.steps[4].detail == "unknown exception");
  CHECK(status.errors.size() == 1);
  CHECK(sys.console_text() ==
        "lifeboat: one: ok (5 ms)\n"
        "lifeboat: two: failed: no disk (0 ms)\n"
        "lifeboat: three: skipped: not today\n"
        "lifeboat: four: failed: soft (0 ms)\n"
        "lifeboat: five: failed: unknown exception (0 ms)\n"
        "lifeboat: error: cmdline: lifeboat.fsck: bad\n");
}
