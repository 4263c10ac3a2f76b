#pragma once
// `rescue boot-info`, the pure part: what the guest boots (kernels and initramfs images in its
// /boot, GRUB's menu entries, BLS entries) checked against the filesystems and disks found,
// so the classic broken boots are named: an initramfs missing or empty, a menu entry whose
// kernel or initrd is not in /boot, a root= or `search --fs-uuid` that no filesystem has.
// Everything here is guest text (hostile): parsed with limits, shown escaped by the caller.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "disks/model.h"

namespace lifeboat::guest {

// One entry of the guest's /boot directory (not followed when a link).
struct BootFile {
  std::string name;
  std::uint64_t size = 0;
  bool link = false;       // a symlink ("vmlinuz" -> "vmlinuz-6.1.0-26-amd64")
  bool dir = false;
  std::string target;      // the link's target
};

// A way the guest can boot: a GRUB menuentry or a BLS (Boot Loader Specification) entry.
struct BootEntry {
  std::string source;                  // "/boot/grub/grub.cfg", "/boot/loader/entries/x.conf"
  std::string title;
  std::string kernel;                  // as written: "/vmlinuz-6.1.0-26-amd64"
  std::vector<std::string> initrds;    // as written, in order
  std::string options;                 // the kernel command line as written
  std::string root;                    // root= from it ("" when none)
  std::vector<std::string> search_uuids;  // GRUB: `search --fs-uuid` in the entry
};

// GRUB's grub.cfg: menuentries (submenus flattened), `linux`/`linuxefi`/`linux16` and
// `initrd*` lines, `search ... --fs-uuid ... UUID` lines. Words are split as GRUB's shell
// does (quotes, backslashes); variables are left as written. At most 256 entries.
std::vector<BootEntry> parse_grub_cfg(std::string_view text, const std::string& source);
// One BLS entry file (title, linux, initrd, options). `grubenv` (the text of grubenv, may be
// empty) resolves "$kernelopts" as GRUB does on the RHEL family.
BootEntry parse_bls_entry(std::string_view text, const std::string& source, std::string_view grubenv = {});
// The value of root= in a kernel command line ("" when none; the last one wins, as in Linux).
std::string root_from_options(std::string_view options);

// What one disk holds for booting.
struct DiskBoot {
  std::string disk;       // "vda"
  std::string mbr;        // the first 512 bytes ("" when unreadable)
  std::string read_error; // why it was not read
};

struct BootFacts {
  std::string root_device;               // the guest root's device ("/dev/vda4")
  std::string boot_device;               // /boot's device when it is its own filesystem, else ""
  bool boot_listed = false;              // /boot could be listed
  std::vector<BootFile> boot;            // /boot's entries
  std::vector<BootEntry> entries;        // from every grub.cfg and BLS file read
  std::vector<std::string> configs;      // the files the entries came from (for the report)
  std::vector<std::string> esp_files;    // "EFI/debian/grubx64.efi" (ESP mounted at /boot/efi)
  bool esp_mounted = false;
  std::vector<disks::Volume> volumes;
  std::vector<DiskBoot> disks;
};

struct KernelImage {
  std::string version;         // "6.1.0-26-amd64"
  std::string kernel;          // "vmlinuz-6.1.0-26-amd64"
  std::uint64_t kernel_size = 0;
  std::string initrd;          // "initrd.img-6.1.0-26-amd64" ("" when none was found)
  std::uint64_t initrd_size = 0;
};

struct BootProblem {
  std::string what;  // "initrd.img-6.1.0-26-amd64 is missing"
  std::string fix;   // "rescue chroot update-initramfs -u -k all" ("" when none to suggest)
};

struct BootReport {
  std::vector<KernelImage> kernels;
  std::vector<std::string> entry_lines;   // one line per boot entry, checked
  std::vector<std::string> loader_lines;  // one line per disk (MBR code, BIOS boot partition, ESP)
  std::vector<BootProblem> problems;
};

// The kernels in /boot: vmlinuz-V (links skipped) with initrd.img-V (Debian family) or
// initramfs-V.img (RHEL family); version order.
std::vector<KernelImage> find_kernels(const std::vector<BootFile>& boot);
// What the first sector of a disk says about its BIOS boot code.
std::string describe_mbr(std::string_view sector);
BootReport analyse_boot(const BootFacts& facts);
// The report as text (guest strings escaped).
std::string render_boot_report(const BootFacts& facts, const BootReport& report);

}  // namespace lifeboat::guest
