// Disks: fstab, os-release, mountinfo, spec resolution, ext superblock, names.
#include <doctest/doctest.h>

#include <string>

#include "disks/guest.h"
#include "disks/model.h"

using namespace lifeboat;
using namespace lifeboat::disks;

namespace {

std::vector<Volume> volumes() {
  std::vector<Volume> v(4);
  v[0].name = "vda1";
  v[0].uuid = "3f0e9a55-1111-4222-8333-444455556666";
  v[0].label = "root";
  v[0].partuuid = "aaaa-01";
  v[0].partlabel = "rootfs";
  v[1].name = "vda2";
  v[1].label = "my data";
  v[1].partlabel = "data";
  v[2].name = "vda3";
  v[2].type = "swap";
  v[3].name = "vdb";
  return v;
}

}  // namespace

TEST_CASE("disks guest: fstab parsing") {
  auto r = parse_fstab(
      "# /etc/fstab\n"
      "UUID=3f0e9a55-1111-4222-8333-444455556666 /               ext4    errors=remount-ro 0       1\n"
      "\n"
      "LABEL=my\\040data  /srv/my\\040data xfs defaults 0 2\n"
      "  /dev/vda3 none swap sw\n"
      "tmpfs /tmp tmpfs\n"
      "broken-line\n");
  REQUIRE(r.entries.size() == 4);
  CHECK(r.entries[0].mountpoint == "/");
  CHECK(r.entries[0].passno == 1);
  CHECK(r.entries[0].options == "errors=remount-ro");
  CHECK(r.entries[0].line == 2);
  CHECK(r.entries[1].spec == "LABEL=my data");
  CHECK(r.entries[1].mountpoint == "/srv/my data");
  CHECK(r.entries[1].passno == 2);
  CHECK(r.entries[2].options == "sw");
  CHECK(r.entries[2].passno == 0);
  CHECK(r.entries[3].options.empty());
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].field == "line 7");
}

TEST_CASE("disks guest: os-release") {
  auto os = parse_os_release(
      "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME='Debian GNU/Linux'\nVERSION_ID=\"12\"\nID=debian\n"
      "# comment\nBAD LINE\nHOME_URL=\"https://www.debian.org/\"\nESC=\"a \\\"b\\\"\"\n");
  CHECK(pretty_name(os) == "Debian GNU/Linux 12 (bookworm)");
  CHECK(os["ID"] == "debian");
  CHECK(os["VERSION_ID"] == "12");
  CHECK(os["NAME"] == "Debian GNU/Linux");
  CHECK(os["ESC"] == "a \"b\"");
  CHECK(pretty_name(parse_os_release("NAME=Alpine\nVERSION=3.19\n")) == "Alpine 3.19");
  CHECK(pretty_name(parse_os_release("")) == "");
}

TEST_CASE("disks guest: fstab specs map to volumes") {
  auto v = volumes();
  CHECK(resolve_spec("UUID=3F0E9A55-1111-4222-8333-444455556666", v).volume == std::optional<std::string>("vda1"));
  CHECK(resolve_spec("/dev/disk/by-uuid/3f0e9a55-1111-4222-8333-444455556666", v).volume == std::optional<std::string>("vda1"));
  CHECK(resolve_spec("LABEL=my data", v).volume == std::optional<std::string>("vda2"));
  CHECK(resolve_spec("/dev/disk/by-label/my\\x20data", v).volume == std::optional<std::string>("vda2"));
  CHECK(resolve_spec("PARTLABEL=data", v).volume == std::optional<std::string>("vda2"));
  CHECK(resolve_spec("PARTUUID=AAAA-01", v).volume == std::optional<std::string>("vda1"));
  CHECK(resolve_spec("UUID=\"3f0e9a55-1111-4222-8333-444455556666\"", v).volume == std::optional<std::string>("vda1"));
  auto byname = resolve_spec("/dev/vda3", v);
  CHECK(byname.volume == std::optional<std::string>("vda3"));
  CHECK(byname.note.find("kernel name") == 0);
  CHECK_FALSE(resolve_spec("/dev/sda1", v).volume);
  CHECK(resolve_spec("/dev/sda1", v).note == "no such device here");
  CHECK_FALSE(resolve_spec("UUID=ffff", v).volume);
  CHECK(resolve_spec("UUID=ffff", v).note == "no filesystem with this UUID here");
  CHECK(resolve_spec("/dev/mapper/vg-root", v).note.find("device-mapper") == 0);
  CHECK(resolve_spec("/dev/vg0/root", v).note.find("LVM") == 0);
  CHECK(resolve_spec("/dev/md0", v).note.find("RAID") == 0);
  CHECK(resolve_spec("tmpfs", v).note == "not a block device");
  CHECK(resolve_spec("LABEL=root", v).volume == std::optional<std::string>("vda1"));
}

TEST_CASE("disks guest: mountinfo") {
  auto m = parse_mountinfo(
      "22 1 0:20 / / rw,relatime - rootfs rootfs rw\n"
      "36 22 253:1 / /run/lifeboat/probe/vda1 ro,relatime - ext4 /dev/vda1 ro,norecovery\n"
      "37 22 253:16 / /mnt/with\\040space rw - xfs /dev/vdb rw\n"
      "garbage\n");
  REQUIRE(m.size() == 3);
  CHECK(mounted_at(m, 253, 1) == std::optional<std::string>("/run/lifeboat/probe/vda1"));
  CHECK(mounted_at(m, 253, 16) == std::optional<std::string>("/mnt/with space"));
  CHECK(m[1].source == "/dev/vda1");
  CHECK_FALSE(mounted_at(m, 253, 2));
  CHECK(probe_dir("/run/lifeboat/probe", "cciss/c0d0p1") == "/run/lifeboat/probe/cciss!c0d0p1");
}

TEST_CASE("disks model: ext superblock state") {
  std::string sb(1024, '\0');
  auto put16 = [&](std::size_t off, unsigned v) {
    sb[off] = static_cast<char>(v & 0xff);
    sb[off + 1] = static_cast<char>((v >> 8) & 0xff);
  };
  auto put32 = [&](std::size_t off, unsigned v) {
    put16(off, v & 0xffff);
    put16(off + 2, v >> 16);
  };
  CHECK_FALSE(parse_ext_superblock(sb).read);
  put16(0x38, 0xEF53);
  put32(0x18, 2);           // 4096-byte blocks
  put16(0x3A, 1);           // valid
  put16(0x34, 7);           // mounted 7 times
  put16(0x36, 0xffff);      // max -1
  put32(0x40, 1700000000);  // last check
  put32(0x5C, 0x4);         // has_journal
  put32(0x60, 0x4 | 0x40);  // needs_recovery | extents
  put32(0xE8, 12);          // orphan list head
  for (int i = 0; i < 16; ++i) sb[0x68 + i] = static_cast<char>(i);
  sb.replace(0x78, 4, "root");
  auto st = parse_ext_superblock(sb);
  CHECK(st.read);
  CHECK(st.block_size == 4096);
  CHECK(st.state_name() == "clean");
  CHECK(st.needs_recovery);
  CHECK(st.has_journal);
  CHECK(st.orphans);
  CHECK(st.mount_count == 7);
  CHECK(st.max_mount_count == -1);
  CHECK(st.last_check == 1700000000);
  CHECK(iso_utc(st.last_check) == "2023-11-14T22:13:20Z");
  CHECK(st.kind == "ext4");
  CHECK(st.label == "root");
  CHECK(st.uuid == "00010203-0405-0607-0809-0a0b0c0d0e0f");
  put16(0x3A, 2);
  CHECK(parse_ext_superblock(sb).state_name() == "errors");
  put16(0x3A, 0);
  CHECK(parse_ext_superblock(sb).state_name() == "not clean");
  put32(0x60, 0x2);  // filetype only, with journal: ext3
  CHECK(parse_ext_superblock(sb).kind == "ext3");
  put32(0x5C, 0);
  CHECK(parse_ext_superblock(sb).kind == "ext2");
}

TEST_CASE("disks model: disk names, metadata labels, families, hints, sizes") {
  for (const char* n : {"vda", "vdaa", "sda", "xvdb", "nvme0n1", "nvme10n2", "mmcblk0", "hda"}) CHECK(is_disk_name(n));
  for (const char* n : {"loop0", "ram0", "zram0", "sr0", "dm-0", "md127", "nvme0", "nvme0n1p1", "vd", "mmcblk0p1", "nbd0"})
    CHECK_FALSE(is_disk_name(n));
  CHECK(is_metadata_label("config-2"));
  CHECK(is_metadata_label("CIDATA"));
  CHECK_FALSE(is_metadata_label("root"));
  CHECK(family_of("ext4") == Family::ext);
  CHECK(family_of("xfs") == Family::xfs);
  CHECK(family_of("LVM2_member") == Family::lvm);
  CHECK(family_of("") == Family::none);
  CHECK(family_of("zfs_member") == Family::other);
  CHECK(hint_for("linux_raid_member", "/dev/vdc").command == "mdadm --assemble --scan");
  CHECK(hint_for("crypto_LUKS", "/dev/vdc").command == "rescue unlock /dev/vdc");
  CHECK(hint_for("ext4", "/dev/vdc").what.empty());
  CHECK(human_size(512) == "512 B");
  CHECK(human_size(300ull << 20) == "300 MiB");
  CHECK(human_size(1536ull << 20) == "1.5 GiB");
}
