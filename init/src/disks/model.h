#pragma once
// What the disks step found: block devices, partitions, what each holds (pure data and
// pure helpers; the effects are in probe.h).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lifeboat::disks {

// ext2/3/4 superblock state (libext2fs, or parse_ext_superblock()).
struct ExtState {
  bool read = false;          // false: `error` says why
  std::string error;
  bool primary_damaged = false;  // values come from a backup superblock
  std::uint64_t backup_block = 0;
  std::uint32_t block_size = 0;
  std::string kind;           // ext2 | ext3 | ext4 (from the feature flags)
  bool valid_fs = true;       // s_state & EXT2_VALID_FS (unmounted cleanly / checked)
  bool errors = false;        // s_state & EXT2_ERROR_FS
  bool needs_recovery = false;  // EXT3_FEATURE_INCOMPAT_RECOVER: journal not replayed
  bool has_journal = false;
  bool orphans = false;       // s_last_orphan != 0
  int mount_count = 0;
  int max_mount_count = -1;   // -1 (or 0): no limit
  std::int64_t last_check = 0;  // seconds since the epoch; 0: never
  std::uint32_t error_count = 0;
  std::string uuid, label;

  // "clean" | "errors" | "not clean"
  std::string state_name() const;
};

// Parses the 1024-byte ext superblock (as found at byte 1024 of the device).
ExtState parse_ext_superblock(std::string_view sb);

struct Volume {  // a partition, or a whole disk holding a filesystem (or nothing)
  std::string name;  // "vda1"
  std::string path;  // "/dev/vda1"
  std::string disk;  // parent disk "vda" (== name for a whole disk)
  int partno = 0;    // 0: the whole disk
  unsigned major = 0, minor = 0;
  std::uint64_t size_bytes = 0;
  std::uint64_t start_sector = 0;
  std::string partlabel, partuuid, parttype;  // from the partition table
  // Content, as libblkid sees it ("" when nothing was recognised).
  std::string type, uuid, label, usage, version;
  std::string probe_problem;  // "ambiguous signatures", "cannot open: ..."
  std::optional<ExtState> ext;
  // Stacked devices (device-mapper, md): the other names the guest may use for it
  // ("/dev/mapper/rhel-root", "/dev/rhel/root", "/dev/disk/by-id/dm-uuid-LVM-...") and the
  // block devices it is built on ("vda2"), from /sys/block/NAME/{dm,slaves}.
  std::vector<std::string> aliases;
  std::vector<std::string> slaves;
  std::string stack;  // "LVM rhel/root", "LUKS (dm-crypt)", "md raid1", "" for a plain volume
};

struct Disk {
  std::string name, path;  // "vda", "/dev/vda"
  unsigned major = 0, minor = 0;
  std::uint64_t size_bytes = 0;
  bool read_only = false;  // as the kernel saw it before lifeboat touched it
  bool removable = false;
  std::string model;       // sysfs device/model when present
  std::string table;       // gpt | dos | "" (none)
  std::string table_uuid;
  std::string probe_problem;
  std::vector<std::string> partitions;  // volume names, partition order
};

// What kind of content a blkid TYPE is, for the policy.
enum class Family { ext, xfs, vfat, btrfs, swap, lvm, raid, luks, readonly_fs, other, none };
Family family_of(std::string_view type) noexcept;
// The mount option that keeps a read-only mount from replaying a journal or log (a write):
// ext "noload", xfs "norecovery", btrfs "rescue=nologreplay"; "" for the others.
const char* no_replay_option(Family f) noexcept;
const char* to_string(Family f) noexcept;

// Whether a /sys/block entry is a guest disk candidate on its name alone: virtio (vd*),
// SCSI/SATA (sd*), NVMe namespaces (nvme<N>n<M>), Xen (xvd*), IDE (hd*), MMC (mmcblk<N>).
// Others (loop, ram, zram, sr, dm-, md, nbd, ...) count only if they hold a filesystem.
bool is_disk_name(std::string_view name) noexcept;

// The one test for a metadata drive, used by the metadata sources and the disks scan alike:
// a label config-2 or cidata (ASCII case-insensitive) on an iso9660 or vfat filesystem
// that is a whole device (partno 0: no partition table). Such a label on a partition, or on
// another filesystem type, is not a metadata drive: that disk stays a guest disk.
bool is_metadata_label(std::string_view label) noexcept;
bool is_metadata_fs_type(std::string_view type) noexcept;
bool is_metadata_drive(std::string_view label, std::string_view type, bool whole_device) noexcept;

// For members of a stack (LVM, RAID, LUKS) and swap: what an admin would run, or "".
struct Hint {
  std::string what;     // "LVM physical volume"
  std::string command;  // "vgchange -ay"
  std::string tool;     // "vgchange": whether it is in the image is checked at run time
};
Hint hint_for(std::string_view type, const std::string& path);

// The names a device-mapper device answers to, from its dm/name and dm/uuid: /dev/mapper/NAME,
// /dev/disk/by-id/dm-name-NAME and dm-uuid-UUID, and for LVM (uuid "LVM-...") /dev/VG/LV
// (NAME is VG-LV with each '-' inside VG or LV doubled). `stack` gets "LVM VG/LV",
// "LUKS (dm-crypt)" or "device-mapper".
std::vector<std::string> dm_aliases(std::string_view dm_name, std::string_view dm_uuid, std::string& stack);
// "rhel-root" -> {"rhel", "root"}; "ubuntu--vg-ubuntu--lv" -> {"ubuntu-vg", "ubuntu-lv"};
// {"", ""} when it is not a VG-LV name.
std::pair<std::string, std::string> split_lvm_dm_name(std::string_view dm_name);

// "2026-11-21T10:00:00Z"
std::string iso_utc(std::int64_t epoch_seconds);

// "1.5 GiB", "300 MiB", "512 B"
std::string human_size(std::uint64_t bytes);

}  // namespace lifeboat::disks
