#include "disks/model.h"

#include <ctime>

#include "common/text.h"

namespace lifeboat::disks {

namespace {

std::uint32_t le32(std::string_view b, std::size_t off) noexcept {
  if (off + 4 > b.size()) return 0;
  auto u = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(b[off + i])); };
  return u(0) | (u(1) << 8) | (u(2) << 16) | (u(3) << 24);
}
std::uint16_t le16(std::string_view b, std::size_t off) noexcept {
  if (off + 2 > b.size()) return 0;
  return static_cast<std::uint16_t>(static_cast<unsigned char>(b[off]) |
                                    (static_cast<unsigned char>(b[off + 1]) << 8));
}

bool starts_with(std::string_view s, std::string_view p) noexcept {
  return s.size() >= p.size() && s.substr(0, p.size()) == p;
}
bool all_digits(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

std::string uuid_text(std::string_view b, std::size_t off) {
  static const char hex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    unsigned char c = static_cast<unsigned char>(b[off + i]);
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

}  // namespace

std::string ExtState::state_name() const {
  if (errors) return "errors";
  if (!valid_fs) return "not clean";
  return "clean";
}

ExtState parse_ext_superblock(std::string_view sb) {
  ExtState st;
  if (sb.size() < 1024) {
    st.error = "short superblock";
    return st;
  }
  if (le16(sb, 0x38) != 0xEF53) {
    st.error = "bad magic number in superblock";
    return st;
  }
  st.read = true;
  const std::uint32_t log_block = le32(sb, 0x18);
  st.block_size = log_block <= 6 ? 1024u << log_block : 0;
  const std::uint16_t state = le16(sb, 0x3A);
  st.valid_fs = (state & 1) != 0;
  st.errors = (state & 2) != 0;
  st.mount_count = le16(sb, 0x34);
  st.max_mount_count = static_cast<std::int16_t>(le16(sb, 0x36));
  st.last_check = static_cast<std::int64_t>(le32(sb, 0x40)) | (static_cast<std::int64_t>(static_cast<unsigned char>(sb[0x277])) << 32);
  const std::uint32_t compat = le32(sb, 0x5C), incompat = le32(sb, 0x60), ro_compat = le32(sb, 0x64);
  st.has_journal = (compat & 0x4) != 0;
  st.needs_recovery = (incompat & 0x4) != 0;
  st.orphans = le32(sb, 0xE8) != 0;
  st.error_count = le32(sb, 0x194);
  st.uuid = uuid_text(sb, 0x68);
  std::string_view name = sb.substr(0x78, 16);
  st.label = std::string(name.substr(0, name.find('\0')));
  // ext4 if it uses anything ext3 cannot read (extents, 64bit, flex_bg, huge files, ...).
  const bool ext4 = (incompat & ~std::uint32_t{0x4 | 0x2 | 0x8}) != 0 || (ro_compat & ~std::uint32_t{0x1 | 0x2 | 0x4}) != 0;
  st.kind = ext4 ? "ext4" : st.has_journal ? "ext3" : "ext2";
  return st;
}

Family family_of(std::string_view t) noexcept {
  if (t == "ext2" || t == "ext3" || t == "ext4" || t == "ext4dev") return Family::ext;
  if (t == "xfs") return Family::xfs;
  if (t == "vfat" || t == "msdos") return Family::vfat;
  if (t == "btrfs") return Family::btrfs;
  if (t == "swap" || t == "swsuspend") return Family::swap;
  if (t == "LVM2_member" || t == "LVM1_member") return Family::lvm;
  if (t == "linux_raid_member" || t == "isw_raid_member" || t == "ddf_raid_member") return Family::raid;
  if (t == "crypto_LUKS" || t == "BitLocker") return Family::luks;
  if (t == "iso9660" || t == "udf" || t == "squashfs" || t == "erofs" || t == "cramfs") return Family::readonly_fs;
  if (t.empty()) return Family::none;
  return Family::other;
}

const char* to_string(Family f) noexcept {
  switch (f) {
    case Family::ext: return "ext";
    case Family::xfs: return "xfs";
    case Family::vfat: return "vfat";
    case Family::btrfs: return "btrfs";
    case Family::swap: return "swap";
    case Family::lvm: return "lvm";
    case Family::raid: return "raid";
    case Family::luks: return "luks";
    case Family::readonly_fs: return "read-only";
    case Family::other: return "other";
    default: return "none";
  }
}

bool is_disk_name(std::string_view n) noexcept {
  if (starts_with(n, "vd") || starts_with(n, "sd") || starts_with(n, "xvd") || starts_with(n, "hd"))
    return n.size() > (starts_with(n, "xvd") ? 3u : 2u);
  if (starts_with(n, "nvme")) {  // nvme0n1, not the controller nvme0 nor nvme0n1p1
    auto rest = n.substr(4);
    auto npos = rest.find('n');
    return npos != std::string_view::npos && all_digits(rest.substr(0, npos)) && all_digits(rest.substr(npos + 1));
  }
  if (starts_with(n, "mmcblk")) return all_digits(n.substr(6));
  return false;
}

bool is_metadata_label(std::string_view label) noexcept {
  return iequal(label, "config-2") || iequal(label, "cidata");
}

bool is_metadata_fs_type(std::string_view type) noexcept { return type == "iso9660" || type == "vfat" || type == "msdos"; }

bool is_metadata_drive(std::string_view label, std::string_view type, bool whole_device) noexcept {
  return whole_device && is_metadata_label(label) && is_metadata_fs_type(type);
}

const char* no_replay_option(Family f) noexcept {
  switch (f) {
    case Family::ext: return "noload";
    case Family::xfs: return "norecovery";
    case Family::btrfs: return "rescue=nologreplay";
    default: return "";
  }
}

Hint hint_for(std::string_view type, const std::string& path) {
  switch (family_of(type)) {
    case Family::lvm: return {"LVM physical volume", "vgchange -ay", "vgchange"};
    case Family::raid: return {"RAID member", "mdadm --assemble --scan", "mdadm"};
    case Family::luks:
      if (type == "BitLocker") return {"BitLocker volume", "", ""};
      return {"LUKS encrypted volume", "rescue unlock " + path, "cryptsetup"};
    case Family::swap: return {"swap space", "swapon " + path, "swapon"};
    default: return {};
  }
}

std::string iso_utc(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  struct tm tm {};
  if (!gmtime_r(&tt, &tm)) return "";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string human_size(std::uint64_t bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  if (u == 0) return strformat("%llu B", static_cast<unsigned long long>(bytes));
  if (v >= 100 || v == static_cast<double>(static_cast<std::uint64_t>(v))) return strformat("%.0f %s", v, units[u]);
  return strformat("%.1f %s", v, units[u]);
}

std::pair<std::string, std::string> split_lvm_dm_name(std::string_view dm_name) {
  // The VG/LV separator is the first '-' that is not part of a "--" pair.
  for (std::size_t i = 0; i < dm_name.size(); ++i) {
    if (dm_name[i] != '-') continue;
    if (i + 1 < dm_name.size() && dm_name[i + 1] == '-') {
      ++i;
      continue;
    }
    auto unescape = [](std::string_view s) {
      std::string out;
      for (std::size_t j = 0; j < s.size(); ++j) {
        out += s[j];
        if (s[j] == '-' && j + 1 < s.size() && s[j + 1] == '-') ++j;
      }
      return out;
    };
    std::string vg = unescape(dm_name.substr(0, i)), lv = unescape(dm_name.substr(i + 1));
    if (vg.empty() || lv.empty()) return {};
    return {vg, lv};
  }
  return {};
}

std::vector<std::string> dm_aliases(std::string_view dm_name, std::string_view dm_uuid, std::string& stack) {
  std::vector<std::string> out;
  stack = "device-mapper";
  if (dm_name.empty()) return out;
  const std::string name(dm_name);
  out.push_back("/dev/mapper/" + name);
  if (dm_uuid.substr(0, 4) == "LVM-") {
    auto [vg, lv] = split_lvm_dm_name(dm_name);
    if (!vg.empty()) {
      out.push_back("/dev/" + vg + "/" + lv);
      stack = "LVM " + vg + "/" + lv;
    }
  } else if (dm_uuid.substr(0, 6) == "CRYPT-") {
    stack = "LUKS (dm-crypt)";
  }
  out.push_back("/dev/disk/by-id/dm-name-" + name);
  if (!dm_uuid.empty()) out.push_back("/dev/disk/by-id/dm-uuid-" + std::string(dm_uuid));
  return out;
}

}  // namespace lifeboat::disks
