#include <doctest/doctest.h>

#include <sys/mount.h>

#include "disks/guest.h"
#include "guest/plan.h"

using namespace lifeboat;
using namespace lifeboat::guest;

namespace {
disks::Volume vol(const char* name, const char* type, const char* uuid, const char* label = "",
                  const char* partuuid = "") {
  disks::Volume v;
  v.name = name;
  v.path = std::string("/dev/") + name;
  v.type = type;
  v.uuid = uuid;
  v.label = label;
  v.partuuid = partuuid;
  return v;
}
}  // namespace

TEST_CASE("guest: passwd parsing and root shell") {
  auto users = parse_passwd(
      "root:x:0:0:root:/root:/bin/bash\n# comment\nbroken:x:notanumber:0::/:/bin/sh\n"
      "alice:x:1000:1001:Alice,,,:/home/alice:/usr/bin/zsh\n+nis\nshort:x:1\n");
  REQUIRE(users.size() == 2);
  auto a = find_user(users, "alice");
  REQUIRE(a);
  CHECK(a->uid == 1000);
  CHECK(a->gid == 1001);
  CHECK(a->home == "/home/alice");
  CHECK(a->shell == "/usr/bin/zsh");
  CHECK_FALSE(find_user(users, "bob"));
  CHECK(root_shell("root:x:0:0:root:/root:/bin/bash\n") == "/bin/bash");
  CHECK(root_shell("root:x:0:0:root:/root:\n") == "/bin/sh");
  CHECK(root_shell("root:x:0:0:root:/root:../../x\n") == "/bin/sh");
  CHECK(root_shell("") == "/bin/sh");
}

TEST_CASE("guest: shadow password replacement keeps every other byte") {
  const std::string text =
      "root:*:19000:0:99999:7:::\n"
      "daemon:*:19000:0:99999:7:::\r\n"
      "alice:$6$old$hash:19001:0:99999:7:::\n"
      "rootish:!:1::::::";
  auto r = replace_shadow_password(text, "root", "$6$salt$new");
  REQUIRE(r);
  CHECK(*r ==
        "root:$6$salt$new:19000:0:99999:7:::\n"
        "daemon:*:19000:0:99999:7:::\r\n"
        "alice:$6$old$hash:19001:0:99999:7:::\n"
        "rootish:!:1::::::");
  auto r2 = replace_shadow_password(text, "rootish", "$6$a$b");
  REQUIRE(r2);
  CHECK(r2->find("\nrootish:$6$a$b:1::::::") != std::string::npos);
  CHECK_FALSE(replace_shadow_password(text, "bob", "$6$a$b"));
  CHECK_FALSE(replace_shadow_password(text, "root", "bad:hash"));
  CHECK_FALSE(replace_shadow_password(text, "root", "bad\nhash"));
  CHECK_FALSE(replace_shadow_password(text, "", "$6$a$b"));
  CHECK(shadow_has_user(text, "alice"));
  CHECK_FALSE(shadow_has_user(text, "alic"));
  // A line with only two fields.
  auto r3 = replace_shadow_password("u:old\n", "u", "new");
  REQUIRE(r3);
  CHECK(*r3 == "u:new\n");
}

TEST_CASE("guest: selinux, user names") {
  CHECK(selinux_enforcing("# x\nSELINUX=enforcing\nSELINUXTYPE=targeted\n"));
  CHECK(selinux_enforcing("SELINUX=\"enforcing\"\n"));
  CHECK_FALSE(selinux_enforcing("SELINUX=permissive\n"));
  CHECK_FALSE(selinux_enforcing("#SELINUX=enforcing\n"));
  CHECK(valid_user_name("root"));
  CHECK(valid_user_name("svc_user-1"));
  CHECK_FALSE(valid_user_name(""));
  CHECK_FALSE(valid_user_name("../etc"));
  CHECK_FALSE(valid_user_name("a:b"));
  CHECK_FALSE(valid_user_name("-rf"));
}

TEST_CASE("guest: mount options split into flags and data") {
  unsigned long flags = 0;
  std::string data;
  split_mount_options("defaults,noatime,nosuid,errors=remount-ro,x-systemd.automount,nofail", flags, data);
  CHECK(flags == (MS_NOATIME | MS_NOSUID));
  CHECK(data == "errors=remount-ro");
  split_mount_options("", flags, data);
  CHECK(flags == 0);
  CHECK(data.empty());
}

TEST_CASE("guest: fstab mount plan") {
  std::vector<disks::Volume> vols = {vol("vda1", "ext4", "1111-root"), vol("vda2", "ext4", "2222-boot"),
                                     vol("vda3", "vfat", "ABCD-EF01", "EFI"), vol("vdb1", "xfs", "3333", "data", "pp-uu"),
                                     vol("vda4", "swap", "4444")};
  auto fstab = disks::parse_fstab(
      "UUID=1111-root / ext4 errors=remount-ro 0 1\n"
      "/dev/vdb1 /srv/data/deep xfs defaults 0 2\n"
      "UUID=2222-boot /boot ext4 defaults 0 2\n"
      "LABEL=EFI /boot/efi vfat umask=0077 0 1\n"
      "PARTUUID=pp-uu /srv auto noatime 0 2\n"
      "UUID=4444 none swap sw 0 0\n"
      "server:/export /nfs nfs defaults 0 0\n"
      "/srv /mnt/bind none bind 0 0\n"
      "UUID=2222-boot /noauto ext4 noauto 0 0\n"
      "tmpfs /tmp tmpfs defaults 0 0\n"
      "UUID=9999 /missing ext4 defaults 0 2\n"
      "UUID=2222-boot /../escape ext4 defaults 0 2\n");
  auto plan = plan_guest_mounts(fstab.entries, vols, "/mnt/guest");
  std::vector<std::string> mounted, skipped;
  for (const auto& m : plan) (m.skip.empty() ? mounted : skipped).push_back(m.mountpoint);
  CHECK(mounted == std::vector<std::string>{"/boot", "/srv", "/boot/efi", "/srv/data/deep"});
  REQUIRE(plan.size() == 11);
  CHECK(plan[0].target == "/mnt/guest/boot");
  CHECK(plan[0].device == "/dev/vda2");
  CHECK(plan[1].device == "/dev/vdb1");
  CHECK(plan[1].type == "xfs");  // auto -> what blkid saw
  CHECK(plan[1].flags == MS_NOATIME);
  CHECK(plan[2].data == "umask=0077");
  auto skip_of = [&](const std::string& mp) {
    for (const auto& m : plan)
      if (m.mountpoint == mp) return m.skip;
    return std::string("?");
  };
  CHECK(skip_of("none") == "swap");
  CHECK(skip_of("/nfs").find("network") != std::string::npos);
  CHECK(skip_of("/mnt/bind") == "bind mount");
  CHECK(skip_of("/noauto") == "noauto");
  CHECK(skip_of("/tmp").find("virtual") != std::string::npos);
  CHECK_FALSE(skip_of("/missing").empty());
  CHECK(skip_of("/../escape") == "unusable mount point");
}

TEST_CASE("guest: unmount order is latest first, only under the prefix") {
  std::vector<disks::MountInfo> mi(6);
  mi[0].mountpoint = "/";
  mi[1].mountpoint = "/mnt";  // the rescue system's tmpfs
  mi[2].mountpoint = "/mnt/guest";
  mi[3].mountpoint = "/mnt/guest/boot";
  mi[4].mountpoint = "/mnt2";
  mi[5].mountpoint = "/mnt/vdb1";
  CHECK(unmount_order(mi, "/mnt") == std::vector<std::string>{"/mnt/vdb1", "/mnt/guest/boot", "/mnt/guest", "/mnt"});
  // `rescue umount`: what is under /mnt, the tmpfs itself stays.
  CHECK(unmount_order(mi, kUnderMnt) == std::vector<std::string>{"/mnt/vdb1", "/mnt/guest/boot", "/mnt/guest"});
  CHECK(unmount_order(mi, "/mnt/guest") == std::vector<std::string>{"/mnt/guest/boot", "/mnt/guest"});
}

TEST_CASE("guest: firewall-off plan") {
  FirewallFacts none;
  CHECK(plan_firewall_off(none).empty());
  FirewallFacts already;
  already.ufw_conf = "# ufw\nENABLED=no\nLOGLEVEL=low\n";
  CHECK(plan_firewall_off(already).empty());

  FirewallFacts f;
  f.ufw_conf = "# /etc/ufw/ufw.conf\nENABLED=yes\nLOGLEVEL=low\n";
  f.links = {{"/etc/systemd/system/multi-user.target.wants/nftables.service", "/lib/systemd/system/nftables.service"},
             {"/etc/systemd/system/multi-user.target.wants/ufw.service", "/lib/systemd/system/ufw.service"}};
  auto plan = plan_firewall_off(f);
  REQUIRE(plan.size() == 2);
  CHECK(plan[0].kind == FirewallAction::Kind::rewrite_file);
  CHECK(plan[0].path == "/etc/ufw/ufw.conf");
  CHECK(plan[0].content == "# /etc/ufw/ufw.conf\nENABLED=no\nLOGLEVEL=low\n");
  CHECK(plan[0].undo.find("ENABLED=yes") != std::string::npos);
  CHECK(plan[1].kind == FirewallAction::Kind::remove_link);
  CHECK(plan[1].undo == "ln -s /lib/systemd/system/nftables.service "
                        "/etc/systemd/system/multi-user.target.wants/nftables.service");
  bool has_firewalld = false;
  for (const auto& c : firewall_link_candidates())
    if (c == "/etc/systemd/system/multi-user.target.wants/firewalld.service") has_firewalld = true;
  CHECK(has_firewalld);
}

TEST_CASE("guest: du ranking and rendering") {
  std::vector<DuItem> items = {{"/a", 10, true}, {"/b", 300, true}, {"/c", 300, true}, {"/d", 5, true}};
  auto top = top_items(items, 3);
  REQUIRE(top.size() == 3);
  CHECK(top[0].path == "/b");
  CHECK(top[1].path == "/c");
  CHECK(top[2].path == "/a");
  auto text = render_du(top, {});
  CHECK(text.find("largest directories:") == 0);
  CHECK(text.find("/b\n") != std::string::npos);
  CHECK(text.find("largest files:\n  (none)\n") != std::string::npos);
}
