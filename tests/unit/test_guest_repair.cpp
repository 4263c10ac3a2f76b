#include <doctest/doctest.h>

#include <sys/mount.h>

#include "fake_sys.h"
#include "guest/plan.h"
#include "guest/repair_env.h"

using namespace lifeboat;
using namespace lifeboat::guest;
using lifeboat::test::FakeSys;

namespace {

disks::Volume part(const char* name, const char* disk, const char* type, const char* parttype, const char* uuid = "") {
  disks::Volume v;
  v.name = name;
  v.path = std::string("/dev/") + name;
  v.disk = disk;
  v.partno = 1;
  v.type = type;
  v.parttype = parttype;
  v.uuid = uuid;
  return v;
}

// A guest at /mnt/guest with the usual directories and the rescue system's resolv.conf.
FakeSys guest_fs() {
  FakeSys sys;
  for (const char* d : {"/mnt/guest", "/mnt/guest/etc", "/mnt/guest/proc", "/mnt/guest/sys", "/mnt/guest/dev",
                        "/mnt/guest/dev/pts", "/mnt/guest/run", "/dev/disk/by-uuid"})
    sys.dirs.insert(d);
  sys.files["/etc/resolv.conf"] = "nameserver 10.0.2.100\n";
  return sys;
}

bool mounted(const FakeSys& sys, const std::string& source, const std::string& target) {
  for (const auto& m : sys.mounts)
    if (m.source == source && m.target == target) return true;
  return false;
}

}  // namespace

TEST_CASE("join_guest_path: a link target read in its directory, never above /") {
  CHECK(join_guest_path("/etc", "../run/systemd/resolve/stub-resolv.conf") == "/run/systemd/resolve/stub-resolv.conf");
  CHECK(join_guest_path("/etc", "/run/resolvconf/resolv.conf") == "/run/resolvconf/resolv.conf");
  CHECK(join_guest_path("/etc", "../../../../x") == "/x");
  CHECK(join_guest_path("/etc", "./a//b/./c") == "/etc/a/b/c");
  CHECK(join_guest_path("/", "..") == "/");
}

TEST_CASE("udev names: labels can never hold a '/' or reach outside /dev/disk") {
  CHECK(udev_encode("my data/x") == "my\\x20data\\x2fx");
  CHECK(udev_encode("ESP") == "ESP");
  CHECK(udev_encode("1515-15A2") == "1515-15A2");
  // Valid multi-byte UTF-8 is kept as udev keeps it (fstab may name /dev/disk/by-label/Données).
  CHECK(udev_encode("Donn\xc3\xa9""es") == "Donn\xc3\xa9""es");
  CHECK(udev_encode("\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x92\xbe") == "\xe6\x97\xa5\xe6\x9c\xac\\x20\xf0\x9f\x92\xbe");
  // Anything else that is not ASCII is escaped byte by byte: a lone continuation byte, a
  // truncated sequence, an overlong '/' (0xc0 0xaf), a surrogate, past U+10FFFF.
  CHECK(udev_encode("a\x80") == "a\\x80");
  CHECK(udev_encode("\xc3") == "\\xc3");
  CHECK(udev_encode("\xc0\xaf") == "\\xc0\\xaf");
  CHECK(udev_encode("\xed\xa0\x80") == "\\xed\\xa0\\x80");
  CHECK(udev_encode("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");
  CHECK(udev_encode("\xe2\x28\xa1") == "\\xe2\\x28\\xa1");
  auto v1 = part("vda2", "vda", "vfat", kEspPartType, "1515-15A2");
  v1.label = "../../etc";
  v1.partlabel = "..";
  auto v2 = part("vdb1", "vdb", "ext4", "", "1515-15A2");  // a clone: the first volume keeps the name
  auto links = disk_links({v1, v2});
  REQUIRE(links.size() == 2);
  CHECK(links[0] == std::pair<std::string, std::string>{"/dev/disk/by-uuid/1515-15A2", "../../vda2"});
  CHECK(links[1].first == "/dev/disk/by-label/..\\x2f..\\x2fetc");
}

TEST_CASE("/boot and /boot/efi found by partition type when the fstab did not mount them") {
  std::vector<disks::Volume> v = {part("vda2", "vda", "vfat", kEspPartType), part("vda3", "vda", "ext4", kXbootldrPartType),
                                  part("vdb1", "vdb", "vfat", kEspPartType)};
  auto m = plan_boot_by_type({"/"}, v, "vda");
  REQUIRE(m.size() == 2);
  CHECK(m[0].mountpoint == "/boot");
  CHECK(m[0].device == "/dev/vda3");
  CHECK(m[1].mountpoint == "/boot/efi");
  CHECK(m[1].device == "/dev/vda2");  // the root's disk first
  CHECK(m[1].data == "umask=0077");
  CHECK(m[1].target == "/mnt/guest/boot/efi");
  CHECK(plan_boot_by_type({"/", "/boot", "/boot/efi"}, v, "vda").empty());
  // Two ESPs on the root's disk: ambiguous, left to the admin. None there: one elsewhere will do.
  v.push_back(part("vda4", "vda", "vfat", kEspPartType));
  CHECK(plan_boot_by_type({"/", "/boot"}, v, "vda").empty());
  CHECK(plan_boot_by_type({"/", "/boot"}, {part("vdb1", "vdb", "vfat", kEspPartType)}, "vda").size() == 1);
  // An ESP without a filesystem, or not vfat, is not mounted.
  CHECK(plan_boot_by_type({"/", "/boot"}, {part("vda2", "vda", "", kEspPartType)}, "vda").empty());
}

TEST_CASE("ensure_disk_links: missing links made, present ones kept, errors said once") {
  FakeSys sys;
  Report r;
  sys.links["/dev/disk/by-uuid/aaaa"] = "../../vdz9";
  ensure_disk_links(sys, {part("vda1", "vda", "ext4", "", "aaaa"), part("vda2", "vda", "ext4", "", "bbbb")}, r);
  CHECK(sys.links["/dev/disk/by-uuid/aaaa"] == "../../vdz9");
  CHECK(sys.links["/dev/disk/by-uuid/bbbb"] == "../../vda2");
  CHECK(r.err.empty());
}

TEST_CASE("chroot DNS: a systemd-resolved link into /run gets the rescue resolvers for the session, then nothing is left") {
  FakeSys sys = guest_fs();
  sys.links["/mnt/guest/etc/resolv.conf"] = "../run/systemd/resolve/stub-resolv.conf";
  Report r;
  {
    RepairEnv env(sys, r);
    REQUIRE(env.setup());
    CHECK(env.resolv_target() == "/mnt/guest/run/systemd/resolve/stub-resolv.conf");
    CHECK(sys.dirs.count("/mnt/guest/run/systemd/resolve"));
    CHECK(mounted(sys, "/etc/resolv.conf", "/mnt/guest/run/systemd/resolve/stub-resolv.conf"));
    CHECK(sys.mounts.back().flags == (MS_BIND | MS_REMOUNT | MS_RDONLY));
    CHECK(r.out.find("the rescue system's resolvers for this session (over /run/systemd/resolve/stub-resolv.conf)") !=
          std::string::npos);
  }  // the destructor tears down
  CHECK(!sys.files.count("/mnt/guest/run/systemd/resolve/stub-resolv.conf"));
  CHECK(!sys.dirs.count("/mnt/guest/run/systemd"));
  CHECK(sys.links["/mnt/guest/etc/resolv.conf"] == "../run/systemd/resolve/stub-resolv.conf");
  REQUIRE(!sys.umounts.empty());
  CHECK(sys.umounts.front() == "/mnt/guest/run/systemd/resolve/stub-resolv.conf");
  CHECK(sys.umounts.back() == "/mnt/guest/proc");
}

// setup() then teardown() on `sys`: what was said, and where resolv.conf was bound.
std::pair<Report, std::string> session(FakeSys& sys) {
  Report r;
  RepairEnv env(sys, r);
  REQUIRE(env.setup());
  std::string target = env.resolv_target();
  env.teardown();
  return {r, target};
}

TEST_CASE("chroot DNS: a regular file is bound over; no resolver: left alone; hostile links: refused") {
  FakeSys sys = guest_fs();
  std::string expect_target, expect_out, expect_err;
  SUBCASE("regular file") {
    sys.files["/mnt/guest/etc/resolv.conf"] = "nameserver 127.0.0.53\n";
    expect_target = "/mnt/guest/etc/resolv.conf";
  }
  SUBCASE("no resolver in the rescue system") {
    sys.files["/etc/resolv.conf"] = "# nothing\n";
    expect_out = "has no resolver";
  }
  SUBCASE("a hostile link into /proc") {
    sys.links["/mnt/guest/etc/resolv.conf"] = "/proc/sys/kernel/hostname";
    expect_err = "inside /proc, /sys or /dev";
  }
  SUBCASE("a link loop") {
    sys.links["/mnt/guest/etc/resolv.conf"] = "resolv.conf";
    expect_err = "too many levels of links";
  }
  auto [r, target] = session(sys);
  CHECK(target == expect_target);
  CHECK(r.out.find(expect_out) != std::string::npos);
  CHECK(r.err.find(expect_err) != std::string::npos);
  if (sys.files.count("/mnt/guest/etc/resolv.conf")) CHECK(sys.files["/mnt/guest/etc/resolv.conf"] == "nameserver 127.0.0.53\n");
}

TEST_CASE("chroot: efivarfs when the rescue system booted with EFI") {
  FakeSys sys = guest_fs();
  sys.dirs.insert("/sys/firmware/efi");
  Report r;
  RepairEnv env(sys, r);
  REQUIRE(env.setup());
  CHECK(mounted(sys, "efivarfs", "/mnt/guest/sys/firmware/efi/efivars"));
  env.teardown();
  bool unmounted = false;
  for (const auto& u : sys.umounts) unmounted |= u == "/mnt/guest/sys/firmware/efi/efivars";
  CHECK(unmounted);
}
