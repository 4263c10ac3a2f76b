// Stacked layouts (issue 12): device-mapper names, fstab specs of stacked devices, the
// md/LVM/LUKS command lines, key slot memory planning, btrfs repair policy.
#include <doctest/doctest.h>

#include <linux/fs.h>

#include <algorithm>
#include <functional>
#include <map>

#include "config/cmdline.h"
#include "fake_sys.h"
#include "disks/guest.h"
#include "disks/luks.h"
#include "disks/model.h"
#include "config/disk_options.h"
#include "disks/stack.h"

using namespace lifeboat;
using namespace lifeboat::disks;

using Argv = std::vector<std::string>;

TEST_CASE("stack: LVM dm names split into VG and LV, doubled dashes unescaped") {
  CHECK(split_lvm_dm_name("rhel-root") == std::pair<std::string, std::string>{"rhel", "root"});
  CHECK(split_lvm_dm_name("ubuntu--vg-ubuntu--lv") == std::pair<std::string, std::string>{"ubuntu-vg", "ubuntu-lv"});
  CHECK(split_lvm_dm_name("a--b--c-d") == std::pair<std::string, std::string>{"a-b-c", "d"});
  CHECK(split_lvm_dm_name("nodash").first.empty());
  CHECK(split_lvm_dm_name("-lv").first.empty());
  CHECK(split_lvm_dm_name("vg-").first.empty());
}

TEST_CASE("stack: dm aliases for LVM, LUKS and plain dm devices") {
  std::string stack;
  auto a = dm_aliases("ubuntu--vg-ubuntu--lv", "LVM-abcDEF123ghi", stack);
  CHECK(stack == "LVM ubuntu-vg/ubuntu-lv");
  CHECK(a == Argv{"/dev/mapper/ubuntu--vg-ubuntu--lv", "/dev/ubuntu-vg/ubuntu-lv",
                  "/dev/disk/by-id/dm-name-ubuntu--vg-ubuntu--lv", "/dev/disk/by-id/dm-uuid-LVM-abcDEF123ghi"});
  a = dm_aliases("luks-1234", "CRYPT-LUKS2-1234-luks-1234", stack);
  CHECK(stack == "LUKS (dm-crypt)");
  CHECK(a.front() == "/dev/mapper/luks-1234");
  a = dm_aliases("", "", stack);
  CHECK(a.empty());
  CHECK(stack == "device-mapper");
}

TEST_CASE("stack: fstab specs of stacked devices resolve through their aliases") {
  std::string stack;
  auto vol = [](const char* name, const char* uuid, std::vector<std::string> aliases) {
    Volume v;
    v.name = name;
    v.uuid = uuid;
    v.aliases = std::move(aliases);
    return v;
  };
  std::vector<Volume> vols{vol("vda1", "1111", {}), vol("dm-0", "", dm_aliases("rhel-root", "LVM-xyz", stack)),
                           vol("md127", "", {"/dev/md127"})};
  CHECK(resolve_spec("/dev/mapper/rhel-root", vols).volume == std::optional<std::string>("dm-0"));
  CHECK(resolve_spec("/dev/rhel/root", vols).volume == std::optional<std::string>("dm-0"));
  CHECK(resolve_spec("/dev/disk/by-id/dm-uuid-LVM-xyz", vols).volume == std::optional<std::string>("dm-0"));
  CHECK(resolve_spec("/dev/md127", vols).volume == std::optional<std::string>("md127"));
  auto missing = resolve_spec("/dev/mapper/other-lv", vols);
  CHECK_FALSE(missing.volume);
  CHECK(missing.note.find("rescue unlock") != std::string::npos);
  CHECK(resolve_spec("UUID=1111", vols).volume == std::optional<std::string>("vda1"));
}

TEST_CASE("stack: what needs bringing up, read-only unless a repair was asked for") {
  std::vector<Volume> vols(4);
  vols[0].type = "linux_raid_member";
  vols[1].type = "LVM2_member";
  vols[2].type = "crypto_LUKS";
  vols[2].path = "/dev/vdc";
  vols[3].type = "ext4";
  StackNeeds n = stack_needs(vols);
  CHECK(n.md);
  CHECK(n.lvm);
  CHECK(n.luks == Argv{"/dev/vdc"});
  CHECK_FALSE(stack_needs({vols[3]}).md);
  CHECK(stack_modules(n) == Argv{"md_mod", "dm_mod"});
  CHECK(stack_modules(stack_needs({vols[2]})) == Argv{"dm_mod"});
  CHECK(stack_modules(stack_needs({vols[3]})).empty());

  DisksOptions o;
  CHECK_FALSE(stacks_rw(o));
  o.overrides.push_back(Override{"vdb1", FsckMode::check});
  CHECK_FALSE(stacks_rw(o));
  o.overrides.push_back(Override{"dm-0", FsckMode::repair});
  CHECK(stacks_rw(o));
  DisksOptions g;
  g.mode = FsckMode::repair;
  CHECK(stacks_rw(g));
}

TEST_CASE("stack: md and LVM command lines") {
  CHECK(mdadm_assemble_argv("/sbin/mdadm", false) == Argv{"/sbin/mdadm", "--assemble", "--scan", "--run", "--readonly"});
  CHECK(mdadm_assemble_argv("/sbin/mdadm", true) == Argv{"/sbin/mdadm", "--assemble", "--scan", "--run"});
  CHECK(parse_vg_names("  rhel\n  ubuntu-vg\n  rhel\n\n  bad\"name\n  a b\n  -x\n  ..\n") == Argv{"rhel", "ubuntu-vg"});
  CHECK(lvm_activation_config(false, {"rhel", "data"}) ==
        "global{metadata_read_only=1} activation{read_only_volume_list=[\"rhel\", \"data\"]}");
  CHECK(lvm_activate_argv("/sbin/lvm", false, {"rhel"}) ==
        Argv{"/sbin/lvm", "vgchange", "-ay", "--config",
             "global{metadata_read_only=1} activation{read_only_volume_list=[\"rhel\"]}", "rhel"});
  CHECK(lvm_activate_argv("/sbin/lvm", true, {"rhel"}) == Argv{"/sbin/lvm", "vgchange", "-ay", "rhel"});
}

TEST_CASE("luks: key slots from luksDump JSON, MemAvailable, which slots fit") {
  const char* dump = R"({"keyslots":{"0":{"type":"luks2","kdf":{"type":"argon2id","time":4,"memory":1048576,"cpus":1}},
                        "1":{"type":"luks2","kdf":{"type":"argon2id","time":4,"memory":65536,"cpus":1}},
                        "3":{"type":"luks2","kdf":{"type":"pbkdf2","hash":"sha256","iterations":1000}},
                        "x":{"kdf":{"memory":5}}},"tokens":{},"segments":{}})";
  auto slots = parse_luks2_keyslots(dump);
  REQUIRE(slots);
  REQUIRE(slots->size() == 3);
  CHECK((*slots)[0].id == 0);
  CHECK((*slots)[0].memory_kib == 1048576);
  CHECK((*slots)[1].kdf == "argon2id");
  CHECK((*slots)[2].kdf == "pbkdf2");
  CHECK((*slots)[2].memory_kib == 0);
  CHECK_FALSE(parse_luks2_keyslots("LUKS header information for /dev/vdb (LUKS1)"));
  CHECK_FALSE(parse_luks2_keyslots("[]"));

  CHECK(mem_available_kib("MemTotal: 1000 kB\nMemFree: 10 kB\nMemAvailable:     491520 kB\n") == 491520u);
  CHECK_FALSE(mem_available_kib("MemTotal: 1000 kB\n"));

  SlotPlan big = plan_key_slots(*slots, 4u << 20);  // 4 GiB: everything fits
  CHECK(big.all);
  CHECK(big.refusal.empty());
  SlotPlan some = plan_key_slots(*slots, 480 * 1024);  // only the cheap slots
  CHECK_FALSE(some.all);
  CHECK(some.try_slots == std::vector<int>{1, 3});
  std::vector<KeySlot> only_big{KeySlot{0, "argon2id", 1048576}};
  SlotPlan none = plan_key_slots(only_big, 480 * 1024);
  CHECK(none.try_slots.empty());
  CHECK(none.refusal.find("need 1024 MiB") != std::string::npos);
  CHECK(none.refusal.find("this VM has 480 MiB available") != std::string::npos);
}

TEST_CASE("luks: mapper names and the cryptsetup open command line") {
  CHECK(luks_mapper_name("5e1c-77", "vdb2") == "luks-5e1c-77");
  CHECK(luks_mapper_name("", "vdb2") == "luks-vdb2");
  CHECK(luks_mapper_name("a/b c", "x") == "luks-a_b_c");
  CHECK(cryptsetup_open_argv("/sbin/cryptsetup", "/dev/vdb2", "luks-1", false, -1) ==
        Argv{"/sbin/cryptsetup", "open", "--type", "luks", "--key-file=-", "--readonly", "--disable-locks", "/dev/vdb2",
             "luks-1"});
  CHECK(cryptsetup_open_argv("/sbin/cryptsetup", "/dev/vdb2", "luks-1", true, 1) ==
        Argv{"/sbin/cryptsetup", "open", "--type", "luks", "--key-file=-", "--key-slot=1", "/dev/vdb2", "luks-1"});
}

TEST_CASE("btrfs: lifeboat.btrfs_repair is a disks option") {
  auto opts = parse_disks_options(parse_cmdline("lifeboat.btrfs_repair"), FsckMode::repair);
  CHECK(opts.errors.empty());
  CHECK(opts.options.btrfs_repair);
  CHECK(is_disks_cmdline_key("lifeboat.btrfs_repair"));
  CHECK_FALSE(parse_disks_options(parse_cmdline("lifeboat.btrfs_repair=0"), FsckMode::repair).options.btrfs_repair);
  CHECK(parse_disks_options(parse_cmdline("lifeboat.btrfs_repair=maybe"), FsckMode::repair).errors.size() == 1);

}

namespace {

// A fake runner: records each command, answers from `replies` (argv[1] -> result), and can
// change the fake system (a table reloaded read-write).
struct FakeRunner {
  std::vector<Argv> calls;
  std::map<std::string, RunResult> replies;
  std::function<void(const Argv&)> effect;
  CommandRunner runner() {
    return [this](const RunSpec& rs) {
      calls.push_back(rs.argv);
      if (effect) effect(rs.argv);
      RunResult r;
      r.kind = RunResult::Kind::exited;
      if (auto it = replies.find(rs.argv.size() > 1 ? rs.argv[1] : ""); it != replies.end()) r = it->second;
      return r;
    };
  }
};

}  // namespace

TEST_CASE("stack: bring-up runs mdadm/lvm with the read-only forms and finds writable dm devices") {
  test::FakeSys sys;
  sys.add_file("/sbin/mdadm", "");
  sys.add_file("/sbin/lvm", "");
  sys.add_file("/sys/block/dm-0/ro", "1\n");
  sys.add_file("/sys/block/dm-1/ro", "0\n");
  FakeRunner fr;
  RunResult vgs;
  vgs.kind = RunResult::Kind::exited;
  vgs.output = "  rhel\n  data\n";
  fr.replies["vgs"] = vgs;
  StackResult md = bring_up_md(sys, fr.runner(), false);
  CHECK(md.problems.empty());
  StackResult lvm = bring_up_lvm(sys, fr.runner(), false);
  REQUIRE(fr.calls.size() == 3);
  CHECK(fr.calls[0] == mdadm_assemble_argv("/sbin/mdadm", false));
  CHECK(fr.calls[2] == lvm_activate_argv("/sbin/lvm", false, {"rhel", "data"}));
  REQUIRE(lvm.problems.size() == 1);  // dm-1 came up writable: said so
  CHECK(lvm.problems[0].starts_with("dm-1: not read-only"));

  // No VG readable: nothing activated, and said so.
  FakeRunner empty;
  StackResult none = bring_up_lvm(sys, empty.runner(), false);
  CHECK(empty.calls.size() == 1);
  REQUIRE(none.problems.size() == 1);
  CHECK(none.problems[0].find("no volume group") != std::string::npos);
}

TEST_CASE("stack: shutdown takes LVM, dm-crypt and md down, and nothing without them") {
  test::FakeSys sys;
  for (const char* t : {"/sbin/lvm", "/sbin/cryptsetup", "/sbin/mdadm"}) sys.add_file(t, "");
  sys.add_dir("/sys/block/vda");
  FakeRunner idle;
  CHECK(take_down_stacks(sys, idle.runner()).empty());
  CHECK(idle.calls.empty());

  sys.add_file("/sys/block/dm-0/dm/uuid", "LVM-abc\n");
  sys.add_file("/sys/block/dm-0/dm/name", "vgcrypt-root\n");
  sys.add_file("/sys/block/dm-1/dm/uuid", "CRYPT-LUKS2-1234-luks-1234\n");
  sys.add_file("/sys/block/dm-1/dm/name", "luks-1234\n");
  sys.add_dir("/sys/block/md127");
  FakeRunner fr;
  RunResult fail;
  fail.kind = RunResult::Kind::exited;
  fail.code = 1;
  fr.replies["--stop"] = fail;
  auto problems = take_down_stacks(sys, fr.runner());
  REQUIRE(fr.calls.size() == 3);
  CHECK(fr.calls[0] == Argv{"/sbin/lvm", "vgchange", "-an"});
  CHECK(fr.calls[1] == Argv{"/sbin/cryptsetup", "close", "luks-1234"});
  CHECK(fr.calls[2] == Argv{"/sbin/mdadm", "--stop", "--scan"});
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].starts_with("mdadm --stop"));
}

TEST_CASE("stack: make_writable: md --readwrite, LVM reactivated, LUKS refused, plain devices untouched") {
  test::FakeSys sys;
  sys.add_file("/sbin/mdadm", "");
  sys.add_file("/sbin/lvm", "");
  sys.add_file("/sys/block/md127/ro", "1\n");
  sys.add_dir("/sys/block/md127/slaves");
  sys.add_file("/dev/md127", "");
  sys.add_file("/sys/block/dm-0/ro", "1\n");
  sys.add_file("/sys/block/dm-0/dm/uuid", "LVM-abc\n");
  sys.add_file("/sys/block/dm-0/dm/name", "ubuntu--vg-ubuntu--lv\n");
  sys.add_file("/sys/block/dm-0/slaves/md127", "");
  sys.add_file("/sys/block/dm-1/ro", "1\n");
  sys.add_file("/sys/block/dm-1/dm/uuid", "CRYPT-LUKS2-x\n");
  sys.add_file("/sys/block/vda/ro", "1\n");
  FakeRunner fr;
  fr.effect = [&](const Argv& a) {  // the commands do what they say
    if (a[1] == "--readwrite") sys.add_file("/sys/block/md127/ro", "0\n");
    if (a[1] == "lvchange" && a[2] == "-ay") sys.add_file("/sys/block/dm-0/ro", "0\n");
  };
  CHECK(make_writable(sys, fr.runner(), "vda").empty());
  CHECK(fr.calls.empty());
  CHECK(make_writable(sys, fr.runner(), "dm-0") == "");
  REQUIRE(fr.calls.size() == 3);  // LVM on md: the array first
  CHECK(fr.calls[0] == Argv{"/sbin/mdadm", "--readwrite", "/dev/md127"});
  CHECK(std::count(sys.ioctls.begin(), sys.ioctls.end(), BLKROSET) == 1);  // the guard's leftover flag cleared
  CHECK(fr.calls[1] == Argv{"/sbin/lvm", "lvchange", "-an", "ubuntu-vg/ubuntu-lv"});
  CHECK(fr.calls[2] == Argv{"/sbin/lvm", "lvchange", "-ay", "ubuntu-vg/ubuntu-lv"});
  CHECK(make_writable(sys, fr.runner(), "dm-1").find("rescue unlock --rw") != std::string::npos);
  fr.calls.clear();
  CHECK(make_writable(sys, fr.runner(), "dm-0").empty());  // writable now: nothing to do
  CHECK(fr.calls.empty());
}

TEST_CASE("btrfs: a subvolume name from the guest never adds mount options") {
  CHECK(safe_subvol_name("root"));
  CHECK(safe_subvol_name("@"));
  CHECK(safe_subvol_name("@rootfs"));
  CHECK_FALSE(safe_subvol_name("root,device=/dev/vdb"));
  CHECK_FALSE(safe_subvol_name("a=b"));
  CHECK_FALSE(safe_subvol_name(".."));
  CHECK_FALSE(safe_subvol_name(""));
  CHECK_FALSE(safe_subvol_name("x\x1b[2J"));
}
