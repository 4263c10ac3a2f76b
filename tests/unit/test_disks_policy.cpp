// Disks: pure policy (options, overrides, tools and flags, states from exit codes, lanes).
#include <doctest/doctest.h>

#include "config/cmdline.h"
#include "disks/fsck_policy.h"
#include "config/disk_options.h"

using namespace lifeboat;
using namespace lifeboat::disks;

namespace {

Tools all_tools() {
  Tools t;
  t.e2fsck = "/sbin/e2fsck";
  t.xfs_repair = "/sbin/xfs_repair";
  t.btrfs = "/sbin/btrfs";
  t.mount = "/bin/mount";
  t.umount = "/bin/umount";
  return t;
}

FsckInput input(const char* type, FsckMode mode = FsckMode::check, bool zero_log = false) {
  FsckInput in;
  in.name = "vdb1";
  in.device = "/dev/vdb1";
  in.type = type;
  in.mode = mode;
  in.xfs_zero_log = zero_log;
  in.replay_dir = "/run/lifeboat/probe/vdb1";
  in.log_path = "/run/lifeboat/fsck/vdb1.log";
  return in;
}

CmdResult exited(int code, std::vector<Marker> seen = {}) {
  CmdResult r;
  r.kind = CmdResult::Kind::exited;
  r.code = code;
  r.markers.assign(kMarkerCount, false);
  for (Marker m : seen) r.markers[m] = true;
  return r;
}

CmdResult of_kind(CmdResult::Kind k, int code = 0, std::int64_t ms = 0) {
  CmdResult r;
  r.kind = k;
  r.code = code;
  r.duration_ms = ms;
  r.markers.assign(kMarkerCount, false);
  return r;
}

using Argv = std::vector<std::string>;

}  // namespace

TEST_CASE("disks options: keys owned, overrides, timeout, xfs_zero_log, bad values") {
  CHECK(is_disks_cmdline_key("lifeboat.fsck.vda1"));
  CHECK(is_disks_cmdline_key("lifeboat.fsck_timeout"));
  CHECK(is_disks_cmdline_key("lifeboat.xfs_zero_log"));
  CHECK_FALSE(is_disks_cmdline_key("lifeboat.fsck"));  // boot_options owns it
  CHECK_FALSE(is_disks_cmdline_key("lifeboat.fsck."));
  CHECK_FALSE(is_disks_cmdline_key("lifeboat.hostname"));

  auto r = parse_disks_options(parse_cmdline("lifeboat.fsck=repair lifeboat.fsck.vda1=off lifeboat.fsck.ROOT=check "
                                             "lifeboat.fsck_timeout=30 lifeboat.xfs_zero_log"),
                               FsckMode::repair);
  CHECK(r.errors.empty());
  CHECK(r.options.mode == FsckMode::repair);
  CHECK(r.options.timeout_s == 30);
  CHECK(r.options.xfs_zero_log);
  REQUIRE(r.options.overrides.size() == 2);
  CHECK(r.options.overrides[0].target == "vda1");
  CHECK(r.options.overrides[0].mode == FsckMode::off);

  auto bad = parse_disks_options(parse_cmdline("lifeboat.fsck_timeout=0 lifeboat.fsck_timeout=abc lifeboat.fsck.vdb=fix "
                                               "lifeboat.fsck.vdc lifeboat.xfs_zero_log=maybe"),
                                 FsckMode::check);
  CHECK(bad.errors.size() == 5);
  CHECK(bad.options.timeout_s == 600);
  CHECK_FALSE(bad.options.xfs_zero_log);
  CHECK(bad.options.overrides.empty());
  CHECK(bad.errors[2].field == "lifeboat.fsck.vdb");
  CHECK(bad.errors[2].message.find("check|repair|off") != std::string::npos);
}

TEST_CASE("disks options: override precedence is name, then UUID, then LABEL, then global") {
  auto r = parse_disks_options(
      parse_cmdline("lifeboat.fsck.data=repair lifeboat.fsck.0A1B2C3D-0000-4000-8000-000000000001=off lifeboat.fsck.vdb1=check"),
      FsckMode::check);
  const std::string uuid = "0a1b2c3d-0000-4000-8000-000000000001";
  auto m = resolve_mode(r.options, VolumeIds{"vdb1", uuid, "data"});
  CHECK(m.mode == FsckMode::check);
  CHECK(m.source == "lifeboat.fsck.vdb1");
  m = resolve_mode(r.options, VolumeIds{"vdc1", uuid, "data"});  // UUID case-insensitive
  CHECK(m.mode == FsckMode::off);
  m = resolve_mode(r.options, VolumeIds{"vdd1", "", "data"});
  CHECK(m.mode == FsckMode::repair);
  CHECK(m.source == "lifeboat.fsck.data");
  m = resolve_mode(r.options, VolumeIds{"vdd1", "", "DATA"});  // labels are exact
  CHECK(m.mode == FsckMode::check);
  CHECK(m.source == "lifeboat.fsck");

  auto later = parse_disks_options(parse_cmdline("lifeboat.fsck.vda1=off lifeboat.fsck.vda1=repair"), FsckMode::check);
  CHECK(resolve_mode(later.options, VolumeIds{"vda1", "", ""}).mode == FsckMode::repair);

  auto unmatched = unmatched_overrides(r.options, {VolumeIds{"vdb1", "", ""}});
  REQUIRE(unmatched.size() == 2);
  CHECK(unmatched[0].field == "lifeboat.fsck.data");
  CHECK(unmatched[0].severity == Severity::warning);
}

TEST_CASE("disks fsck policy: ext check maps e2fsck -fn exit codes") {
  struct Case {
    int code;
    FsckState state;
  } cases[] = {{0, FsckState::clean}, {4, FsckState::errors_found}, {8, FsckState::errors_found},
               {12, FsckState::errors_found}, {1, FsckState::errors_found}};
  for (const auto& c : cases) {
    FsckProgram p(input("ext4"), all_tools());
    auto s = p.next(nullptr);
    REQUIRE_FALSE(s.done);
    CHECK(s.argv == Argv{"/sbin/e2fsck", "-fn", "/dev/vdb1"});
    CHECK(s.needs_unmounted);
    auto r = exited(c.code);
    s = p.next(&r);
    CHECK(s.done);
    CHECK(p.outcome().state == c.state);
    CHECK(p.outcome().exit_code == c.code);
    CHECK(p.outcome().tool == "/sbin/e2fsck");
  }
  FsckProgram j(input("ext3"), all_tools());
  (void)j.next(nullptr);
  auto r = exited(0, {kJournalSkipped});
  (void)j.next(&r);
  CHECK(j.outcome().state == FsckState::clean);
  REQUIRE(j.outcome().notes.size() == 1);
  CHECK(outcome_line("vdb1", "ext3", j.outcome()) ==
        "vdb1 ext3 clean (e2fsck exit 0; journal needs recovery, not replayed in check mode)");
}

TEST_CASE("disks fsck policy: ext repair maps e2fsck -fy exit codes") {
  struct Case {
    int code;
    std::vector<Marker> seen;
    FsckState state;
  } cases[] = {{0, {}, FsckState::clean},
               {0, {kFsModified}, FsckState::repaired},  // orphan list processed: exit 0 but modified
               {1, {}, FsckState::repaired},
               {2, {}, FsckState::repaired},
               {3, {}, FsckState::repaired},
               {4, {}, FsckState::repair_failed},
               {8, {}, FsckState::repair_failed},
               {32, {}, FsckState::repair_failed}};
  for (const auto& c : cases) {
    FsckProgram p(input("ext4", FsckMode::repair), all_tools());
    auto s = p.next(nullptr);
    CHECK(s.argv == Argv{"/sbin/e2fsck", "-fy", "/dev/vdb1"});
    auto r = exited(c.code, c.seen);
    s = p.next(&r);
    CHECK(s.done);
    CHECK(p.outcome().state == c.state);
  }
  FsckProgram p(input("ext4", FsckMode::repair), all_tools());
  (void)p.next(nullptr);
  auto r = exited(4);
  (void)p.next(&r);
  CHECK(outcome_line("vdb1", "ext4", p.outcome()) == "vdb1 ext4 repair-failed (e2fsck exit 4; errors left uncorrected)");
}

TEST_CASE("disks fsck policy: xfs check notes a dirty log and never replays it") {
  FsckProgram p(input("xfs"), all_tools());
  auto s = p.next(nullptr);
  CHECK(s.argv == Argv{"/sbin/xfs_repair", "-n", "/dev/vdb1"});
  auto r = exited(1, {kXfsDirtyLogIgnored});
  s = p.next(&r);
  CHECK(s.done);
  CHECK(p.outcome().state == FsckState::errors_found);
  CHECK(outcome_line("vdb1", "xfs", p.outcome()) ==
        "vdb1 xfs errors-found (xfs_repair exit 1; dirty log, not replayed in check mode)");
  FsckProgram q(input("xfs"), all_tools());
  (void)q.next(nullptr);
  r = exited(0);
  (void)q.next(&r);
  CHECK(q.outcome().state == FsckState::clean);
  CHECK(q.outcome().commands.size() == 1);
}

TEST_CASE("disks fsck policy: xfs repair: clean needs no write; corruption is repaired") {
  FsckProgram clean(input("xfs", FsckMode::repair), all_tools());
  auto s = clean.next(nullptr);
  CHECK(s.argv == Argv{"/sbin/xfs_repair", "-n", "/dev/vdb1"});
  auto r = exited(0);
  CHECK(clean.next(&r).done);
  CHECK(clean.outcome().state == FsckState::clean);

  FsckProgram bad(input("xfs", FsckMode::repair), all_tools());
  (void)bad.next(nullptr);
  r = exited(1);
  s = bad.next(&r);
  CHECK(s.argv == Argv{"/sbin/xfs_repair", "/dev/vdb1"});
  r = exited(0);
  CHECK(bad.next(&r).done);
  CHECK(bad.outcome().state == FsckState::repaired);
  CHECK(bad.outcome().argv == Argv{"/sbin/xfs_repair", "/dev/vdb1"});
  CHECK(bad.outcome().commands.size() == 2);

  FsckProgram fail(input("xfs", FsckMode::repair), all_tools());
  (void)fail.next(nullptr);
  r = exited(1);
  (void)fail.next(&r);
  r = exited(1);
  CHECK(fail.next(&r).done);
  CHECK(fail.outcome().state == FsckState::repair_failed);
}

TEST_CASE("disks fsck policy: btrfs is checked; repaired only with lifeboat.btrfs_repair=1") {
  // Repair mode without the flag: checked, and a note says how to ask for a repair.
  FsckProgram without(input("btrfs", FsckMode::repair), all_tools());
  CHECK(without.next(nullptr).argv == Argv{"/sbin/btrfs", "check", "--readonly", "/dev/vdb1"});
  auto r = exited(1);
  CHECK(without.next(&r).done);
  CHECK(without.outcome().state == FsckState::errors_found);
  REQUIRE(without.outcome().notes.size() == 1);
  CHECK(without.outcome().notes[0].find("lifeboat.btrfs_repair=1") != std::string::npos);

  FsckInput in = input("btrfs", FsckMode::repair);
  in.btrfs_repair = true;
  for (int check : {0, 1})
    for (int repair : {0, 1}) {
      CAPTURE(check);
      CAPTURE(repair);
      FsckProgram p(in, all_tools());
      (void)p.next(nullptr);
      r = exited(check);
      auto s = p.next(&r);
      if (check == 0) {  // clean: nothing written
        CHECK(s.done);
        CHECK(p.outcome().state == FsckState::clean);
        continue;
      }
      CHECK(s.argv == Argv{"/sbin/btrfs", "check", "--repair", "/dev/vdb1"});
      r = exited(repair);
      CHECK(p.next(&r).done);
      CHECK(p.outcome().state == (repair == 0 ? FsckState::repaired : FsckState::repair_failed));
    }
}

TEST_CASE("disks fsck policy: xfs repair replays a dirty log by mount + umount, -L only on request") {
  FsckProgram p(input("xfs", FsckMode::repair), all_tools());
  (void)p.next(nullptr);
  auto r = exited(0, {kXfsDirtyLogIgnored});
  auto s = p.next(&r);
  CHECK(s.argv == Argv{"/bin/mount", "-t", "xfs", "/dev/vdb1", "/run/lifeboat/probe/vdb1"});
  CHECK(s.mkdir == "/run/lifeboat/probe/vdb1");
  CHECK(s.needs_unmounted);
  r = exited(0);
  s = p.next(&r);
  CHECK(s.argv == Argv{"/bin/umount", "/run/lifeboat/probe/vdb1"});
  CHECK_FALSE(s.needs_unmounted);
  r = exited(0);
  s = p.next(&r);
  CHECK(s.argv == Argv{"/sbin/xfs_repair", "/dev/vdb1"});
  r = exited(0);
  CHECK(p.next(&r).done);
  CHECK(p.outcome().state == FsckState::repaired);
  CHECK(outcome_line("vdb1", "xfs", p.outcome()) ==
        "vdb1 xfs repaired (xfs_repair exit 0; dirty log; log replayed by mount + umount)");

  // The mount fails: without xfs_zero_log the log is left alone.
  FsckProgram q(input("xfs", FsckMode::repair), all_tools());
  (void)q.next(nullptr);
  r = exited(0, {kXfsDirtyLogIgnored});
  (void)q.next(&r);
  r = exited(255);
  CHECK(q.next(&r).done);
  CHECK(q.outcome().state == FsckState::repair_failed);
  CHECK(q.outcome().reason.find("lifeboat.xfs_zero_log=1") != std::string::npos);
  for (const auto& c : q.outcome().commands) CHECK(c.argv != Argv{"/sbin/xfs_repair", "-L", "/dev/vdb1"});

  // With xfs_zero_log: xfs_repair -L.
  FsckProgram z(input("xfs", FsckMode::repair, true), all_tools());
  (void)z.next(nullptr);
  r = exited(0, {kXfsDirtyLogIgnored});
  (void)z.next(&r);
  r = exited(32);
  s = z.next(&r);
  CHECK(s.argv == Argv{"/sbin/xfs_repair", "-L", "/dev/vdb1"});
  r = exited(0);
  CHECK(z.next(&r).done);
  CHECK(z.outcome().state == FsckState::repaired);

  // xfs_repair itself refuses (exit 2) after -n missed the log: replay, then retry.
  FsckProgram w(input("xfs", FsckMode::repair), all_tools());
  (void)w.next(nullptr);
  r = exited(1);
  (void)w.next(&r);
  r = exited(2, {kXfsDirtyLogRefused});
  s = w.next(&r);
  CHECK(s.argv[0] == "/bin/mount");

  // The umount fails: the filesystem stays mounted, no repair.
  FsckProgram u(input("xfs", FsckMode::repair), all_tools());
  (void)u.next(nullptr);
  r = exited(0, {kXfsDirtyLogIgnored});
  (void)u.next(&r);
  r = exited(0);
  (void)u.next(&r);
  r = exited(1);
  CHECK(u.next(&r).done);
  CHECK(u.outcome().state == FsckState::repair_failed);
  CHECK(u.outcome().reason.find("left mounted") != std::string::npos);
}

TEST_CASE("disks fsck policy: timeouts, crashes, missing tools, cancellation, mounted devices") {
  FsckProgram t(input("ext4"), all_tools());
  (void)t.next(nullptr);
  auto r = of_kind(CmdResult::Kind::timed_out, 1, 12040);
  CHECK(t.next(&r).done);
  CHECK(t.outcome().state == FsckState::timed_out);
  CHECK(t.outcome().exit_code == -1);
  CHECK(outcome_line("vdb1", "ext4", t.outcome()) == "vdb1 ext4 timed-out (e2fsck killed after 12 s)");

  FsckProgram c(input("ext4", FsckMode::repair), all_tools());
  (void)c.next(nullptr);
  r = of_kind(CmdResult::Kind::signaled, 11);
  (void)c.next(&r);
  CHECK(c.outcome().state == FsckState::repair_failed);

  FsckProgram s(input("ext4"), all_tools());
  (void)s.next(nullptr);
  r = of_kind(CmdResult::Kind::spawn_failed, ENOENT);
  (void)s.next(&r);
  CHECK(s.outcome().state == FsckState::skipped);
  CHECK(s.outcome().reason.find("cannot run /sbin/e2fsck") == 0);

  FsckProgram k(input("ext4", FsckMode::repair), all_tools());
  (void)k.next(nullptr);
  r = of_kind(CmdResult::Kind::cancelled, 1);
  (void)k.next(&r);
  CHECK(k.outcome().state == FsckState::repair_failed);
  FsckProgram k2(input("ext4", FsckMode::repair), all_tools());
  (void)k2.next(nullptr);
  r = of_kind(CmdResult::Kind::cancelled, 0);
  (void)k2.next(&r);
  CHECK(k2.outcome().state == FsckState::skipped);

  FsckProgram m(input("ext4"), all_tools());
  (void)m.next(nullptr);
  m.mounted("/mnt");
  CHECK(m.done());
  CHECK(m.outcome().state == FsckState::skipped);
  CHECK(m.outcome().reason == "mounted at /mnt: never checked while mounted");

  Tools none;
  FsckProgram n(input("ext4"), none);
  CHECK(n.next(nullptr).done);
  CHECK(n.outcome().reason == "not checked: no e2fsck in image");
}

TEST_CASE("disks fsck policy: types without a checker, off, stacked devices") {
  struct Case {
    const char* type;
    FsckMode mode;
    const char* reason;
  } cases[] = {{"vfat", FsckMode::check, "not checked: no checker in image"},
               {"btrfs", FsckMode::check, "not checked: no checker in image"},
               {"ntfs", FsckMode::check, "not checked: no checker for ntfs"},
               {"swap", FsckMode::check, "swap: nothing to check"},
               {"iso9660", FsckMode::repair, "iso9660: read-only filesystem, nothing to check"},
               {"", FsckMode::check, "no filesystem found"},
               {"ext4", FsckMode::off, "lifeboat.fsck=off"},
               {"LVM2_member", FsckMode::check, "LVM physical volume: not a filesystem (vgchange -ay first)"},
               {"linux_raid_member", FsckMode::repair, "RAID member: not a filesystem (mdadm --assemble --scan first)"},
               {"crypto_LUKS", FsckMode::check, "LUKS encrypted volume: not a filesystem (rescue unlock /dev/vdb1 first)"}};
  Tools no_btrfs = all_tools();
  no_btrfs.btrfs.clear();
  for (const auto& c : cases) {
    FsckProgram p(input(c.type, c.mode), no_btrfs);
    CHECK(p.next(nullptr).done);
    CHECK(p.outcome().state == FsckState::skipped);
    CHECK(p.outcome().reason == c.reason);
    CHECK(p.outcome().commands.empty());
  }
  Tools vfat = all_tools();
  vfat.fsck_vfat = "/sbin/fsck.vfat";
  FsckProgram v(input("vfat", FsckMode::repair), vfat);
  auto s = v.next(nullptr);
  CHECK(s.argv == Argv{"/sbin/fsck.vfat", "-n", "/dev/vdb1"});
  auto r = exited(1);
  s = v.next(&r);
  CHECK(s.argv == Argv{"/sbin/fsck.vfat", "-a", "-w", "/dev/vdb1"});
  r = exited(1);
  s = v.next(&r);
  CHECK(s.argv == Argv{"/sbin/fsck.vfat", "-n", "/dev/vdb1"});
  r = exited(0);
  CHECK(v.next(&r).done);
  CHECK(v.outcome().state == FsckState::repaired);
}

TEST_CASE("disks fsck policy: lanes: one per disk, partitions in order") {
  std::vector<JobKey> jobs = {{"vdb", 2}, {"vda", 0}, {"vdb", 1}, {"nvme0n1", 3}, {"vdb", 3}, {"nvme0n1", 1}};
  auto lanes = plan_lanes(jobs);
  REQUIRE(lanes.size() == 3);
  CHECK(lanes[0].disk == "nvme0n1");
  CHECK(lanes[0].jobs == std::vector<std::size_t>{5, 3});
  CHECK(lanes[1].disk == "vda");
  CHECK(lanes[2].disk == "vdb");
  CHECK(lanes[2].jobs == std::vector<std::size_t>{2, 0, 4});
}
