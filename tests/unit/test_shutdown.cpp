#include <doctest/doctest.h>
#include <sys/mount.h>
#include <sys/reboot.h>

#include "boot/log.h"
#include "fake_sys.h"
#include "supervise/shutdown.h"

using namespace lifeboat;

namespace {
const char* kMountinfo =
    "1 1 0:2 / / rw - rootfs rootfs rw\n"
    "20 1 0:19 / /proc rw,nosuid,nodev,noexec - proc proc rw\n"
    "21 1 0:20 / /sys rw,nosuid,nodev,noexec - sysfs sysfs rw\n"
    "22 1 0:5 / /dev rw,nosuid - devtmpfs devtmpfs rw,mode=755\n"
    "23 22 0:21 / /dev/pts rw,nosuid,noexec - devpts devpts rw,mode=620,ptmxmode=666\n"
    "24 1 0:22 / /run rw,nosuid,nodev - tmpfs tmpfs rw,mode=755\n"
    "25 1 0:23 / /tmp rw,nosuid,nodev - tmpfs tmpfs rw\n"
    "30 1 253:1 / /mnt/root rw,relatime - ext4 /dev/vda1 rw\n"
    "31 30 253:2 / /mnt/root/boot rw,relatime - vfat /dev/vda2 rw\n"
    "32 1 253:3 / /mnt/my\\040disk rw - xfs /dev/vdb rw\n"
    "33 30 0:19 / /mnt/root/proc rw - proc proc rw\n"
    "34 1 7:0 / /usr/lib/lifeboat/tools ro,nosuid,nodev - squashfs /dev/loop0 ro\n";
}  // namespace

TEST_CASE("shutdown: unmount plan is reverse mount order, API filesystems and the tools kept") {
  auto plan = plan_unmounts(kMountinfo);
  CHECK(plan == std::vector<std::string>{"/mnt/root/proc", "/mnt/my disk", "/mnt/root/boot",
                                         "/mnt/root", "/tmp"});
}

TEST_CASE("shutdown: stacked mounts each get an unmount; junk lines are ignored") {
  auto plan = plan_unmounts("40 1 0:1 / /mnt rw - tmpfs a rw\nshort line\n41 40 0:2 / /mnt rw - tmpfs b rw\n");
  CHECK(plan == std::vector<std::string>{"/mnt", "/mnt"});
  CHECK(plan_unmounts("").empty());
}

TEST_CASE("shutdown: the full sequence against FakeSys") {
  test::FakeSys sys;
  sys.add_file("/proc/self/mountinfo", kMountinfo);
  sys.umount_errors["/mnt/root"] = EBUSY;
  sys.live = {200, 201};
  // Children die on SIGTERM, except 201, which needs SIGKILL.
  sys.on_kill = [&](pid_t p, int sig) {
    if (p != -1) return;
    if (sig == SIGTERM && sys.live.count(200)) sys.exit_child(200, 0);
    if (sig == SIGKILL && sys.live.count(201)) sys.kill_child(201, SIGKILL);
  };
  Log log(sys);
  log.attach_console(1);
  Supervisor sup(sys, log);
  std::size_t umounts_before_stacks = 0, reboots_before_stacks = 99;
  execute_shutdown(sys, log, sup, ShutdownKind::poweroff, [&] {
    umounts_before_stacks = sys.umounts.size();
    reboots_before_stacks = sys.reboots.size();
  });
  // The stacks (LVM, md) come down after every unmount and before reboot(2).
  CHECK(umounts_before_stacks == 5);
  CHECK(reboots_before_stacks == 0);

  REQUIRE(sys.kills.size() == 4);
  CHECK(sys.kills[0] == std::make_pair(pid_t(-1), SIGTERM));
  CHECK(sys.kills[1] == std::make_pair(pid_t(-1), SIGHUP));
  CHECK(sys.kills[2] == std::make_pair(pid_t(-1), SIGCONT));
  CHECK(sys.kills[3] == std::make_pair(pid_t(-1), SIGKILL));
  CHECK(sys.live.empty());
  CHECK(sys.umounts == std::vector<std::string>{"/mnt/root/proc", "/mnt/my disk", "/mnt/root/boot",
                                                "/mnt/root", "/tmp"});
  // The busy one is remounted read-only, never lazily detached.
  REQUIRE_FALSE(sys.mounts.empty());
  CHECK(sys.mounts.back().target == "/mnt/root");
  CHECK(sys.mounts.back().flags == (MS_REMOUNT | MS_RDONLY));
  CHECK(sys.syncs >= 2);
  CHECK(sys.reboots == std::vector<int>{RB_POWER_OFF});
  CHECK(sys.console_text().find("lifeboat: shutdown: poweroff") != std::string::npos);
}

TEST_CASE("shutdown: no SIGKILL when everything exits on SIGTERM; reboot and halt commands") {
  test::FakeSys sys;
  sys.add_file("/proc/self/mountinfo", "");
  Log log(sys);
  Supervisor sup(sys, log);
  execute_shutdown(sys, log, sup, ShutdownKind::reboot, {});
  CHECK(sys.kills.size() == 3);  // TERM, HUP, CONT; no KILL needed
  CHECK(sys.reboots == std::vector<int>{RB_AUTOBOOT});
  execute_shutdown(sys, log, sup, ShutdownKind::halt, {});
  CHECK(sys.reboots.back() == RB_HALT_SYSTEM);
}

TEST_CASE("shutdown: if reboot(2) fails, the services come back") {
  test::FakeSys sys;
  sys.add_file("/proc/self/mountinfo", "");
  sys.reboot_error = EPERM;
  Log log(sys);
  Supervisor sup(sys, log);
  ServiceSpec shell;
  shell.name = "shell@console";
  shell.spawn.argv = {"/bin/sh", "-l"};
  sup.add_service(shell);
  sup.start_services();
  sys.on_kill = [&](pid_t p, int sig) {
    if (p == -1 && sig == SIGTERM && sys.live.count(100)) sys.kill_child(100, SIGTERM);
  };
  execute_shutdown(sys, log, sup, ShutdownKind::poweroff, {});
  REQUIRE(sys.spawns.size() == 2);
  CHECK(sup.services()[0].pid == 101);
}

TEST_CASE("shutdown: outside PID 1 nothing is signalled or rebooted") {
  test::FakeSys sys;
  sys.pid = 4242;
  Log log(sys);
  Supervisor sup(sys, log);
  execute_shutdown(sys, log, sup, ShutdownKind::poweroff, {});
  CHECK(sys.kills.empty());
  CHECK(sys.reboots.empty());
}

TEST_CASE("signals: BusyBox meanings") {
  CHECK(shutdown_for_signal(SIGUSR1) == ShutdownKind::halt);
  CHECK(shutdown_for_signal(SIGUSR2) == ShutdownKind::poweroff);
  CHECK(shutdown_for_signal(SIGTERM) == ShutdownKind::reboot);
  CHECK(shutdown_for_signal(SIGINT) == ShutdownKind::reboot);
  CHECK(shutdown_for_signal(SIGHUP) == ShutdownKind::none);
  CHECK(shutdown_for_signal(SIGCHLD) == ShutdownKind::none);
  CHECK(signal_for_shutdown(ShutdownKind::poweroff) == SIGUSR2);
  CHECK(signal_for_shutdown(ShutdownKind::halt) == SIGUSR1);
  CHECK(signal_for_shutdown(ShutdownKind::reboot) == SIGTERM);
}
