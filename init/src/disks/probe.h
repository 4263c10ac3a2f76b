#pragma once
// Finding the guest disks (effects): /sys/block, libblkid (read-only opens), libext2fs
// (ext2fs_open without EXT2_FLAG_RW), BLKROSET while the rescue system looks.
//
//   Probers probers = default_probers();
//   Scan scan = scan_disks(sys, probers);          // disks, partitions, contents
//   ReadOnlyGuard guard(sys);
//   guard.protect(scan.disks);                      // BLKROSET 1 on each whole disk
//   ...                                             // look around; nothing can write
//   guard.restore_all();                            // back to what the kernel had
//
// BLKROSET on the whole disk makes the kernel refuse writes to it and its partitions;
// ext4 then skips orphan processing and journal replay even when a read-only mount would
// otherwise do them (a `ro` mount of ext4 with an orphan list WRITES to the disk).
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "disks/fsck_policy.h"
#include "disks/model.h"
#include "sys/sys.h"

namespace lifeboat::disks {

struct ContentProbe {  // libblkid superblocks
  std::string type, uuid, label, usage, version;
  std::string problem;  // "ambiguous signatures", "cannot open", ...
};

struct TableProbe {  // libblkid partitions
  std::string type, uuid;  // "gpt", "dos"
  struct Part {
    int partno = 0;
    std::string name, uuid, type;
  };
  std::vector<Part> parts;
  std::string problem;
};

struct Probers {
  std::function<ContentProbe(const std::string& dev)> content;
  std::function<TableProbe(const std::string& dev)> table;
  // ext superblock state; when the primary superblock is bad, the backups are tried.
  std::function<ExtState(const std::string& dev)> ext;
};

// libblkid / libext2fs when built in; else content/table find nothing and ext reads the
// primary superblock itself (no backups).
Probers default_probers(sys::Sys& sys);
bool have_blkid() noexcept;
// libblkid's superblock probe of one device (TYPE, UUID, LABEL, USAGE, VERSION); empty
// when not built in. The one libblkid wrapper (the metadata drives use it too).
ContentProbe probe_content(const std::string& dev);
bool have_ext2fs() noexcept;

struct Scan {
  std::vector<Disk> disks;
  std::vector<Volume> volumes;  // every partition, and each whole disk without partitions
  std::vector<std::string> problems;
  std::size_t metadata_drives = 0;  // left out (config-2, cidata)
};

// `only`: just that /sys/block entry (a probe child looks at one disk).
Scan scan_disks(sys::Sys& sys, const Probers& probers, const std::string& sys_block = "/sys/block",
                const std::string& dev_dir = "/dev", const std::string& only = "");

// The /sys/block entries a scan looks at, in scan order.
std::vector<std::string> block_names(sys::Sys& sys, const std::string& sys_block, std::string& problem);

// A Scan as JSON (what `init __probe DISK` prints) and back. Parsing never throws: what
// is not understood is left out, and `error` says so.
std::string scan_to_json(const Scan& scan);
bool scan_from_json(const std::string& text, Scan& out, std::string& error);

// Reads the primary ext superblock of `dev` through Sys (no library).
ExtState read_ext_superblock(sys::Sys& sys, const std::string& dev);

class ReadOnlyGuard {
 public:
  explicit ReadOnlyGuard(sys::Sys& sys) noexcept : sys_(sys) {}
  ~ReadOnlyGuard() { restore_all(); }
  ReadOnlyGuard(const ReadOnlyGuard&) = delete;
  ReadOnlyGuard& operator=(const ReadOnlyGuard&) = delete;

  // Sets each disk read-only, remembering its previous state. Returns problems ("" if none).
  std::string protect(const std::vector<Disk>& disks);
  // Puts one disk back (before a repair); "" or the problem.
  std::string restore(const std::string& path);
  std::string restore_all() noexcept;
  // Leaves a disk as it is now (read-only): nothing may open it again from PID 1, e.g.
  // because a killed checker is still stuck in the kernel holding it.
  void forget(const std::string& path) noexcept { saved_.erase(path); }
  bool is_protected(const std::string& path) const noexcept { return saved_.count(path) != 0; }

 private:
  sys::Sys& sys_;
  std::map<std::string, int> saved_;  // path -> previous BLKROGET value
};

// Absolute path of `name` in /sbin, /usr/sbin, /bin, /usr/bin ("" if none).
std::string find_tool(sys::Sys& sys, const std::string& name);
// The directories at the top of a btrfs mounted with subvolid=5 that may hold a guest
// root: names safe as subvol= (safe_subvol_name), at most 64 of them (guest data: bounded).
std::vector<std::string> subvol_candidates(sys::Sys& sys, const std::string& top);

// The checkers and mount tools the image has.
Tools find_fsck_tools(sys::Sys& sys);

}  // namespace lifeboat::disks
