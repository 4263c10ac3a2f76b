#pragma once
// The guest system seen from the rescue side (pure): /etc/fstab, /etc/os-release,
// /proc/self/mountinfo, and mapping fstab's device names to the volumes found here.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "boot/mounts.h"
#include "common/error.h"
#include "disks/model.h"

namespace lifeboat::disks {

struct FstabEntry {
  std::string spec;        // "UUID=...", "LABEL=...", "/dev/vda1", "tmpfs", ...
  std::string mountpoint;  // octal escapes (\040) decoded
  std::string type;
  std::string options;
  int freq = 0;
  int passno = 0;
  int line = 0;
};

struct FstabParse {
  std::vector<FstabEntry> entries;
  Errors errors;  // source "fstab", field "line N"
};

// fstab(5): fields separated by blanks, '#' comments, \040-style octal escapes; fields 5
// and 6 optional (default 0). A line with fewer than 3 fields is an error (kept going).
FstabParse parse_fstab(std::string_view text);

// os-release(5): KEY=value with shell quoting ("...", '...', backslash escapes in "").
std::map<std::string, std::string> parse_os_release(std::string_view text);
// PRETTY_NAME, else "NAME VERSION", else "".
std::string pretty_name(const std::map<std::string, std::string>& os);

// What an fstab spec refers to among the volumes found here.
struct SpecMatch {
  std::optional<std::string> volume;  // volume name when found
  std::string note;  // "not a block device", "LVM logical volume: vgchange -ay first",
                     // "kernel name: may differ under the rescue system", "no such UUID"
};
SpecMatch resolve_spec(std::string_view spec, const std::vector<Volume>& volumes);

// /proc/self/mountinfo (boot/mounts.h).
using lifeboat::MountInfo;
using lifeboat::mounted_at;
using lifeboat::parse_mountinfo;

// A btrfs top-level entry name usable as `subvol=NAME` in mount options: not empty, no ','
// or '=' (they would add mount options), no control characters, not "." or "..".
bool safe_subvol_name(std::string_view name) noexcept;

// "vda1" -> "/run/lifeboat/probe/vda1"; names with '/' (cciss!c0d0) are flattened.
std::string probe_dir(std::string_view base, std::string_view volume_name);

}  // namespace lifeboat::disks
