#include <doctest/doctest.h>

#include "cli/rescue.h"
#include "cli/summary.h"
#include "cli/toolkit.h"
#include "fake_sys.h"

using namespace lifeboat;

TEST_CASE("cli: every subcommand has --help") {
  for (const char* c : {"mount", "umount", "chroot", "passwd", "authorize-key", "firewall-off", "du", "status",
                        "poweroff", "reboot", "halt"}) {
    test::FakeSys sys;
    CliOutput o;
    CAPTURE(c);
    CHECK(rescue_main({c, "--help"}, sys, o) == kExitOk);
    CHECK(o.out.rfind(std::string("usage: rescue ") + c, 0) == 0);
    CHECK(o.err.empty());
    CHECK(sys.kills.empty());
  }
}

TEST_CASE("cli: usage errors exit 2 without touching anything") {
  auto run = [](std::vector<std::string> args, std::string& err) {
    test::FakeSys sys;
    CliOutput o;
    int rc = rescue_main(args, sys, o);
    err = o.err;
    return rc;
  };
  std::string err;
  CHECK(run({"mount", "--frob"}, err) == kExitUsage);
  CHECK(err.find("unknown option '--frob'") != std::string::npos);
  CHECK(run({"mount", "vda1", "vda2"}, err) == kExitUsage);
  CHECK(run({"mount", "vda1", "--guest"}, err) == kExitUsage);
  CHECK(run({"mount", "../etc"}, err) == kExitUsage);
  CHECK(run({"umount", "x"}, err) == kExitUsage);
  CHECK(run({"passwd", "a", "b"}, err) == kExitUsage);
  CHECK(run({"passwd", "../x"}, err) == kExitUsage);
  CHECK(run({"authorize-key"}, err) == kExitUsage);
  CHECK(run({"authorize-key", "root", "ssh-ed25519 AAAAnotbase64!"}, err) == kExitUsage);
  CHECK(err.find("not a valid OpenSSH public key") != std::string::npos);
  CHECK(err.find("AAAAnotbase64") == std::string::npos);  // never echoed
  CHECK(run({"firewall-off", "now"}, err) == kExitUsage);
  CHECK(run({"du", "a", "b"}, err) == kExitUsage);
}

TEST_CASE("cli: du without a mounted guest fails clearly") {
  test::FakeSys sys;
  CliOutput o;
  CHECK(rescue_main({"du"}, sys, o) == kExitFailure);
  CHECK(o.err.find("rescue mount --guest") != std::string::npos);
}

TEST_CASE("cli: summary renders what status.json has, leniently") {
  const std::string doc = R"J({"schema":1,"version":"0.1.0",
    "network":{"interfaces":[{"name":"eth0","method":"dhcp","addresses":["10.0.2.15/24"]}]},
    "ssh":{"port":22,"authorized_keys":1,"password":{"set":false},
           "host_keys":[{"type":"ed25519","fingerprint":"SHA256:abc"}]},
    "disks":{"volumes":[{"name":"vda1","type":"ext4","fsck":{"state":"clean","exit_code":0}},
                        {"name":"vda2","type":"swap"},
                        {"name":"dm-0","type":"xfs","stack":{"what":"LVM rhel/root","on":["vdb2"]},
                         "fsck":{"state":"clean","exit_code":0}},
                        {"name":"vdc2","type":"crypto_LUKS","hint":{"command":"rescue unlock /dev/vdc2"},
                         "fsck":{"state":"skipped"}}],
             "guests":[{"volume":"vda1","pretty_name":"Debian GNU/Linux 12 (bookworm)"},
                       {"volume":"vdd2","subvol":"root","pretty_name":"Fedora Linux 39"}]},
    "errors":[{"source":"x"}]})J";
  auto s = render_summary(doc);
  CHECK(s.find("lifeboat rescue system 0.1.0\n") == 0);
  CHECK(s.find("eth0: 10.0.2.15/24 (dhcp)") != std::string::npos);
  CHECK(s.find("port 22, 1 authorized key(s), no root password") != std::string::npos);
  CHECK(s.find("ed25519 SHA256:abc") != std::string::npos);
  CHECK(s.find("vda1 ext4: fsck clean (exit 0)") != std::string::npos);
  CHECK(s.find("guest: Debian GNU/Linux 12 (bookworm) on vda1\n") != std::string::npos);
  CHECK(s.find("dm-0 xfs [LVM rhel/root]: fsck clean (exit 0)") != std::string::npos);
  CHECK(s.find("vdc2 crypto_LUKS: fsck skipped; rescue unlock /dev/vdc2") != std::string::npos);
  CHECK(s.find("guest: Fedora Linux 39 on vdd2 (subvolume root)") != std::string::npos);
  CHECK(s.find("problems: 1") != std::string::npos);
  CHECK(s.find("rescue chroot") != std::string::npos);

  // Lenient: garbage, wrong types, control characters.
  CHECK(render_summary("not json").find("commands:") != std::string::npos);
  auto odd = render_summary(R"({"network":{"interfaces":[{"name":"e\u001b[31m","addresses":"x"}]},"ssh":[],"disks":{"volumes":7}})");
  CHECK(odd.find("\x1b") == std::string::npos);
  CHECK(odd.find("no address") != std::string::npos);
  CHECK(odd.find("ssh:") == std::string::npos);
  CHECK(odd.find("disks:\n  none found") != std::string::npos);
}

TEST_CASE("cli: du walks a tree through sys: biggest first, other filesystems skipped, errors counted") {
  test::FakeSys sys;
  sys.add_dir("/data");
  sys.add_dir("/data/logs");
  sys.add_dir("/data/other-fs");
  sys.add_file("/data/logs/huge.log", "");
  sys.add_file("/data/small.txt", "");
  sys.add_file("/data/other-fs/elsewhere.bin", "");
  sys.meta["/data/logs/huge.log"] = sys::FileStat{0644, 0, 0, 0, 0, 2u * 1024 * 1024 * 2};  // 2 GiB
  sys.meta["/data/small.txt"] = sys::FileStat{0644, 0, 0, 0, 0, 8};                       // 4 KiB
  sys.meta["/data/other-fs"] = sys::FileStat{0755, 0, 0, 0, 7, 8};                        // dev 7
  sys.meta["/data/other-fs/elsewhere.bin"] = sys::FileStat{0644, 0, 0, 0, 7, 999999};
  CliOutput o;
  CHECK(rescue_main({"du", "/data"}, sys, o) == kExitOk);
  CHECK(o.out.find("/data/logs/huge.log") != std::string::npos);
  CHECK(o.out.find("/data/logs/huge.log") < o.out.find("/data/small.txt"));
  CHECK(o.out.find("elsewhere.bin") == std::string::npos);  // on another filesystem
  CHECK(o.out.find("total: 2.0 GiB in /data") != std::string::npos);
  CHECK(o.err.empty());
}

TEST_CASE("cli: du on a path that is not a directory says so") {
  test::FakeSys sys;
  sys.add_file("/data.img", "");
  CliOutput o;
  CHECK(rescue_main({"du", "/data.img"}, sys, o) == kExitFailure);
  CHECK(o.err == "rescue: du: /data.img: not a directory\n");
}
