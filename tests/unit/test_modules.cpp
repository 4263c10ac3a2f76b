#include <doctest/doctest.h>

#include "boot/log.h"
#include "boot/modules.h"
#include "fake_sys.h"

using namespace lifeboat;

namespace {
const char* kAlias =
    "# Aliases extracted from modules themselves.\n"
    "alias pci:v00001AF4d00001000sv*sd*bc*sc*i* virtio_pci\n"
    "alias pci:v00001AF4d*sv*sd*bc*sc*i* virtio_pci\n"
    "alias virtio:d00000001v* virtio_net\n"
    "alias virtio:d00000002v* virtio_blk\n"
    "alias fs-xfs xfs\n"
    "alias acpi*:PNP0A03:* some-bridge\n"
    "bogus line\n";
const char* kDep =
    "kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_modern_dev.ko "
    "kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_ring.ko "
    "kernel/drivers/virtio/virtio.ko\n"
    "kernel/drivers/virtio/virtio_pci_modern_dev.ko:\n"
    "kernel/drivers/virtio/virtio_pci_legacy_dev.ko:\n"
    "kernel/drivers/virtio/virtio_ring.ko:\n"
    "kernel/drivers/virtio/virtio.ko:\n"
    "kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko "
    "kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko\n"
    "kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko\n"
    "kernel/net/core/failover.ko:\n"
    "kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko\n"
    "kernel/fs/xfs/xfs.ko.zst: kernel/lib/libcrc32c.ko\n"
    "kernel/lib/libcrc32c.ko:\n";

// The module files of virtio_pci and virtio_net (with their dependencies), and `more`.
void add_virtio_modules(test::FakeSys& sys, const std::string& dir, std::initializer_list<const char*> more) {
  for (const char* m : {"drivers/virtio/virtio_pci.ko", "drivers/virtio/virtio_pci_modern_dev.ko",
                        "drivers/virtio/virtio_pci_legacy_dev.ko", "drivers/virtio/virtio_ring.ko",
                        "drivers/virtio/virtio.ko", "drivers/net/virtio_net.ko",
                        "drivers/net/net_failover.ko", "net/core/failover.ko"})
    sys.add_file(dir + "/kernel/" + m, "ELF");
  for (const char* m : more) sys.add_file(dir + "/kernel/" + m, "ELF");
}
}  // namespace

TEST_CASE("modules: names") {
  CHECK(module_name("kernel/drivers/net/virtio-net.ko") == "virtio_net");
  CHECK(module_name("kernel/fs/xfs/xfs.ko.zst") == "xfs");
  CHECK(module_name("some-bridge") == "some_bridge");
}

TEST_CASE("modules: alias matching with fnmatch patterns") {
  auto rules = parse_modules_alias(kAlias);
  REQUIRE(rules.size() == 6);
  CHECK(match_modalias(rules, "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00") ==
        std::vector<std::string>{"virtio_pci"});  // two rules, one module
  CHECK(match_modalias(rules, "virtio:d00000001v00001AF4") == std::vector<std::string>{"virtio_net"});
  CHECK(match_modalias(rules, "acpi:PNP0A03:") == std::vector<std::string>{"some_bridge"});
  CHECK(match_modalias(rules, "pci:v00008086d00001237sv*").empty());
  CHECK(match_modalias(rules, "").empty());
}

TEST_CASE("modules: dep parsing and load order (deps first, each once)") {
  auto db = parse_modules_dep(kDep);
  REQUIRE(db.count("virtio_pci"));
  CHECK(db["virtio_pci"].deps.size() == 4);
  CHECK(db["xfs"].path == "kernel/fs/xfs/xfs.ko.zst");

  auto plan = plan_module_load(db, {"virtio_pci", "virtio_net", "virtio_blk"});
  CHECK(plan.missing.empty());
  CHECK(plan.order == std::vector<std::string>{"virtio", "virtio_ring", "virtio_pci_legacy_dev",
                                               "virtio_pci_modern_dev", "virtio_pci", "failover",
                                               "net_failover", "virtio_net", "virtio_blk"});
  auto pos = [&](const std::string& m) {
    return std::find(plan.order.begin(), plan.order.end(), m) - plan.order.begin();
  };
  CHECK(pos("failover") < pos("net_failover"));
  CHECK(pos("net_failover") < pos("virtio_net"));
}

TEST_CASE("modules: already loaded, missing names and cycles") {
  auto db = parse_modules_dep(kDep);
  auto plan = plan_module_load(db, {"virtio_blk", "nope"}, {"virtio", "virtio_ring"});
  CHECK(plan.order == std::vector<std::string>{"virtio_blk"});
  CHECK(plan.missing == std::vector<std::string>{"nope"});

  auto cyc = parse_modules_dep("a.ko: b.ko\nb.ko: a.ko\n");
  auto p2 = plan_module_load(cyc, {"a"});
  CHECK(p2.order.size() == 2);
}

TEST_CASE("modules: lifeboat.modules list") {
  CHECK(parse_module_list("xfs\n# comment\n\n vfat  # fat\niso9660") ==
        std::vector<std::string>{"xfs", "vfat", "iso9660"});
}

TEST_CASE("modules: coldplug against FakeSys, PID 1 loading in order (passes, deps, compressed, EEXIST)") {
  test::FakeSys sys;
  const std::string dir = "/lib/modules/6.1.0-test";
  sys.add_file(dir + "/modules.alias", kAlias);
  sys.add_file(dir + "/modules.dep", kDep);
  sys.add_file(dir + "/lifeboat.modules", "xfs\nvirtio_blk\n");
  add_virtio_modules(sys, dir, {"drivers/block/virtio_blk.ko", "lib/libcrc32c.ko"});
  sys.module_errors[dir + "/kernel/drivers/virtio/virtio.ko"] = EEXIST;  // built in
  sys.add_file("/sys/bus/pci/devices/0000:00:03.0/modalias",
               "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00\n");

  // Loading virtio_pci makes the virtio device appear, as the kernel would.
  sys.on_module_load = [&](const std::string& path) {
    if (path.find("virtio_pci.ko") != std::string::npos)
      sys.add_file("/sys/bus/virtio/devices/virtio0/modalias", "virtio:d00000001v00001AF4\n");
  };
  Log log(sys);
  log.attach_console(1);
  std::string skipped;
  ColdplugOptions opt;
  opt.parallel = 1;
  auto st = coldplug_modules(sys, log, opt, skipped);
  CHECK(skipped.empty());
  CHECK(st.failed == 0);
  CHECK(st.skipped == 1);  // xfs.ko.zst
  CHECK(sys.console_text().find("xfs: skipped: compressed module") != std::string::npos);
  // virtio is EEXIST (not counted), the rest loaded once each; libcrc32c as xfs's dep.
  CHECK(st.loaded == 9);
  CHECK(std::count(sys.loaded_modules.begin(), sys.loaded_modules.end(),
                   dir + "/kernel/drivers/block/virtio_blk.ko") == 1);
  CHECK(st.passes == 3);  // PCI, then virtio, then nothing new
  CHECK(sys.forks.empty());
}

TEST_CASE("modules: no module tree -> skipped with a reason") {
  test::FakeSys sys;
  Log log(sys);
  std::string skipped;
  auto st = coldplug_modules(sys, log, ColdplugOptions{}, skipped);
  CHECK(st.loaded == 0);
  CHECK(skipped == "no /lib/modules/6.1.0-test/modules.dep");
  // Our own kernel: PID 1 then mounts the tools in the DHCP wait, not before the modules.
  CHECK_FALSE(has_module_tree(sys));
  sys.add_file("/lib/modules/6.1.0-test/modules.dep", "");
  CHECK(has_module_tree(sys));
  CHECK_FALSE(has_module_tree(sys, "/elsewhere"));
}

TEST_CASE("modules: the kernel's requests resolve to a module or through aliases") {
  auto db = parse_modules_dep(kDep);
  auto rules = parse_modules_alias(kAlias);
  CHECK(resolve_module_request(db, rules, "virtio-net") == std::vector<std::string>{"virtio_net"});
  CHECK(resolve_module_request(db, rules, "fs-xfs") == std::vector<std::string>{"xfs"});
  CHECK(resolve_module_request(db, rules, "fs-nosuchfs").empty());
}

TEST_CASE("modules: the helper loads what the kernel asks for, with its dependencies") {
  test::FakeSys sys;
  const std::string dir = "/lib/modules/6.1.0-test";
  sys.add_file(dir + "/modules.dep",
               "kernel/drivers/md/dm-mod.ko:\nkernel/drivers/md/dm-crypt.ko: kernel/drivers/md/dm-mod.ko\n");
  sys.add_file(dir + "/modules.alias", "alias dm-crypt dm_crypt\nalias fs-xfs xfs\n");
  sys.add_file(dir + "/kernel/drivers/md/dm-mod.ko", "");
  sys.add_file(dir + "/kernel/drivers/md/dm-crypt.ko", "");
  CHECK(kernel_modprobe(sys, {"-q", "--", "dm-crypt"}) == 0);
  CHECK(sys.loaded_modules == std::vector<std::string>{dir + "/kernel/drivers/md/dm-mod.ko",
                                                       dir + "/kernel/drivers/md/dm-crypt.ko"});
  CHECK(kernel_modprobe(sys, {"-q", "--", "fs-xfs"}) == 1);  // aliased, but not in this image
  CHECK(kernel_modprobe(sys, {"-q", "--", "net-pf-99"}) == 1);
}

TEST_CASE("modules: coldplug registers the helper when the image has it") {
  test::FakeSys sys;
  sys.add_file("/lib/modules/6.1.0-test/modules.dep", "");
  sys.add_file(kModprobeHelper, "");
  Log log(sys);
  std::string skipped;
  (void)coldplug_modules(sys, log, ColdplugOptions{}, skipped);
  CHECK(sys.files["/proc/sys/kernel/modprobe"] == std::string(kModprobeHelper) + "\n");
}

TEST_CASE("modules: each pass loads its modules side by side in forked children") {
  test::FakeSys sys;
  const std::string dir = "/lib/modules/6.1.0-test";
  sys.add_file(dir + "/modules.dep", std::string(kDep) + "kernel/drivers/acpi/some-bridge.ko:\n"
                                     "kernel/drivers/input/evdev.ko:\n");
  sys.add_file(dir + "/modules.alias", std::string(kAlias) + "alias input:b*v*p*e*-e* evdev\n");
  add_virtio_modules(sys, dir, {"drivers/acpi/some-bridge.ko", "drivers/input/evdev.ko"});
  sys.module_errors[dir + "/kernel/drivers/acpi/some-bridge.ko"] = ENODEV;
  sys.add_file("/proc/modules", "");
  // Devices on buses (links to /sys/devices in the real tree), and a class device on none.
  sys.add_file("/sys/bus/pci/devices/0000:00:03.0/modalias",
               "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00\n");
  sys.add_file("/sys/bus/acpi/devices/PNP0A03:00/modalias", "acpi:PNP0A03:\n");
  sys.add_file("/sys/bus/acpi/devices/LNXSYSTM:00/uevent", "");  // no modalias: skipped
  sys.add_file("/sys/class/input/input0/modalias", "input:b0019v0000p0001e0000-e0,1,k74,ramlsfw\n");
  sys.add_file("/sys/devices/pci0000:00/0000:00:04.0/modalias", "pci:v00008086d00007010sv*");  // not walked
  // A child's module shows up in /proc/modules, and virtio_pci makes the virtio device
  // appear, as the kernel would.
  sys.on_module_load = [&](const std::string& path) {
    const std::string name = module_name(path);
    if (name != "some_bridge") sys.files["/proc/modules"] += name + " 16384 0 - Live 0x0\n";
    if (name == "virtio_pci") sys.add_file("/sys/bus/virtio/devices/virtio0/modalias", "virtio:d00000001v00001AF4\n");
  };
  Log log(sys);
  std::string skipped;
  auto st = coldplug_modules(sys, log, ColdplugOptions{}, skipped);
  // One child per wanted module (with its dependencies), in the order the aliases came.
  CHECK(sys.forks.size() == 4);  // some_bridge, evdev, virtio_pci; then virtio_net
  CHECK(std::count(sys.loaded_modules.begin(), sys.loaded_modules.end(),
                   dir + "/kernel/drivers/net/virtio_net.ko") == 1);
  CHECK(st.loaded == 9);  // virtio_pci and its 4 deps, evdev, virtio_net and its 2 deps
  CHECK(st.failed == 1);  // some_bridge's child exited 1
  CHECK(st.passes == 3);
  CHECK(sys.spawns.empty());  // no helper exec'd
}

TEST_CASE("modules: /proc/modules names") {
  CHECK(parse_proc_modules("virtio_net 65536 0 - Live 0x0\nxfs 1 0 - Live 0x0\n\n") ==
        std::set<std::string>{"virtio_net", "xfs"});
}
