#pragma once
// Finding metadata filesystems by label (config-2, cidata) and reading a few files off them.
//
//   auto fss = scan_block_filesystems(sys, problems);     // libblkid over /sys/class/block
//   if (auto fs = find_by_label(fss, {"config-2"})) {
//     auto got = read_files_from(sys, *fs, "/run/lifeboat/mnt/config-2",
//                                {{"openstack/latest/meta_data.json", 1 << 20}});
//   }
//
// The mount is read-only, nosuid, nodev, noexec, on a private directory, and is always
// undone (a lazy unmount if a plain one fails) before read_files_from() returns.
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sys/sys.h"

namespace lifeboat::src {

struct BlockFs {
  std::string device;  // "/dev/sr0"
  std::string type;    // "iso9660", "vfat", ...
  std::string label;   // as in the superblock ("" when none)
  bool whole_device = true;  // false: a partition (never a metadata drive)
};

// What libblkid says about one device node; nullopt when it holds no filesystem or cannot
// be opened (an empty CD drive). Replaceable for tests.
using Prober = std::function<std::optional<BlockFs>(const std::string& device)>;

// The libblkid prober (LIFEBOAT_HAVE_BLKID), else one that finds nothing.
Prober blkid_prober();
bool have_blkid() noexcept;

// The names under <sysfs> worth a probe, sorted: a non-zero size, and not the loop device
// of the rescue tools (boot/tools.h). `problems` says when <sysfs> cannot be listed.
std::vector<std::string> block_candidates(sys::Sys& sys, std::string& problems,
                                          const std::string& sysfs = "/sys/class/block");

// Every block device under <sysfs> (/sys/class/block) with a non-zero size, probed in
// name order. `problems` gets a short note per device that could not be examined.
std::vector<BlockFs> scan_block_filesystems(sys::Sys& sys, const Prober& probe, std::string& problems,
                                            const std::string& sysfs = "/sys/class/block",
                                            const std::string& dev_dir = "/dev");

// The first filesystem whose label equals one of `labels` (ASCII case-insensitive, so
// "CIDATA" and "cidata" and a vfat "CONFIG-2" all count) that is a metadata drive
// (disks::is_metadata_drive: a whole iso9660 or vfat device; never ext*, never a partition).
std::optional<BlockFs> find_by_label(const std::vector<BlockFs>& fss, std::initializer_list<std::string_view> labels);

struct FileWant {
  std::string path;  // relative to the filesystem root
  std::size_t max_bytes = 1 << 20;
};

struct FileGot {
  std::optional<std::string> text;  // nullopt: missing or unreadable (see problem)
  std::string problem;              // "" | "missing" | "larger than N bytes" | strerror
};

struct FilesRead {
  bool mounted = false;
  std::string error;                      // mount failure ("" when mounted)
  std::string unmount_error;              // "" when the unmount worked
  std::map<std::string, FileGot> files;   // by FileWant::path
};

// Mounts fs read-only on `mountpoint` (created 0700), reads each wanted file (at most
// max_bytes; a larger file is refused, not cut), unmounts.
FilesRead read_files_from(sys::Sys& sys, const BlockFs& fs, const std::string& mountpoint,
                          const std::vector<FileWant>& want);

// Reads the same files from a plain directory (ds=nocloud;s=/path/).
FilesRead read_files_in_dir(sys::Sys& sys, const std::string& dir, const std::vector<FileWant>& want);

}  // namespace lifeboat::src
