#pragma once
// The image's big programs (fsck, mkfs, LVM, md, LUKS, btrfs, scp/sftp, an external kernel's
// modules) ride in a squashfs inside the initramfs (recipes/image.sh). PID 1 attaches it to a
// loop device and mounts it read-only at kToolsDir before anything uses them; /sbin/e2fsck
// and the like are links into it. They stay compressed in RAM, and the kernel unpacks only
// the small rest of the initramfs before /init runs.
//
// Pure part (unit tested): does /proc/filesystems list a filesystem; is a /sys/block entry
// the tools' own loop device (disks leave it alone). Effects: mount_tools.
#include <string>
#include <string_view>

#include "boot/log.h"
#include "sys/sys.h"

namespace lifeboat {

inline constexpr const char* kToolsImage = "/usr/lib/lifeboat/tools.sqfs";
inline constexpr const char* kToolsDir = "/usr/lib/lifeboat/tools";

// "nodev\tproc\n\tsquashfs\n" lists "squashfs".
bool filesystem_listed(std::string_view proc_filesystems, std::string_view fs);

// The backing file of /sys/block/loopN/loop/backing_file is the tools image.
bool is_tools_backing_file(std::string_view backing_file);

struct ToolsMount {
  bool mounted = false;
  bool absent = false;  // no tools image: an image built without the split
  std::string note;     // "loop0, 4.6 MB" or what went wrong
};

// Loads the loop and squashfs modules when the kernel lacks them (external kernels),
// attaches kToolsImage read-only to a free loop device and mounts it at kToolsDir.
ToolsMount mount_tools(sys::Sys& sys, Log& log, const std::string& modules_root = "/lib/modules");

}  // namespace lifeboat
