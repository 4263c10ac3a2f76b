#include "boot/tools.h"

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/mount.h>

#include <cstring>

#include "boot/modules.h"
#include "common/text.h"

namespace lifeboat {

bool filesystem_listed(std::string_view proc_filesystems, std::string_view fs) {
  for (auto line : split_lines(proc_filesystems)) {
    auto f = split_ws(line);
    if (!f.empty() && f.back() == fs) return true;
  }
  return false;
}

bool is_tools_backing_file(std::string_view backing_file) {
  return trim(backing_file) == kToolsImage;
}

namespace {

// Attaches `image_fd` read-only to a free loop device; returns its path and sets `loop_fd`,
// which must stay open until the device is mounted (AUTOCLEAR detaches it on last close).
sys::Result<std::string> attach_loop(sys::Sys& sys, int image_fd, int& loop_fd, std::string& what) {
  auto ctl = sys.open("/dev/loop-control", O_RDWR | O_CLOEXEC);
  if (!ctl.ok()) {
    what = "/dev/loop-control";
    return sys::Result<std::string>::failure(ctl.err);
  }
  auto n = sys.ioctl(ctl.value, LOOP_CTL_GET_FREE, nullptr);
  sys.close_quietly(ctl.value);
  if (!n.ok()) {
    what = "LOOP_CTL_GET_FREE";
    return sys::Result<std::string>::failure(n.err);
  }
  const std::string dev = strformat("/dev/loop%d", n.value);
  auto loop = sys.open(dev, O_RDONLY | O_CLOEXEC);
  if (!loop.ok()) {
    what = dev;
    return sys::Result<std::string>::failure(loop.err);
  }
  struct loop_config cfg;
  std::memset(&cfg, 0, sizeof cfg);
  cfg.fd = static_cast<unsigned>(image_fd);
  cfg.info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR;
  std::strncpy(reinterpret_cast<char*>(cfg.info.lo_file_name), kToolsImage, LO_NAME_SIZE - 1);
  auto st = sys.ioctl(loop.value, LOOP_CONFIGURE, &cfg);
  if (!st.ok()) {
    sys.close_quietly(loop.value);
    what = dev + ": LOOP_CONFIGURE";
    return sys::Result<std::string>::failure(st.err);
  }
  loop_fd = loop.value;
  return sys::Result<std::string>::success(dev);
}

}  // namespace

ToolsMount mount_tools(sys::Sys& sys, Log& log, const std::string& modules_root) {
  ToolsMount out;
  if (!sys.exists(kToolsImage)) {
    out.absent = true;
    out.note = strformat("no %s: the programs are plain files", kToolsImage);
    return out;
  }
  // External kernels build loop and squashfs as modules (the image keeps them outside).
  auto fs = sys.read_file("/proc/filesystems", 64 * 1024);
  if (!fs.ok() || !filesystem_listed(fs.value, "squashfs") || !sys.exists("/dev/loop-control")) {
    std::string problem;
    load_named_modules(sys, log, {"loop", "squashfs"}, modules_root, problem);
    if (!problem.empty()) log.debug("tools: %s", problem.c_str());
  }
  auto img = sys.open(kToolsImage, O_RDONLY | O_CLOEXEC);
  if (!img.ok()) {
    out.note = strformat("%s: %s", kToolsImage, sys::error_text(img.err));
    return out;
  }
  std::string what;
  int loop_fd = -1;
  auto dev = attach_loop(sys, img.value, loop_fd, what);
  sys.close_quietly(img.value);  // the loop device holds its own reference
  if (!dev.ok()) {
    out.note = strformat("%s: %s", what.c_str(), sys::error_text(dev.err));
    return out;
  }
  (void)sys.mkdir_p(kToolsDir, 0755);
  auto st = sys.mount(dev.value, kToolsDir, "squashfs", MS_RDONLY | MS_NODEV | MS_NOSUID, "");
  sys.close_quietly(loop_fd);  // from here the mount holds the device (and AUTOCLEAR frees it at umount)
  if (!st.ok()) {
    out.note = strformat("mount %s on %s: %s", dev.value.c_str(), kToolsDir, sys::error_text(st.err));
    return out;
  }
  out.mounted = true;
  out.note = dev.value + " on " + kToolsDir;
  return out;
}

}  // namespace lifeboat
