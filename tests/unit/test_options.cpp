#include <doctest/doctest.h>

#include "common/text.h"
#include "config/boot_options.h"
#include "report/status.h"

using namespace lifeboat;

namespace {
BootOptionsResult opts(const char* text) { return parse_boot_options(parse_cmdline(text)); }
}  // namespace

TEST_CASE("options: defaults") {
  auto r = opts("console=ttyS0 root=/dev/vda quiet");
  CHECK(r.errors.empty());
  CHECK(r.options.console == ConsoleMode::shell);
  CHECK(r.options.fsck == FsckMode::check);
  CHECK(r.options.hostname == "lifeboat");
  CHECK_FALSE(r.options.hostname_from_cmdline);
  CHECK_FALSE(r.options.debug);
  CHECK_FALSE(r.options.kernel_verbose);
}

TEST_CASE("options: valid values") {
  auto r = opts("lifeboat.console=login lifeboat.fsck=repair lifeboat.hostname=box-1.example lifeboat.debug");
  CHECK(r.errors.empty());
  CHECK(r.options.console == ConsoleMode::login);
  CHECK(r.options.fsck == FsckMode::repair);
  CHECK(r.options.hostname == "box-1.example");
  CHECK(r.options.hostname_from_cmdline);
  CHECK(r.options.debug);
  CHECK(opts("lifeboat.fsck=off").options.fsck == FsckMode::off);
  CHECK(opts("lifeboat.fsck=off lifeboat.fsck=check").options.fsck == FsckMode::check);
  CHECK_FALSE(opts("lifeboat.debug=0").options.debug);
  CHECK(opts("lifeboat.debug=yes").options.debug);
}

TEST_CASE("options: banana keeps the default and names the problem") {
  auto r = opts("lifeboat.fsck=banana");
  CHECK(r.options.fsck == FsckMode::check);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].severity == Severity::error);
  CHECK(describe(r.errors[0]) == "cmdline: lifeboat.fsck: expected check|repair|off, got \"banana\"");
  CHECK(error_line(r.errors[0]) == "error: cmdline: lifeboat.fsck: expected check|repair|off, got \"banana\"");
}

TEST_CASE("options: other invalid values") {
  auto r = opts("lifeboat.console=gui lifeboat.fsck lifeboat.hostname=bad_name! lifeboat.debug=maybe");
  CHECK(r.options.console == ConsoleMode::shell);
  CHECK(r.options.hostname == "lifeboat");
  CHECK_FALSE(r.options.debug);
  REQUIRE(r.errors.size() == 4);
  CHECK(r.errors[0].message == "expected shell|login, got \"gui\"");
  CHECK(r.errors[1].message == "expected check|repair|off, got no value");
  CHECK(r.errors[2].field == "lifeboat.hostname");
  CHECK(r.errors[3].field == "lifeboat.debug");
  CHECK(opts("lifeboat.hostname=").errors.size() == 1);
  CHECK(opts(("lifeboat.hostname=" + std::string(65, 'a')).c_str()).errors.size() == 1);
}

TEST_CASE("options: unknown lifeboat keys warn by name, without the value") {
  auto r = opts("lifeboat.pasword=hunter2 lifeboat.frobnicate");
  REQUIRE(r.errors.size() == 2);
  for (const auto& e : r.errors) {
    CHECK(e.severity == Severity::warning);
    CHECK(e.source == "cmdline");
    CHECK(e.message.find("hunter2") == std::string::npos);
  }
  CHECK(r.errors[0].field == "lifeboat.pasword");
  CHECK(r.errors[1].field == "lifeboat.frobnicate");
}

TEST_CASE("options: the metadata keys belong to metadata/cmdline_source, not unknown here") {
  auto r = opts("lifeboat.password=hunter2 lifeboat.password_hash=$6$x$y lifeboat.ssh_key=abc "
                "lifeboat.datasource=imds lifeboat.ssh_port=2222");
  CHECK(r.errors.empty());
}

TEST_CASE("options: other words are ignored silently; loglevel/debug are noticed") {
  CHECK(opts("lifeboatx=1 foo.bar=2 lifeboat").errors.empty());
  CHECK(opts("loglevel=7").options.kernel_verbose);
  CHECK(opts("debug").options.kernel_verbose);
  CHECK_FALSE(opts("lifeboat.debug").options.kernel_verbose);
}

TEST_CASE("options: parser errors are carried along") {
  auto r = opts("lifeboat.hostname=\"abc");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].message.find("unbalanced") != std::string::npos);
  CHECK(r.options.hostname == "abc");  // the rest of the line was the value
}

TEST_CASE("options: valid_hostname") {
  CHECK(valid_hostname("lifeboat"));
  CHECK(valid_hostname("a.b-c.1"));
  CHECK_FALSE(valid_hostname(""));
  CHECK_FALSE(valid_hostname("-a"));
  CHECK_FALSE(valid_hostname("a b"));
  CHECK_FALSE(valid_hostname(std::string(65, 'x')));
}
