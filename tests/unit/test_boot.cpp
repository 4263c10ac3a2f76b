// Early boot effects against FakeSys: mounts, device nodes, console fds, logging,
// hostname, rng, loopback.
#include <doctest/doctest.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include <cstring>

#include "boot/log.h"
#include "boot/mounts.h"
#include "boot/system_setup.h"
#include "net/ifconfig.h"
#include "fake_sys.h"

using namespace lifeboat;
using lifeboat::net::loopback_up;

TEST_CASE("mounts: all early mounts, mount points created, in order") {
  test::FakeSys sys;
  auto out = do_early_mounts(sys);
  REQUIRE(out.size() == 8);
  for (const auto& o : out) CHECK(o.ok);
  REQUIRE(sys.mounts.size() == 8);
  CHECK(sys.mounts[0].target == "/proc");
  CHECK(sys.mounts[3].fstype == "devpts");
  CHECK(sys.mounts[3].data == "mode=620,ptmxmode=666");
  CHECK(sys.mounts[5].target == "/tmp");
  CHECK(sys.mounts[6].target == "/root");
  CHECK(sys.mounts[6].data == "mode=0700");
  CHECK(sys.mounts[7].target == "/mnt");  // where guests are mounted, capped like /root
  CHECK(sys.mounts[7].fstype == "tmpfs");
  CHECK(sys.dirs.count("/dev/pts"));
}

TEST_CASE("mounts: already mounted and EBUSY are fine; other errors are reported") {
  test::FakeSys sys;
  sys.add_file("/proc/self/mountinfo", "1 1 0:2 / / rw - rootfs rootfs rw\n22 1 0:5 / /dev rw - devtmpfs devtmpfs rw\n");
  sys.mount_errors["/run"] = EBUSY;
  sys.mount_errors["/tmp"] = ENODEV;
  auto out = do_early_mounts(sys);
  CHECK(out[2].target == "/dev");
  CHECK(out[2].already);
  CHECK(out[4].ok);
  CHECK(out[4].already);
  CHECK_FALSE(out[5].ok);
  CHECK(out[5].err == ENODEV);
  for (const auto& m : sys.mounts) CHECK(m.target != "/dev");
}

TEST_CASE("mounts: device nodes and console fds") {
  test::FakeSys sys;
  auto created = ensure_device_nodes(sys);
  CHECK(created == std::vector<std::string>{"/dev/console", "/dev/null"});
  CHECK(ensure_device_nodes(sys).empty());

  sys.std_fds.clear();  // the kernel found no /dev/console in the initramfs
  int fd = ensure_console_fds(sys);
  CHECK(fd >= 0);
  CHECK(sys.fd_is_open(fd));
}

TEST_CASE("log: console and kmsg, early lines replayed once") {
  test::FakeSys sys;
  sys.add_file("/dev/kmsg", "");
  Log log(sys);
  log.info("early %d", 1);  // no sink yet
  log.attach_console(1);
  CHECK(sys.console_text() == "lifeboat: early 1\n");
  log.attach_console(1);  // same console again: no second replay
  log.line("second");
  CHECK(log.attach_kmsg());
  CHECK(sys.files["/dev/kmsg"] == "<6>lifeboat: early 1\n<6>lifeboat: second\n");
  log.end_early();
  log.debug("hidden");
  log.set_debug(true);
  log.debug("shown");
  CHECK(sys.console_text() == "lifeboat: early 1\nlifeboat: second\nlifeboat: shown\n");
  CHECK(sys.files["/dev/kmsg"].find("<6>lifeboat: shown\n") != std::string::npos);

  log.line(std::string(5000, 'x'));  // long lines are cut, still one line
  CHECK(sys.console_text().back() == '\n');

  CHECK(quiet_console_loglevel(sys).ok());
  CHECK(sys.files["/proc/sys/kernel/printk"] == "4\n");
  CHECK(unlimit_kmsg(sys).ok());
  CHECK(sys.files["/proc/sys/kernel/printk_devkmsg"] == "on\n");
}

TEST_CASE("hostname and rng") {
  test::FakeSys sys;
  CHECK(set_hostname(sys, "box") == "box");
  CHECK(sys.hostname == "box");

  sys.add_file("/dev/urandom", "");
  CHECK(seed_rng(sys) == "no /dev/hwrng, clocks");
  CHECK(sys.files["/dev/urandom"].size() == 16);
  sys.add_file("/dev/hwrng", std::string(100, 'r'));
  CHECK(seed_rng(sys) == "64 bytes from /dev/hwrng, clocks");
  CHECK(sys.files["/dev/urandom"].size() == 16 + 64 + 16);

  test::FakeSys none;
  CHECK_THROWS_WITH(seed_rng(none), "/dev/urandom: No such file or directory");
}

TEST_CASE("loopback: up, and 127.0.0.1/8 added when missing") {
  test::FakeSys sys;
  bool has_addr = false;
  sys.on_ioctl = [&](unsigned long req, void* arg) {
    auto* ifr = static_cast<struct ifreq*>(arg);
    CHECK(std::strcmp(ifr->ifr_name, "lo") == 0);
    if (req == SIOCGIFFLAGS) ifr->ifr_flags = 0;
    if (req == SIOCGIFADDR && !has_addr) return sys::Status::failure(EADDRNOTAVAIL);
    if (req == SIOCSIFADDR) has_addr = true;
    return sys::ok_status();
  };
  CHECK(loopback_up(sys) == "up, 127.0.0.1/8 added");
  CHECK(sys.ioctls == std::vector<unsigned long>{SIOCGIFFLAGS, SIOCSIFFLAGS, SIOCGIFADDR, SIOCSIFADDR, SIOCSIFNETMASK});
  sys.ioctls.clear();
  CHECK(loopback_up(sys) == "up, has an address");

  test::FakeSys bad;
  bad.on_ioctl = [](unsigned long, void*) { return sys::Status::failure(ENODEV); };
  CHECK_THROWS_WITH(loopback_up(bad), "SIOCGIFFLAGS lo: No such device");
}
