#include <doctest/doctest.h>

#include <linux/loop.h>
#include <sys/mount.h>

#include <cstring>

#include "boot/log.h"
#include "boot/tools.h"
#include "fake_sys.h"
#include "report/step_runner.h"
#include "sources/blockdev.h"
#include "sources/provision.h"
#include "supervise/supervisor.h"

using namespace lifeboat;

TEST_CASE("tools: /proc/filesystems and the tools' own loop device") {
  const char* fs = "nodev\tsysfs\nnodev\ttmpfs\n\text4\n\tsquashfs\n";
  CHECK(filesystem_listed(fs, "squashfs"));
  CHECK(filesystem_listed(fs, "tmpfs"));
  CHECK_FALSE(filesystem_listed(fs, "squash"));
  CHECK_FALSE(filesystem_listed("", "squashfs"));
  CHECK(is_tools_backing_file("/usr/lib/lifeboat/tools.sqfs\n"));
  CHECK_FALSE(is_tools_backing_file("/mnt/guest/usr/lib/lifeboat/tools.sqfs\n"));
  CHECK_FALSE(is_tools_backing_file(""));
}

TEST_CASE("tools: an image without the squashfs needs no mount") {
  test::FakeSys sys;
  Log log(sys);
  auto t = mount_tools(sys, log);
  CHECK(t.absent);
  CHECK_FALSE(t.mounted);
  CHECK(sys.mounts.empty());
}

TEST_CASE("tools: attached read-only to the free loop device, mounted read-only") {
  test::FakeSys sys;
  Log log(sys);
  sys.add_file(kToolsImage, "hsqs");
  sys.add_file("/proc/filesystems", "nodev\tproc\n\tsquashfs\n");
  sys.add_file("/dev/loop-control", "");
  sys.add_file("/dev/loop3", "");
  unsigned flags = 0;
  sys.on_ioctl = [&](unsigned long req, void* arg) {
    if (req == LOOP_CTL_GET_FREE) return sys::Status{3, 0};
    if (req == LOOP_CONFIGURE) flags = static_cast<loop_config*>(arg)->info.lo_flags;
    return sys::ok_status();
  };
  auto t = mount_tools(sys, log);
  CHECK(t.mounted);
  CHECK(t.note == "/dev/loop3 on /usr/lib/lifeboat/tools");
  CHECK(flags == (LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR));
  REQUIRE(sys.mounts.size() == 1);
  CHECK(sys.mounts[0].source == "/dev/loop3");
  CHECK(sys.mounts[0].target == kToolsDir);
  CHECK(sys.mounts[0].fstype == "squashfs");
  CHECK((sys.mounts[0].flags & MS_RDONLY) != 0);
  CHECK(sys.loaded_modules.empty());  // built into this kernel
}

TEST_CASE("tools: an external kernel gets loop and squashfs loaded first; failures are named") {
  test::FakeSys sys;
  Log log(sys);
  sys.add_file(kToolsImage, "hsqs");
  sys.add_file("/proc/filesystems", "nodev\tproc\n");
  sys.add_file("/lib/modules/6.1.0-test/modules.dep",
               "kernel/drivers/block/loop.ko:\nkernel/fs/squashfs/squashfs.ko:\n");
  sys.add_file("/lib/modules/6.1.0-test/kernel/drivers/block/loop.ko", "");
  sys.add_file("/lib/modules/6.1.0-test/kernel/fs/squashfs/squashfs.ko", "");
  auto t = mount_tools(sys, log);
  CHECK(sys.loaded_modules.size() == 2);
  CHECK_FALSE(t.mounted);  // still no /dev/loop-control in this fake
  CHECK(t.note.find("/dev/loop-control") != std::string::npos);
}

TEST_CASE("tools: the tools' loop device is no metadata drive; with nothing else, no child reads drives") {
  test::FakeSys sys;
  sys.add_file("/sys/class/block/loop0/size", "11336\n");
  sys.add_file("/sys/class/block/loop0/loop/backing_file", "/usr/lib/lifeboat/tools.sqfs\n");
  sys.add_file("/sys/class/block/loop1/size", "0\n");
  std::string problems;
  CHECK(src::block_candidates(sys, problems).empty());
  CHECK(problems.empty());

  Log log(sys);
  Supervisor sup(sys, log);
  src::Provision prov;
  StepContext step;
  src::read_metadata_drives(sys, sup, step, prov);
  CHECK(sys.spawns.empty());
  CHECK(step.detail() == "0 filesystems (no block device)");
  REQUIRE(prov.drives);
  CHECK(prov.drives->filesystems.empty());

  sys.add_file("/sys/class/block/vda/size", "2048\n");
  sys.add_file("/sys/class/block/loop2/size", "2048\n");
  sys.add_file("/sys/class/block/loop2/loop/backing_file", "/mnt/guest.img\n");  // the admin's
  CHECK(src::block_candidates(sys, problems) == std::vector<std::string>{"loop2", "vda"});
}
