// /etc/shadow rendering and the Dropbear command lines.
#include <doctest/doctest.h>

#include <algorithm>

#include "ssh/dropbear.h"
#include "ssh/shadow.h"

using namespace lifeboat::ssh;

namespace {
const char* kHash = "$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/";
}

TEST_CASE("ssh shadow: shadow_line") {
  CHECK(shadow_line("root", kHash) == std::string("root:") + kHash + ":::::::");
  CHECK(shadow_line("root", "") == "root:*:::::::");
  CHECK(shadow_line("root", "bad:hash") == "root:*:::::::");
  CHECK(shadow_line("root", "bad\nroot2::0:0") == "root:*:::::::");
  CHECK(shadow_line("root", "has space") == "root:*:::::::");
}

TEST_CASE("ssh shadow: render_shadow replaces only root's password field") {
  std::string existing = "root:*:19000:0:99999:7:::\nnobody:!:19000::::::\n";
  std::string out = render_shadow(existing, "root", kHash);
  CHECK(out == std::string("root:") + kHash + ":19000:0:99999:7:::\nnobody:!:19000::::::\n");
  // Back to disabled.
  CHECK(render_shadow(out, "root", "*") == existing);
}

TEST_CASE("ssh shadow: render_shadow edge cases") {
  // No root entry: appended.
  CHECK(render_shadow("daemon:*:1::::::\n", "root", kHash) ==
        std::string("daemon:*:1::::::\nroot:") + kHash + ":::::::\n");
  // Empty file, missing trailing newline, a user named like a prefix of root.
  CHECK(render_shadow("", "root", "*") == "root:*:::::::\n");
  CHECK(render_shadow("rootx:a:1\nroot:old:2:3", "root", kHash) ==
        std::string("rootx:a:1\nroot:") + kHash + ":2:3\n");
  // A root line with only two fields keeps working.
  CHECK(render_shadow("root:old\n", "root", "*") == "root:*:::::::\n");
  CHECK(render_shadow("root\n", "root", "*") == "root:*:::::::\n");
  // Only the first root line is touched.
  CHECK(render_shadow("root:a:1\nroot:b:2\n", "root", "*") == "root:*:1\nroot:b:2\n");
  // An unsafe hash locks the account instead of breaking the file.
  CHECK(render_shadow("root:x:1::::::\n", "root", "a:b") == "root:*:1::::::\n");
}

TEST_CASE("ssh dropbear: argv") {
  DropbearOptions o;
  o.port = 2222;
  o.host_key_paths = {dropbear_host_key_path("ed25519"), dropbear_host_key_path("rsa")};
  auto argv = dropbear_argv(o);
  std::vector<std::string> want = {"/usr/sbin/dropbear", "-F", "-p", "2222",
                                   "-r", "/etc/dropbear/dropbear_ed25519_host_key",
                                   "-r", "/etc/dropbear/dropbear_rsa_host_key", "-s", "-g"};
  CHECK(argv == want);
  o.password_login = true;
  argv = dropbear_argv(o);
  CHECK(std::find(argv.begin(), argv.end(), "-s") == argv.end());
  CHECK(std::find(argv.begin(), argv.end(), "-g") == argv.end());
  DropbearOptions none;
  none.port = 0;  // invalid -> 22
  argv = dropbear_argv(none);
  CHECK(argv[3] == "22");
  CHECK(std::find(argv.begin(), argv.end(), "-R") != argv.end());
  o.make_missing_keys = true;  // listening before the boot's keys are made
  argv = dropbear_argv(o);
  CHECK(std::count(argv.begin(), argv.end(), "-r") == 2);
  CHECK(std::count(argv.begin(), argv.end(), "-R") == 1);
}

TEST_CASE("ssh dropbear: key tool argv and output parsing") {
  CHECK(dropbearkey_generate_argv("ed25519", "/etc/dropbear/k") ==
        std::vector<std::string>{"/usr/bin/dropbearkey", "-t", "ed25519", "-f", "/etc/dropbear/k"});
  CHECK(dropbearkey_generate_argv("rsa", "/k").back() == "3072");
  CHECK(dropbearkey_public_argv("/k") == std::vector<std::string>{"/usr/bin/dropbearkey", "-y", "-f", "/k"});
  CHECK(dropbearconvert_argv("/in", "/out") ==
        std::vector<std::string>{"/usr/bin/dropbearconvert", "openssh", "dropbear", "/in", "/out"});
  std::string out =
      "Public key portion is:\n"
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIq73hjYIxxnNxmJp21V+WSOvsznh88K+7a6XWmqhNJo root@lifeboat\n"
      "Fingerprint: sha1!! 00:11:22\n";
  auto line = public_key_from_dropbearkey_output(out);
  REQUIRE(line);
  CHECK(line->rfind("ssh-ed25519 AAAAC3", 0) == 0);
  CHECK_FALSE(public_key_from_dropbearkey_output("Public key portion is:\nnothing\n"));
}
