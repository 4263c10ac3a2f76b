#include "disks/probe.h"

#include <dirent.h>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mount.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#ifdef LIFEBOAT_HAVE_BLKID
#include <blkid/blkid.h>
#endif
#ifdef LIFEBOAT_HAVE_EXT2FS
#include <ext2fs/ext2fs.h>
#endif

#include "common/text.h"
#include "disks/guest.h"

namespace lifeboat::disks {

namespace {

std::string read_attr(sys::Sys& sys, const std::string& path) {
  auto r = sys.read_file(path, 4096);
  if (!r.ok()) return "";
  return std::string(trim(r.value));
}

bool parse_devno(const std::string& text, unsigned& major, unsigned& minor) {
  auto colon = text.find(':');
  long long a = 0, b = 0;
  if (colon == std::string::npos || !parse_int(std::string_view(text).substr(0, colon), a) ||
      !parse_int(std::string_view(text).substr(colon + 1), b) || a < 0 || b < 0)
    return false;
  major = static_cast<unsigned>(a);
  minor = static_cast<unsigned>(b);
  return true;
}

std::uint64_t read_u64(sys::Sys& sys, const std::string& path) {
  long long v = 0;
  if (!parse_int(read_attr(sys, path), v) || v < 0) return 0;
  return static_cast<std::uint64_t>(v);
}

// vda < vdb < vdz < vdaa; nvme0n1 < nvme0n2 < nvme1n1.
bool name_less(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

void apply_content(Volume& v, const ContentProbe& c) {
  v.type = c.type;
  v.uuid = c.uuid;
  v.label = c.label;
  v.usage = c.usage;
  v.version = c.version;
  v.probe_problem = c.problem;
}

#ifdef LIFEBOAT_HAVE_BLKID
struct ProbeFree {
  blkid_probe p;
  ~ProbeFree() {
    if (p) blkid_free_probe(p);
  }
};

std::string lookup(blkid_probe pr, const char* name) {
  const char* value = nullptr;
  std::size_t len = 0;
  if (blkid_probe_lookup_value(pr, name, &value, &len) != 0 || !value) return "";
  return std::string(value, strnlen(value, len));
}

ContentProbe blkid_content(const std::string& dev) {
  ContentProbe c;
  blkid_probe pr = blkid_new_probe_from_filename(dev.c_str());  // O_RDONLY
  if (!pr) {
    c.problem = strformat("cannot open: %s", sys::error_text(errno));
    return c;
  }
  ProbeFree guard{pr};
  if (blkid_probe_enable_superblocks(pr, 1) != 0 ||
      blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID | BLKID_SUBLKS_TYPE |
                                                BLKID_SUBLKS_USAGE | BLKID_SUBLKS_VERSION) != 0 ||
      blkid_probe_enable_partitions(pr, 0) != 0) {
    c.problem = "libblkid: setup failed";
    return c;
  }
  int rc = blkid_do_safeprobe(pr);
  if (rc == -2) c.problem = "ambiguous signatures (more than one filesystem type found)";
  else if (rc < 0) c.problem = "libblkid: probe failed";
  if (rc != 0) return c;
  c.type = lookup(pr, "TYPE");
  c.uuid = lookup(pr, "UUID");
  c.label = lookup(pr, "LABEL");
  c.usage = lookup(pr, "USAGE");
  c.version = lookup(pr, "VERSION");
  return c;
}

TableProbe blkid_table(const std::string& dev) {
  TableProbe t;
  blkid_probe pr = blkid_new_probe_from_filename(dev.c_str());
  if (!pr) {
    t.problem = strformat("cannot open: %s", sys::error_text(errno));
    return t;
  }
  ProbeFree guard{pr};
  if (blkid_probe_enable_superblocks(pr, 0) != 0 || blkid_probe_enable_partitions(pr, 1) != 0 ||
      blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS) != 0) {
    t.problem = "libblkid: setup failed";
    return t;
  }
  blkid_partlist ls = blkid_probe_get_partitions(pr);
  if (!ls) return t;  // no partition table
  if (blkid_parttable tab = blkid_partlist_get_table(ls)) {
    if (const char* s = blkid_parttable_get_type(tab)) t.type = s;
    if (const char* s = blkid_parttable_get_id(tab)) t.uuid = s;
  }
  int n = blkid_partlist_numof_partitions(ls);
  for (int i = 0; i < n; ++i) {
    blkid_partition par = blkid_partlist_get_partition(ls, i);
    if (!par) continue;
    TableProbe::Part p;
    p.partno = blkid_partition_get_partno(par);
    if (const char* s = blkid_partition_get_name(par)) p.name = s;
    if (const char* s = blkid_partition_get_uuid(par)) p.uuid = s;
    if (const char* s = blkid_partition_get_type_string(par)) p.type = s;
    else if (int code = blkid_partition_get_type(par)) p.type = strformat("0x%02x", code);
    t.parts.push_back(std::move(p));
  }
  return t;
}
#endif

#ifdef LIFEBOAT_HAVE_EXT2FS
void fill_from_super(ExtState& st, const ext2_super_block* sb) {
  st.read = true;
  st.block_size = 1024u << std::min<std::uint32_t>(sb->s_log_block_size, 6);
  st.valid_fs = (sb->s_state & EXT2_VALID_FS) != 0;
  st.errors = (sb->s_state & EXT2_ERROR_FS) != 0;
  st.needs_recovery = (sb->s_feature_incompat & EXT3_FEATURE_INCOMPAT_RECOVER) != 0;
  st.has_journal = (sb->s_feature_compat & EXT3_FEATURE_COMPAT_HAS_JOURNAL) != 0;
  st.orphans = sb->s_last_orphan != 0;
  st.mount_count = sb->s_mnt_count;
  st.max_mount_count = sb->s_max_mnt_count;
  st.last_check = static_cast<std::int64_t>(sb->s_lastcheck) | (static_cast<std::int64_t>(sb->s_lastcheck_hi) << 32);
  st.error_count = sb->s_error_count;
  // Reuse the pure parser for uuid/label/kind: same bytes.
  ExtState p = parse_ext_superblock(std::string_view(reinterpret_cast<const char*>(sb), SUPERBLOCK_SIZE));
  st.uuid = p.uuid;
  st.label = p.label;
  st.kind = p.kind;
}

ExtState ext2fs_state(const std::string& dev) {
  static bool tables = false;
  if (!tables) {
    initialize_ext2_error_table();
    tables = true;
  }
  ExtState st;
  // No EXT2_FLAG_RW: libext2fs opens the device O_RDONLY and never writes.
  const int flags = EXT2_FLAG_64BITS | EXT2_FLAG_SUPER_ONLY | EXT2_FLAG_IGNORE_CSUM_ERRORS;
  ext2_filsys fs = nullptr;
  errcode_t rc = ext2fs_open2(dev.c_str(), nullptr, flags, 0, 0, unix_io_manager, &fs);
  if (rc == 0 && fs) {
    fill_from_super(st, fs->super);
    ext2fs_close_free(&fs);
    return st;
  }
  st.error = error_message(rc);
  // Like e2fsck: the first backup (block group 1) for each block size.
  for (unsigned bs = 1024; bs <= 65536; bs *= 2) {
    const unsigned long long backup = 8ull * bs + (bs == 1024 ? 1 : 0);
    fs = nullptr;
    if (ext2fs_open2(dev.c_str(), nullptr, flags, static_cast<int>(backup), static_cast<int>(bs), unix_io_manager, &fs) == 0 && fs) {
      std::string primary_error = st.error;
      fill_from_super(st, fs->super);
      st.primary_damaged = true;
      st.backup_block = backup;
      st.error = "primary superblock: " + primary_error;
      ext2fs_close_free(&fs);
      return st;
    }
  }
  return st;
}
#endif

}  // namespace

#ifdef LIFEBOAT_HAVE_BLKID
bool have_blkid() noexcept { return true; }
ContentProbe probe_content(const std::string& dev) { return blkid_content(dev); }
#else
bool have_blkid() noexcept { return false; }
ContentProbe probe_content(const std::string&) { return ContentProbe{}; }
#endif
#ifdef LIFEBOAT_HAVE_EXT2FS
bool have_ext2fs() noexcept { return true; }
#else
bool have_ext2fs() noexcept { return false; }
#endif

ExtState read_ext_superblock(sys::Sys& sys, const std::string& dev) {
  ExtState st;
  auto fd = sys.open(dev, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (!fd.ok()) {
    st.error = sys::error_text(fd.err);
    return st;
  }
  std::string buf(2048, '\0');
  std::size_t got = 0;
  while (got < buf.size()) {
    auto n = sys.read(fd.value, buf.data() + got, buf.size() - got);
    if (!n.ok() && n.err == EINTR) continue;
    if (!n.ok() || n.value == 0) break;
    got += n.value;
  }
  sys.close_quietly(fd.value);
  if (got < 2048) {
    st.error = "device too small or unreadable";
    return st;
  }
  return parse_ext_superblock(std::string_view(buf).substr(1024, 1024));
}

Probers default_probers(sys::Sys& sys) {
  Probers p;
#ifdef LIFEBOAT_HAVE_BLKID
  p.content = blkid_content;
  p.table = blkid_table;
#else
  p.content = [](const std::string&) { return ContentProbe{}; };
  p.table = [](const std::string&) { return TableProbe{}; };
#endif
#ifdef LIFEBOAT_HAVE_EXT2FS
  (void)sys;
  p.ext = ext2fs_state;
#else
  p.ext = [&sys](const std::string& dev) { return read_ext_superblock(sys, dev); };
#endif
  return p;
}

std::vector<std::string> block_names(sys::Sys& sys, const std::string& sys_block, std::string& problem) {
  std::vector<std::string> names;
  auto entries = sys.list_dir(sys_block);
  if (!entries.ok()) {
    problem = sys_block + ": " + sys::error_text(entries.err);
    return names;
  }
  for (const auto& e : entries.value)
    if (e.name != "." && e.name != "..") names.push_back(e.name);
  std::sort(names.begin(), names.end(), name_less);
  return names;
}

Scan scan_disks(sys::Sys& sys, const Probers& probers, const std::string& sys_block, const std::string& dev_dir,
                const std::string& only) {
  Scan scan;
  std::string problem;
  auto names = block_names(sys, sys_block, problem);
  if (!problem.empty()) {
    scan.problems.push_back(problem);
    return scan;
  }

  for (const auto& name : names) {
    if (!only.empty() && name != only) continue;
    const std::string dir = sys_block + "/" + name;
    Disk d;
    d.name = name;
    d.path = dev_dir + "/" + name;
    d.size_bytes = read_u64(sys, dir + "/size") * 512;
    if (d.size_bytes == 0) continue;  // empty CD drive, idle loop device
    if (!parse_devno(read_attr(sys, dir + "/dev"), d.major, d.minor)) {
      scan.problems.push_back(name + ": no dev number in sysfs");
      continue;
    }
    d.read_only = read_attr(sys, dir + "/ro") == "1";
    d.removable = read_attr(sys, dir + "/removable") == "1";
    d.model = read_attr(sys, dir + "/device/model");
    if (!sys.exists(d.path)) {
      scan.problems.push_back(d.path + ": no device node");
      continue;
    }
    const bool disk_like = is_disk_name(name);

    // Partitions, as the kernel sees them.
    std::vector<Volume> parts;
    if (auto sub = sys.list_dir(dir); sub.ok()) {
      for (const auto& e : sub.value) {
        if (e.name.size() <= name.size() || e.name.compare(0, name.size(), name) != 0) continue;
        const std::string pdir = dir + "/" + e.name;
        long long partno = 0;
        if (!parse_int(read_attr(sys, pdir + "/partition"), partno) || partno <= 0) continue;
        Volume v;
        v.name = e.name;
        v.path = dev_dir + "/" + e.name;
        v.disk = name;
        v.partno = static_cast<int>(partno);
        v.size_bytes = read_u64(sys, pdir + "/size") * 512;
        v.start_sector = read_u64(sys, pdir + "/start");
        if (!parse_devno(read_attr(sys, pdir + "/dev"), v.major, v.minor)) continue;
        parts.push_back(std::move(v));
      }
    }
    std::sort(parts.begin(), parts.end(), [](const Volume& a, const Volume& b) { return a.partno < b.partno; });

    TableProbe table = probers.table ? probers.table(d.path) : TableProbe{};
    d.table = table.type;
    d.table_uuid = table.uuid;
    d.probe_problem = table.problem;
    for (auto& v : parts) {
      for (const auto& p : table.parts) {
        if (p.partno != v.partno) continue;
        v.partlabel = p.name;
        v.partuuid = p.uuid;
        v.parttype = p.type;
      }
      if (!sys.exists(v.path)) {
        v.probe_problem = "no device node";
        continue;
      }
      if (probers.content) apply_content(v, probers.content(v.path));
    }

    std::vector<Volume> vols;
    if (parts.empty()) {
      Volume v;
      v.name = name;
      v.path = d.path;
      v.disk = name;
      v.major = d.major;
      v.minor = d.minor;
      v.size_bytes = d.size_bytes;
      if (probers.content) apply_content(v, probers.content(v.path));
      vols.push_back(std::move(v));
    } else {
      vols = std::move(parts);
    }
    // Stacked devices: what they are built on, and the names the guest's fstab may use.
    if (name.starts_with("dm-") || name.starts_with("md")) {
      std::vector<std::string> slaves;
      if (auto sl = sys.list_dir(dir + "/slaves"); sl.ok())
        for (const auto& e : sl.value)
          if (e.name != "." && e.name != "..") slaves.push_back(e.name);
      std::sort(slaves.begin(), slaves.end(), name_less);
      std::string stack;
      std::vector<std::string> aliases;
      if (name.starts_with("dm-")) {
        aliases = dm_aliases(read_attr(sys, dir + "/dm/name"), read_attr(sys, dir + "/dm/uuid"), stack);
      } else {
        const std::string level = read_attr(sys, dir + "/md/level");
        stack = "md" + (level.empty() ? std::string() : " " + level);
        aliases.push_back(dev_dir + "/" + name);
      }
      for (auto& v : vols) {
        v.slaves = slaves;
        v.stack = stack;
        if (v.partno == 0) v.aliases = aliases;
      }
    }
    // Metadata drives are not guest disks; a metadata label anywhere else is reported and
    // ignored (a guest may plant a "cidata" partition): that disk stays a guest disk.
    if (vols.size() == 1 && vols[0].partno == 0 && is_metadata_drive(vols[0].label, vols[0].type, true)) {
      ++scan.metadata_drives;
      continue;
    }
    for (const auto& v : vols)
      if (is_metadata_label(v.label))
        scan.problems.push_back(v.name + ": labelled " + v.label + (v.partno ? " on a partition" : " on " + v.type) +
                                ": not a metadata drive (only a whole iso9660/vfat device is); checked as a guest disk");
    // loop/ram/zram/sr/dm/md/...: only when they hold something.
    if (!disk_like) {
      bool holds = false;
      for (const auto& v : vols) holds = holds || !v.type.empty();
      if (!holds) continue;
    }
    // ext state: ext volumes, and volumes where nothing was recognised (a destroyed
    // primary superblock hides an ext filesystem from libblkid; e2fsck finds the backups).
    for (auto& v : vols) {
      const Family f = family_of(v.type);
      if (!probers.ext || (f != Family::ext && !(f == Family::none && v.probe_problem.empty()))) continue;
      ExtState st = probers.ext(v.path);
      if (f == Family::ext || st.read) {
        if (f == Family::none && st.read) v.type = st.kind;  // found through a backup superblock
        v.ext = std::move(st);
      }
    }
    for (const auto& v : vols)
      if (v.partno > 0) d.partitions.push_back(v.name);
    scan.disks.push_back(std::move(d));
    for (auto& v : vols) scan.volumes.push_back(std::move(v));
  }
  return scan;
}

std::string ReadOnlyGuard::protect(const std::vector<Disk>& disks) {
  std::string problems;
  auto add = [&](const std::string& s) { problems += (problems.empty() ? "" : ", ") + s; };
  for (const auto& d : disks) {
    if (saved_.count(d.path)) continue;
    auto fd = sys_.open(d.path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (!fd.ok()) {
      add(d.path + ": " + sys::error_text(fd.err));
      continue;
    }
    int was = 0;
    auto st = sys_.ioctl(fd.value, BLKROGET, &was);
    if (!st.ok()) {
      add(d.path + ": BLKROGET: " + sys::error_text(st.err));
      sys_.close_quietly(fd.value);
      continue;
    }
    int on = 1;
    st = sys_.ioctl(fd.value, BLKROSET, &on);
    sys_.close_quietly(fd.value);
    if (!st.ok()) {
      add(d.path + ": BLKROSET: " + sys::error_text(st.err));
      continue;
    }
    saved_[d.path] = was;
  }
  return problems;
}

std::string ReadOnlyGuard::restore(const std::string& path) {
  auto it = saved_.find(path);
  if (it == saved_.end()) return "";
  int was = it->second;
  auto fd = sys_.open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (!fd.ok()) return path + ": " + sys::error_text(fd.err);
  auto st = sys_.ioctl(fd.value, BLKROSET, &was);
  sys_.close_quietly(fd.value);
  if (!st.ok()) return path + ": BLKROSET: " + sys::error_text(st.err);
  saved_.erase(it);
  return "";
}

std::string ReadOnlyGuard::restore_all() noexcept {
  std::string problems;
  try {
    std::vector<std::string> paths;
    for (const auto& [p, _] : saved_) paths.push_back(p);
    for (const auto& p : paths) {
      std::string e = restore(p);
      if (!e.empty()) problems += (problems.empty() ? "" : ", ") + e;
    }
  } catch (...) {
  }
  return problems;
}

std::string find_tool(sys::Sys& sys, const std::string& name) {
  for (const char* dir : {"/sbin", "/usr/sbin", "/bin", "/usr/bin"}) {
    std::string p = std::string(dir) + "/" + name;
    if (sys.exists(p)) return p;
  }
  return "";
}

std::vector<std::string> subvol_candidates(sys::Sys& sys, const std::string& top) {
  std::vector<std::string> out;
  auto entries = sys.list_dir(top);
  if (!entries.ok()) return out;
  for (const auto& e : entries.value) {
    if (!safe_subvol_name(e.name) || e.type != DT_DIR) continue;
    if (out.size() == 64) break;
    out.push_back(e.name);
  }
  return out;
}

Tools find_fsck_tools(sys::Sys& sys) {
  Tools t;
  t.e2fsck = find_tool(sys, "e2fsck");
  t.xfs_repair = find_tool(sys, "xfs_repair");
  t.fsck_vfat = find_tool(sys, "fsck.vfat");
  if (t.fsck_vfat.empty()) t.fsck_vfat = find_tool(sys, "fsck.fat");
  t.btrfs = find_tool(sys, "btrfs");
  t.mount = find_tool(sys, "mount");
  t.umount = find_tool(sys, "umount");
  return t;
}

}  // namespace lifeboat::disks
