#include "sources/blockdev.h"

#include <fcntl.h>
#include <sys/mount.h>

#include <algorithm>
#include <cerrno>

#include "boot/tools.h"
#include "common/text.h"
#include "disks/model.h"
#include "disks/probe.h"

namespace lifeboat::src {

namespace {



void add_problem(std::string& problems, const std::string& what) {
  if (!problems.empty()) problems += ", ";
  problems += what;
}

// A file of a metadata drive or seed directory: resolved inside `root` (links stay on
// the drive), non-blocking, regular files only, refused (not cut) when larger than max_bytes.
FileGot read_capped(sys::Sys& sys, const std::string& root, const std::string& path, std::size_t max_bytes) {
  FileGot got;
  auto r = sys.read_guest_file(root, path, max_bytes);
  if (!r.ok()) {
    got.problem = r.err == ENOENT   ? std::string("missing")
                  : r.err == EFBIG  ? strformat("larger than %zu bytes (not read)", max_bytes)
                  : r.err == EINVAL ? std::string("not a regular file (not read)")
                                    : std::string(sys::error_text(r.err));
    return got;
  }
  got.text = std::move(r.value);
  return got;
}

}  // namespace

bool have_blkid() noexcept { return disks::have_blkid(); }

Prober blkid_prober() {
  return [](const std::string& device) -> std::optional<BlockFs> {
    const disks::ContentProbe c = disks::probe_content(device);
    if (!c.problem.empty() || c.type.empty()) return std::nullopt;  // cannot open, nothing, ambiguous
    BlockFs fs;
    fs.device = device;
    fs.type = c.type;
    fs.label = c.label;
    return fs;
  };
}

std::vector<std::string> block_candidates(sys::Sys& sys, std::string& problems, const std::string& sysfs) {
  std::vector<std::string> names;
  auto entries = sys.list_dir(sysfs);
  if (!entries.ok()) {
    add_problem(problems, sysfs + ": " + sys::error_text(entries.err));
    return names;
  }
  for (const auto& e : entries.value) {
    if (e.name == "." || e.name == "..") continue;
    // Empty devices (an idle loop or ram device, a CD drive without a disc) have size 0.
    auto size = sys.read_file(sysfs + "/" + e.name + "/size", 64);
    long long sectors = 0;
    if (!size.ok() || !parse_int(trim(size.value), sectors) || sectors <= 0) continue;
    auto backing = sys.read_file(sysfs + "/" + e.name + "/loop/backing_file", 4096);
    if (backing.ok() && is_tools_backing_file(backing.value)) continue;
    names.push_back(e.name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<BlockFs> scan_block_filesystems(sys::Sys& sys, const Prober& probe, std::string& problems,
                                            const std::string& sysfs, const std::string& dev_dir) {
  std::vector<BlockFs> out;
  for (const auto& name : block_candidates(sys, problems, sysfs)) {
    const std::string dev = dev_dir + "/" + name;
    if (!sys.exists(dev)) {
      add_problem(problems, dev + ": no device node");
      continue;
    }
    if (auto fs = probe(dev)) {
      // A partition (it has a "partition" attribute) is never a metadata drive.
      fs->whole_device = !sys.exists(sysfs + "/" + name + "/partition");
      out.push_back(std::move(*fs));
    }
  }
  return out;
}

std::optional<BlockFs> find_by_label(const std::vector<BlockFs>& fss, std::initializer_list<std::string_view> labels) {
  for (const auto& fs : fss) {
    if (!fs.whole_device || !disks::is_metadata_drive(fs.label, fs.type, true)) continue;
    for (auto l : labels)
      if (iequal(fs.label, l)) return fs;
  }
  return std::nullopt;
}

FilesRead read_files_from(sys::Sys& sys, const BlockFs& fs, const std::string& mountpoint,
                          const std::vector<FileWant>& want) {
  FilesRead r;
  auto st = sys.mkdir_p(mountpoint, 0700);
  if (!st.ok()) {
    r.error = mountpoint + ": " + sys::error_text(st.err);
    return r;
  }
  const unsigned long flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  std::string data = fs.type == "vfat" || fs.type == "msdos" ? "uid=0,gid=0,fmask=0077,dmask=0077" : "";
  st = sys.mount(fs.device, mountpoint, fs.type, flags, data);
  if (!st.ok()) {
    r.error = strformat("mount %s (%s): %s", fs.device.c_str(), fs.type.c_str(), sys::error_text(st.err));
    return r;
  }
  r.mounted = true;
  try {
    for (const auto& w : want) r.files[w.path] = read_capped(sys, mountpoint, w.path, w.max_bytes);
  } catch (...) {
    r.error = "out of memory while reading";
  }
  st = sys.umount2(mountpoint, 0);
  if (!st.ok()) {
    r.unmount_error = strformat("umount %s: %s", mountpoint.c_str(), sys::error_text(st.err));
    auto lazy = sys.umount2(mountpoint, MNT_DETACH);
    if (!lazy.ok()) r.unmount_error += strformat(", lazy umount: %s", sys::error_text(lazy.err));
    else r.unmount_error += " (detached lazily)";
  }
  return r;
}

FilesRead read_files_in_dir(sys::Sys& sys, const std::string& dir, const std::vector<FileWant>& want) {
  FilesRead r;
  std::string base = dir;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  for (const auto& w : want) r.files[w.path] = read_capped(sys, base, w.path, w.max_bytes);
  return r;
}

}  // namespace lifeboat::src
