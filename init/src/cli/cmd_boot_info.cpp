// rescue boot-info: see subcommand_help(). Gathers the facts (the guest mounted read-only,
// every path resolved inside it) and leaves the judgement to guest/boot_info.
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "boot/mounts.h"
#include "cli/session.h"
#include "cli/toolkit.h"
#include "common/text.h"
#include "guest/boot_info.h"

namespace lifeboat {

namespace {

constexpr std::size_t kMaxBootFiles = 4096;
constexpr std::size_t kMaxConfigBytes = 4 << 20;
constexpr std::size_t kMaxBlsFiles = 256;

// A guest directory's entries (resolved inside the guest; links not followed), at most `max`.
std::vector<guest::BootFile> list_guest_dir(sys::Sys& sys, const std::string& dir, bool& listed, std::size_t max) {
  std::vector<guest::BootFile> out;
  std::string error;
  std::string real = guest::dir_in_guest(sys, kGuestRoot, dir, error);
  listed = false;
  if (real.empty()) return out;
  auto st = sys.each_dir_entry(real, [&](const sys::DirEntry& e) {
    guest::BootFile f;
    f.name = e.name;
    auto s = sys.lstat(real + "/" + e.name);
    if (s.ok()) {
      f.size = s.value.size;
      f.link = S_ISLNK(s.value.mode);
      f.dir = S_ISDIR(s.value.mode);
      if (f.link) {
        auto t = sys.readlink(real + "/" + e.name);
        if (t.ok()) f.target = t.value;
      }
    }
    out.push_back(std::move(f));
    return out.size() < max;
  });
  listed = st.ok();
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

// The source device of the topmost mount at the guest path (resolved inside the guest).
std::string mounted_device(sys::Sys& sys, const std::string& guest_path) {
  std::string error;
  std::string real = guest::dir_in_guest(sys, kGuestRoot, guest_path, error);
  if (real.empty()) return "";
  std::string dev;
  for (const auto& m : read_mountinfo(sys))
    if (m.mountpoint == real) dev = m.source;
  return dev;
}

void read_config(sys::Sys& sys, const std::string& path, guest::BootFacts& f, guest::Report& r) {
  auto text = sys.read_guest_file(kGuestRoot, path, kMaxConfigBytes);
  if (!text.ok()) {
    if (text.err != ENOENT && text.err != ENOTDIR)
      r.err += "rescue: boot-info: " + escape_control(path) + ": " + sys::error_text(text.err) + "\n";
    return;
  }
  f.configs.push_back(path);
  auto entries = guest::parse_grub_cfg(text.value, path);
  f.entries.insert(f.entries.end(), entries.begin(), entries.end());
}

guest::BootFacts gather(sys::Sys& sys, guest::Report& r) {
  guest::BootFacts f;
  std::vector<disks::Disk> disk_list;
  f.volumes = guest::scan_volumes(sys, r, &disk_list);
  f.root_device = mounted_device(sys, "/");
  std::string boot_dev = mounted_device(sys, "/boot");
  if (boot_dev != f.root_device) f.boot_device = boot_dev;
  f.boot = list_guest_dir(sys, "/boot", f.boot_listed, kMaxBootFiles);

  for (const char* cfg : {"/boot/grub/grub.cfg", "/boot/grub2/grub.cfg"}) read_config(sys, cfg, f, r);
  // The ESP: GRUB's EFI config (a stub that loads /boot/grub/grub.cfg, or the real one on
  // older RHEL) and the boot files, when /boot/efi is mounted.
  std::string esp_dev = mounted_device(sys, "/boot/efi");
  f.esp_mounted = !esp_dev.empty() && esp_dev != f.boot_device && esp_dev != f.root_device;
  if (f.esp_mounted) {
    bool listed = false;
    for (const auto& vendor : list_guest_dir(sys, "/boot/efi/EFI", listed, 64)) {
      if (!vendor.dir) continue;
      for (const auto& file : list_guest_dir(sys, "/boot/efi/EFI/" + vendor.name, listed, 64)) {
        std::string lower = file.name;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        if (lower.size() > 4 && lower.substr(lower.size() - 4) == ".efi")
          f.esp_files.push_back("EFI/" + vendor.name + "/" + file.name);
        if (lower == "grub.cfg") read_config(sys, "/boot/efi/EFI/" + vendor.name + "/" + file.name, f, r);
      }
    }
  }
  // BLS entries (the RHEL family since 8, Fedora), with grubenv for $kernelopts.
  bool bls_listed = false;
  auto bls = list_guest_dir(sys, "/boot/loader/entries", bls_listed, kMaxBlsFiles);
  if (bls_listed) {
    auto env = sys.read_guest_file(kGuestRoot, "/boot/grub2/grubenv", 64 << 10);
    for (const auto& file : bls) {
      if (file.dir || file.name.size() < 6 || file.name.substr(file.name.size() - 5) != ".conf") continue;
      const std::string path = "/boot/loader/entries/" + file.name;
      auto text = sys.read_guest_file(kGuestRoot, path, 64 << 10);
      if (!text.ok()) {
        r.err += "rescue: boot-info: " + escape_control(path) + ": " + sys::error_text(text.err) + "\n";
        continue;
      }
      f.configs.push_back(path);
      f.entries.push_back(guest::parse_bls_entry(text.value, path, env.ok() ? env.value : ""));
    }
  }
  // The first sector of each disk (the tools image's loop device is ours, not the guest's).
  for (const auto& d : disk_list) {
    if (d.name.rfind("loop", 0) == 0 || d.name.rfind("dm-", 0) == 0 || d.name.rfind("md", 0) == 0) continue;
    guest::DiskBoot db;
    db.disk = d.name;
    auto fd = sys.open(d.path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (!fd.ok()) {
      db.read_error = sys::error_text(fd.err);
    } else {
      char buf[512];
      std::size_t got = 0;
      while (got < sizeof buf) {
        auto n = sys.read(fd.value, buf + got, sizeof buf - got);
        if (!n.ok()) {
          db.read_error = sys::error_text(n.err);
          break;
        }
        if (n.value == 0) break;
        got += n.value;
      }
      sys.close_quietly(fd.value);
      db.mbr.assign(buf, got);
    }
    f.disks.push_back(std::move(db));
  }
  return f;
}

}  // namespace

int cmd_boot_info(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o) {
  if (wants_help(args)) return o.out += subcommand_help("boot-info"), kExitOk;
  if (args.size() > 1) return usage(o, "boot-info", "takes no arguments");
  guest::Report r;
  GuestSession session(sys, r);
  if (!session.open_or_report(false, o)) return kExitFailure;
  auto facts = gather(sys, r);
  auto report = guest::analyse_boot(facts);
  r.out += guest::render_boot_report(facts, report);
  session.close();
  take(o, r);
  return kExitOk;
}

}  // namespace lifeboat
