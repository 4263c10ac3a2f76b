// Disks: the parallel runner (FakeSys), and the two boot steps end to end against a fake
// /sys/block, fake probers and scripted children.
#include <doctest/doctest.h>

#include <sys/mount.h>

#include <csignal>
#include <nlohmann/json.hpp>

#include "boot/log.h"
#include "disks/parallel.h"
#include "disks/step.h"
#include "fake_sys.h"
#include "report/step_runner.h"
#include "supervise/supervisor.h"

using namespace lifeboat;
using namespace lifeboat::disks;

namespace {

// Children end as soon as they start, with the exit code (and log output) `behaviour` picks.
// A behaviour returning -1 leaves the child running (a test ends it).
class AutoSys : public test::FakeSys {
 public:
  std::function<int(const sys::SpawnSpec&, pid_t)> behaviour;
  std::vector<std::pair<pid_t, int>> auto_exits;

  Result<pid_t> spawn(const sys::SpawnSpec& spec) noexcept override {
    auto r = test::FakeSys::spawn(spec);
    if (!r.ok() || !behaviour) return r;
    int code = behaviour(spec, r.value);
    if (code >= 0) exit_child(r.value, code);
    return r;
  }
  // The child's output, through the pipe the runner gave it (what ends up in `log`).
  void output(const sys::SpawnSpec& spec, const std::string& text) { write_fd(spec.stdout_fd, text); }
};

}  // namespace

TEST_CASE("disks parallel: lanes run side by side, commands of a lane in series") {
  test::FakeSys sys;
  std::vector<std::vector<std::vector<std::string>>> plan = {
      {{"/sbin/e2fsck", "-fn", "/dev/vda1"}, {"/sbin/e2fsck", "-fn", "/dev/vda2"}},
      {{"/sbin/xfs_repair", "-n", "/dev/vdb"}},
  };
  std::vector<std::size_t> pos(plan.size(), 0);
  std::vector<std::vector<CmdResult>> results(plan.size());
  ParallelHooks hooks;
  hooks.next = [&](std::size_t lane, const CmdResult* last) -> std::optional<Launch> {
    if (last) results[lane].push_back(*last);
    if (pos[lane] >= plan[lane].size()) return std::nullopt;
    Launch l;
    l.argv = plan[lane][pos[lane]++];
    l.log_path = "/run/log" + std::to_string(lane);
    l.timeout_ms = 60000;
    return l;
  };
  // Both lanes start at once (pids 100, 101); 100 ends, its lane starts 102.
  sys.script.push_back([&] { sys.exit_child(100, 0); });
  sys.script.push_back([&] {
    CHECK(sys.spawns.size() == 3);
    sys.exit_child(101, 1);
  });
  sys.script.push_back([&] { sys.exit_child(102, 4); });
  auto stats = run_parallel(sys, plan.size(), hooks);
  CHECK(stats.commands == 3);
  CHECK(stats.max_running == 2);
  REQUIRE(sys.spawns.size() == 3);
  CHECK(sys.spawns[0].argv[2] == "/dev/vda1");
  CHECK(sys.spawns[1].argv[2] == "/dev/vdb");
  CHECK(sys.spawns[2].argv[2] == "/dev/vda2");
  CHECK(sys.spawns[0].new_process_group);
  REQUIRE(results[0].size() == 2);
  CHECK(results[0][0].code == 0);
  CHECK(results[0][1].code == 4);
  REQUIRE(results[1].size() == 1);
  CHECK(results[1][0].kind == CmdResult::Kind::exited);
  CHECK(results[1][0].code == 1);
  const std::string& log0 = sys.files["/run/log0"];
  CHECK(log0.find("### lifeboat: command 1: /sbin/e2fsck -fn /dev/vda1\n") != std::string::npos);
  CHECK(log0.find("### lifeboat: exit status 4 after") != std::string::npos);
}

TEST_CASE("disks parallel: a child past its timeout gets SIGTERM, then SIGKILL") {
  test::FakeSys sys;
  bool given = false;
  CmdResult got;
  ParallelHooks hooks;
  std::vector<std::int64_t> progress;
  hooks.next = [&](std::size_t, const CmdResult* last) -> std::optional<Launch> {
    if (last) {
      got = *last;
      return std::nullopt;
    }
    if (given) return std::nullopt;
    given = true;
    Launch l;
    l.argv = {"/sbin/e2fsck", "-fn", "/dev/vda"};
    l.timeout_ms = 25000;
    return l;
  };
  hooks.progress = [&](std::size_t, std::int64_t now) { progress.push_back(now); };
  sys.on_kill = [&](pid_t p, int sig) {
    if (sig == SIGKILL) sys.kill_child(p < 0 ? -p : p, SIGKILL);  // ignores SIGTERM
  };
  const std::int64_t t0 = sys.now_ms;
  run_parallel(sys, 1, hooks);
  REQUIRE(sys.kills.size() == 2);
  CHECK(sys.kills[0] == std::make_pair(pid_t{-100}, SIGTERM));
  CHECK(sys.kills[1] == std::make_pair(pid_t{-100}, SIGKILL));
  CHECK(got.kind == CmdResult::Kind::timed_out);
  CHECK(got.duration_ms >= 27000);
  CHECK(got.duration_ms < 28000);
  REQUIRE(progress.size() == 2);  // at 10 s and 20 s
  CHECK(progress[0] - t0 == 10000);
  CHECK(progress[1] - t0 == 20000);
}

TEST_CASE("disks parallel: a child that survives SIGKILL is given up on, not waited for forever") {
  test::FakeSys sys;
  CmdResult got;
  int calls = 0;
  ParallelHooks hooks;
  hooks.next = [&](std::size_t, const CmdResult* last) -> std::optional<Launch> {
    if (last) got = *last;
    if (calls++) return std::nullopt;
    Launch l;
    l.argv = {"/sbin/xfs_repair", "/dev/vda"};
    l.timeout_ms = 1000;
    return l;
  };
  run_parallel(sys, 1, hooks);
  CHECK(got.kind == CmdResult::Kind::timed_out);
  CHECK(sys.kills.size() == 2);
  CHECK(sys.live.count(100) == 1);  // still there: the supervisor's reaper will get it
}

TEST_CASE("disks parallel: markers are looked for only in this command's output") {
  AutoSys sys;
  sys.behaviour = [&](const sys::SpawnSpec& s, pid_t) {
    sys.output(s, s.argv[1] == "first" ? "ALERT: The filesystem has valuable metadata changes in a log\n"
                                                     : "***** FILE SYSTEM WAS MODIFIED *****\n");
    return 0;
  };
  std::vector<CmdResult> got;
  int n = 0;
  ParallelHooks hooks;
  hooks.next = [&](std::size_t, const CmdResult* last) -> std::optional<Launch> {
    if (last) got.push_back(*last);
    if (n >= 2) return std::nullopt;
    Launch l;
    l.argv = {"/bin/tool", n++ == 0 ? "first" : "second"};
    l.log_path = "/run/x.log";
    l.markers = fsck_markers();
    return l;
  };
  run_parallel(sys, 1, hooks);
  REQUIRE(got.size() == 2);
  CHECK(got[0].markers[kXfsDirtyLogIgnored]);
  CHECK_FALSE(got[0].markers[kFsModified]);
  CHECK_FALSE(got[1].markers[kXfsDirtyLogIgnored]);
  CHECK(got[1].markers[kFsModified]);
}

TEST_CASE("disks parallel: other children are never reaped; a shutdown signal cancels") {
  test::FakeSys sys;
  sys.live.insert(42);
  sys.zombies.push_back(sys::WaitStatus{42, 0});  // someone else's child, already dead
  std::vector<CmdResult> got;
  int n = 0;
  ParallelHooks hooks;
  hooks.next = [&](std::size_t, const CmdResult* last) -> std::optional<Launch> {
    if (last) got.push_back(*last);
    if (n >= 3) return std::nullopt;
    ++n;
    Launch l;
    l.argv = {"/sbin/e2fsck", "-fy", "/dev/vda"};
    return l;
  };
  int signals = 0;
  hooks.on_signal = [&](int signo) {
    ++signals;
    return signo == SIGTERM;
  };
  sys.queue_signal(SIGHUP);
  sys.queue_signal(SIGTERM);
  sys.on_kill = [&](pid_t p, int sig) {
    if (sig == SIGTERM) sys.kill_child(-p, SIGTERM);
  };
  auto stats = run_parallel(sys, 1, hooks);
  CHECK(stats.cancelled);
  CHECK(signals == 2);
  REQUIRE(got.size() == 3);
  CHECK(got[0].kind == CmdResult::Kind::cancelled);
  CHECK(got[0].code == 1);  // killed while running
  CHECK(got[1].kind == CmdResult::Kind::cancelled);
  CHECK(got[1].code == 0);  // never started
  CHECK(sys.spawns.size() == 1);
  REQUIRE(sys.zombies.size() == 1);
  CHECK(sys.zombies.front().pid == 42);
}

TEST_CASE("disks parallel: spawn failures are results, the lane goes on") {
  test::FakeSys sys;
  sys.spawn_errors["/sbin/missing"] = ENOENT;
  std::vector<CmdResult> got;
  int n = 0;
  ParallelHooks hooks;
  hooks.next = [&](std::size_t, const CmdResult* last) -> std::optional<Launch> {
    if (last) got.push_back(*last);
    if (n++ >= 1) return std::nullopt;
    Launch l;
    l.argv = {"/sbin/missing"};
    l.log_path = "/run/m.log";
    return l;
  };
  run_parallel(sys, 1, hooks);
  REQUIRE(got.size() == 1);
  CHECK(got[0].kind == CmdResult::Kind::spawn_failed);
  CHECK(got[0].code == ENOENT);
  CHECK(sys.files["/run/m.log"].find("could not start") != std::string::npos);
}

TEST_CASE("disks parallel: scan_file streams and starts after the header") {
  test::FakeSys sys;
  std::string big(100000, 'x');
  sys.add_file("/l", "marker-A\n### h1\n" + big + "marker-B" + big + "mark");
  auto f = scan_file(sys, "/l", "### h1\n", {"marker-A", "marker-B", "marker-C"});
  CHECK(f == std::vector<bool>{false, true, false});
  auto all = scan_file(sys, "/l", "", {"marker-A"});
  CHECK(all[0]);
  auto none = scan_file(sys, "/l", "### nope", {"marker-B"});
  CHECK_FALSE(none[0]);
}

// ---- the boot steps ------------------------------------------------------------------------

namespace {

void add_block(test::FakeSys& sys, const std::string& name, const std::string& dev, std::uint64_t sectors) {
  sys.add_file("/sys/block/" + name + "/size", std::to_string(sectors) + "\n");
  sys.add_file("/sys/block/" + name + "/dev", dev + "\n");
  sys.add_file("/sys/block/" + name + "/ro", "0\n");
  sys.add_file("/dev/" + name, "");
}
void add_part(test::FakeSys& sys, const std::string& disk, const std::string& name, int no, const std::string& dev) {
  const std::string d = "/sys/block/" + disk + "/" + name;
  sys.add_file(d + "/partition", std::to_string(no) + "\n");
  sys.add_file(d + "/size", "2048\n");
  sys.add_file(d + "/start", "2048\n");
  sys.add_file(d + "/dev", dev + "\n");
  sys.add_file("/dev/" + name, "");
}

struct World {
  AutoSys sys;
  Log log{sys};
  BootStatus status;
  StepRunner steps{sys, log, status};
  Supervisor sup{sys, log};
  DisksContext ctx;
  std::vector<int> blkroset;  // values passed to BLKROSET, in order

  World() {
    log.attach_console(1);
    add_block(sys, "vda", "253:0", 409600);
    add_part(sys, "vda", "vda1", 1, "253:1");
    add_part(sys, "vda", "vda2", 2, "253:2");
    add_part(sys, "vda", "vda3", 3, "253:3");
    add_block(sys, "vdb", "253:16", 65536);
    add_block(sys, "vdc", "253:32", 65536);  // the NoCloud seed
    add_block(sys, "sr0", "11:0", 0);          // empty CD drive
    add_block(sys, "loop0", "7:0", 2048);      // nothing on it
    add_block(sys, "vdd", "253:48", 65536);    // empty
    sys.add_file("/proc/self/mountinfo", "22 1 0:20 / / rw - rootfs rootfs rw\n");
    for (const char* t : {"/sbin/e2fsck", "/sbin/xfs_repair", "/bin/mount", "/bin/umount"}) sys.add_file(t, "");
    Probers p;
    p.table = [](const std::string& dev) {
      TableProbe t;
      if (dev == "/dev/vda") {
        t.type = "gpt";
        t.uuid = "c0ffee00-0000-4000-8000-000000000000";
        t.parts = {{1, "root", "p-1", "0fc63daf"}, {2, "data", "p-2", "0fc63daf"}, {3, "swap", "p-3", "0657fd6d"}};
      }
      return t;
    };
    p.content = [](const std::string& dev) {
      ContentProbe c;
      if (dev == "/dev/vda1") c = {"ext4", "11111111-2222-4333-8444-555555555555", "root", "filesystem", "1.0", ""};
      if (dev == "/dev/vda2") c = {"xfs", "22222222-2222-4333-8444-555555555555", "data", "filesystem", "", ""};
      if (dev == "/dev/vda3") c = {"swap", "33333333-2222-4333-8444-555555555555", "", "other", "1", ""};
      if (dev == "/dev/vdb") c = {"ext4", "44444444-2222-4333-8444-555555555555", "broken", "filesystem", "1.0", ""};
      if (dev == "/dev/vdc") c = {"vfat", "1234-5678", "cidata", "filesystem", "FAT32", ""};
      return c;
    };
    p.ext = [](const std::string& dev) {
      ExtState st;
      if (dev != "/dev/vda1" && dev != "/dev/vdb") return st;  // vdd: nothing, not even a backup
      st.read = true;
      st.kind = "ext4";
      st.errors = dev == "/dev/vdb";
      st.needs_recovery = dev == "/dev/vdb";
      st.mount_count = 3;
      st.last_check = 1700000000;
      return st;
    };
    ctx.probers = p;
    sys.on_ioctl = [this](unsigned long req, void* arg) {
      if (req == BLKROGET) *static_cast<int*>(arg) = 0;
      if (req == BLKROSET) blkroset.push_back(*static_cast<int*>(arg));
      return sys::ok_status();
    };
  }
  nlohmann::json section() {
    for (const auto& [n, text] : status.sections)
      if (n == "disks") return nlohmann::json::parse(text);
    return nullptr;
  }
  void boot(const std::string& cmdline, FsckMode mode = FsckMode::check) {
    sys.add_file("/proc/cmdline", cmdline);
    BootOptions opts;
    opts.fsck = mode;
    steps.run_step("disks", [&](StepContext& s) { detect_disks(sys, sup, steps, s, opts, ctx); });
    steps.run_step("fsck", [&](StepContext& s) { check_filesystems(sys, sup, log, steps, s, ctx); });
  }
};

}  // namespace

TEST_CASE("disks steps: detection, guest root, check mode, read-only throughout") {
  World w;
  std::vector<std::string> order;
  w.sys.behaviour = [&](const sys::SpawnSpec& s, pid_t) -> int {
    std::string cmd;
    for (const auto& a : s.argv) cmd += (cmd.empty() ? "" : " ") + a;
    order.push_back(cmd);
    if (s.argv[0] == "/bin/mount") {
      // Probe mounts happen while every disk is read-only.
      CHECK(w.blkroset.size() == 3);
      if (s.argv[5] == "/dev/vda1") {
        CHECK(s.argv[4] == "ro,noload,nosuid,nodev,noexec");
        w.sys.add_file("/run/lifeboat/probe/vda1/etc/fstab",
                       "UUID=11111111-2222-4333-8444-555555555555 / ext4 defaults 0 1\n"
                       "LABEL=data /srv xfs defaults 0 2\nPARTLABEL=swap none swap sw 0 0\n/dev/vdb /mnt ext4 defaults 0 2\n");
        w.sys.add_file("/run/lifeboat/probe/vda1/etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n");
      }
      if (s.argv[5] == "/dev/vda2") CHECK(s.argv[4] == "ro,norecovery,nosuid,nodev,noexec");
      return 0;
    }
    if (s.argv[0] == "/sbin/e2fsck") {
      w.sys.output(s, "Pass 1\n");
      return s.argv[2] == "/dev/vdb" ? 4 : 0;
    }
    if (s.argv[0] == "/sbin/xfs_repair") {
      w.sys.output(s, "ALERT: The filesystem has valuable metadata changes in a log\n");
      return 0;
    }
    return 1;
  };
  w.boot("console=ttyS0 lifeboat.fsck.broken=check lifeboat.fsck.nothere=off");
  CHECK(w.status.steps.at(0).result == StepResult::ok);
  CHECK(w.status.steps.at(0).detail ==
        "3 disks, 5 volumes (1 empty, 2 ext4, 1 swap, 1 xfs); guest Debian GNU/Linux 12 (bookworm) on vda1");
  CHECK(w.status.steps.at(1).detail == "mode check: 2 clean, 1 errors-found, 2 skipped");
  // Set read-only (3 disks) and only restored at the very end.
  CHECK(w.blkroset == std::vector<int>{1, 1, 1, 0, 0, 0});
  CHECK(w.sys.umounts.size() == 3);  // every probe mount undone (vda1, vda2, vdb; swap and empty: not mounted)
  const std::string console = w.sys.console_text();
  CHECK(console.find("lifeboat: fsck: vdb ext4 errors-found (e2fsck exit 4)\n") != std::string::npos);
  CHECK(console.find("lifeboat: fsck: vda2 xfs clean (xfs_repair exit 0; dirty log, not replayed in check mode)\n") !=
        std::string::npos);
  CHECK(console.find("lifeboat: fsck: vda3 swap skipped (swap: nothing to check)\n") != std::string::npos);
  CHECK(console.find("lifeboat: fsck: vdd - skipped (no filesystem found)\n") != std::string::npos);
  CHECK(console.find("warning: cmdline: lifeboat.fsck.nothere: matches no device") != std::string::npos);
  // Only check-mode flags.
  for (const auto& c : order) CHECK(c.find("-fy") == std::string::npos);

  auto j = w.section();
  REQUIRE(j.is_object());
  CHECK(j["disks"].size() == 3);
  CHECK(j["disks"][0]["table"] == "gpt");
  CHECK(j["disks"][0]["volumes"] == nlohmann::json::array({"vda1", "vda2", "vda3"}));
  CHECK(j["metadata_drives_left_out"] == 1);
  auto& vols = j["volumes"];
  REQUIRE(vols.size() == 5);
  CHECK(vols[0]["partlabel"] == "root");
  CHECK(vols[0]["fstab"][0]["mountpoint"] == "/");
  CHECK(vols[1]["fstab"][0]["mountpoint"] == "/srv");
  CHECK(vols[3]["name"] == "vdb");
  CHECK(vols[3]["ext"]["state"] == "errors");
  CHECK(vols[3]["ext"]["needs_recovery"] == true);
  CHECK(vols[3]["ext"]["last_check"] == "2023-11-14T22:13:20Z");
  CHECK(vols[3]["fsck"]["state"] == "errors-found");
  CHECK(vols[3]["fsck"]["exit_code"] == 4);
  CHECK(vols[3]["fsck"]["mode_from"] == "lifeboat.fsck.broken");
  CHECK(vols[3]["fsck"]["argv"] == nlohmann::json::array({"/sbin/e2fsck", "-fn", "/dev/vdb"}));
  CHECK(vols[3]["fsck"]["log"] == "/run/lifeboat/fsck/vdb.log");
  CHECK(vols[3]["fstab"][0]["mountpoint"] == "/mnt");
  CHECK(vols[2]["hint"]["command"] == "swapon /dev/vda3");
  CHECK(vols[4]["fsck"]["state"] == "skipped");
  REQUIRE(j["guests"].size() == 1);
  CHECK(j["guests"][0]["pretty_name"] == "Debian GNU/Linux 12 (bookworm)");
  CHECK(j["guests"][0]["fstab"][3]["note"].get<std::string>().find("kernel name") == 0);
  CHECK(j["parallel"]["lanes"] == 3);
  CHECK(w.sys.files["/run/lifeboat/fsck/vdb.log"].find("### lifeboat: /dev/vdb (ext4), mode check") == 0);
}

TEST_CASE("disks steps: repair makes only disks with repair work writable; mounted devices are never checked") {
  World w;
  w.sys.files["/proc/self/mountinfo"] += "40 22 253:16 / /mnt rw - ext4 /dev/vdb rw\n";
  std::vector<std::string> checked;
  w.sys.behaviour = [&](const sys::SpawnSpec& s, pid_t) -> int {
    if (s.argv[0] == "/bin/mount") return 32;  // nothing mounts: no guest root
    checked.push_back(s.argv.back());
    // vda (repair work) and vdb (ext4, though mounted) were made writable; vdd (empty) was not.
    CHECK(w.blkroset == std::vector<int>{1, 1, 1, 0, 0});
    if (s.argv[0] == "/sbin/e2fsck") {
      CHECK(s.argv[1] == "-fy");
      return 1;
    }
    return 0;
  };
  w.boot("lifeboat.fsck.vda2=off lifeboat.fsck_timeout=5", FsckMode::repair);
  CHECK(checked == std::vector<std::string>{"/dev/vda1"});
  const std::string console = w.sys.console_text();
  CHECK(console.find("lifeboat: fsck: vda1 ext4 repaired (e2fsck exit 1)") != std::string::npos);
  CHECK(console.find("lifeboat: fsck: vda2 xfs skipped (lifeboat.fsck.vda2=off)") != std::string::npos);
  CHECK(console.find("lifeboat: fsck: vdb ext4 skipped (mounted at /mnt: never checked while mounted)") != std::string::npos);
  CHECK(w.blkroset == std::vector<int>{1, 1, 1, 0, 0, 0});
  CHECK(w.status.steps.at(0).detail.find("no guest root found") != std::string::npos);
  CHECK(w.ctx.options.timeout_s == 5);
}

TEST_CASE("disks steps: fsck=off still detects; a hanging check times out and the boot goes on") {
  World off;
  off.sys.behaviour = [&](const sys::SpawnSpec& s, pid_t) -> int { return s.argv[0] == "/bin/mount" ? 32 : 99; };
  off.boot("", FsckMode::off);
  CHECK(off.status.steps.at(1).detail == "mode off: 5 skipped");
  CHECK(off.sys.console_text().find("vda1 ext4 skipped (lifeboat.fsck=off)") != std::string::npos);

  World w;
  w.sys.behaviour = [&](const sys::SpawnSpec& s, pid_t) -> int {
    if (s.argv[0] == "/bin/mount") return 32;
    if (s.argv.back() == "/dev/vdb") return -1;  // hangs until killed
    return 0;
  };
  w.sys.on_kill = [&](pid_t p, int sig) {
    if (sig == SIGTERM) w.sys.kill_child(-p, SIGTERM);
  };
  w.boot("lifeboat.fsck_timeout=25");
  const std::string console = w.sys.console_text();
  CHECK(console.find("lifeboat: fsck: vdb: still checking (10 s)") != std::string::npos);
  CHECK(console.find("lifeboat: fsck: vdb: still checking (20 s)") != std::string::npos);
  CHECK(console.find("lifeboat: fsck: vdb ext4 timed-out (e2fsck killed after 25 s, lifeboat.fsck_timeout=25)") != std::string::npos);
  CHECK(w.status.steps.at(1).result == StepResult::ok);
}

TEST_CASE("disks steps: a checker that survives SIGKILL leaves its disk read-only and untouched") {
  World w;
  w.sys.behaviour = [&](const sys::SpawnSpec& s, pid_t) -> int {
    if (s.argv[0] == "/bin/mount") return 32;
    if (s.argv.back() == "/dev/vda1") return -1;  // never dies, whatever the signal
    return 0;
  };
  w.boot("lifeboat.fsck_timeout=3");
  const std::string console = w.sys.console_text();
  CHECK(console.find("lifeboat: fsck: vda1 ext4 timed-out (e2fsck killed after 3 s, lifeboat.fsck_timeout=3)") != std::string::npos);
  CHECK(console.find("lifeboat: fsck: vda2 xfs skipped (not checked: a killed checker that did not exit holds the disk)") !=
        std::string::npos);
  // vda was never opened again: only vdb and vdd got their read-write state back.
  CHECK(w.blkroset == std::vector<int>{1, 1, 1, 0, 0});
  CHECK(w.ctx.stuck.count("vda") == 1);
  auto j = w.section();
  bool mentioned = false;
  for (const auto& p : j["problems"]) mentioned = mentioned || p.get<std::string>().find("blockdev --setrw /dev/vda") != std::string::npos;
  CHECK(mentioned);
}
