#pragma once
// The rescue toolkit's pure parts (no syscalls): guest /etc/passwd, the mount plan for a
// guest's fstab, shadow edits, the firewall-off plan, the du ranking, salts.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "disks/guest.h"
#include "disks/model.h"

namespace lifeboat::guest {

inline constexpr const char* kGuestRoot = "/mnt/guest";
inline constexpr const char* kMntDir = "/mnt";
// What `rescue umount` takes down: the mounts under /mnt, not /mnt itself (the rescue
// system's capped tmpfs, boot/mounts.h).
inline constexpr const char* kUnderMnt = "/mnt/";

// --- /etc/passwd ----------------------------------------------------------------------
struct PasswdEntry {
  std::string name;
  unsigned uid = 0, gid = 0;
  std::string home, shell;
};
std::vector<PasswdEntry> parse_passwd(std::string_view text);
std::optional<PasswdEntry> find_user(const std::vector<PasswdEntry>& users, std::string_view name);
// root's shell when it is an absolute path, else "/bin/sh".
std::string root_shell(std::string_view passwd_text);

// --- /etc/shadow ----------------------------------------------------------------------
// True when `user` has an entry (first field) in the shadow text.
bool shadow_has_user(std::string_view shadow_text, std::string_view user);
// Replaces only field 2 of `user`'s line; nullopt when the user has no entry.
std::optional<std::string> replace_shadow_password(std::string_view shadow_text, std::string_view user,
                                                   std::string_view hash);
// SELINUX=enforcing in /etc/selinux/config text.
bool selinux_enforcing(std::string_view config_text);
// A user name safe to look up (no '/', ':', control characters; not empty).
bool valid_user_name(std::string_view name) noexcept;

// --- the guest's fstab as mounts under /mnt/guest -----------------------------------------
struct PlannedMount {
  std::string spec;        // as written in fstab
  std::string mountpoint;  // as in the guest: "/boot"
  std::string target;      // "/mnt/guest/boot"
  std::string device;      // "/dev/vda2" ("" when skipped)
  std::string type;        // fstab type ("auto" -> "" = let the caller guess)
  unsigned long flags = 0; // MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_NOATIME ... (never MS_RDONLY)
  std::string data;        // fs-specific options left over
  std::string skip;        // why it is not mounted ("" = mount it)
};
// Entries in mount order (parents first). "/" is left out (the caller mounts the root).
std::vector<PlannedMount> plan_guest_mounts(const std::vector<disks::FstabEntry>& fstab,
                                            const std::vector<disks::Volume>& volumes,
                                            const std::string& root = kGuestRoot);
// Splits fstab options into mount flags and data; `noauto`/`bind` are reported by the plan.
void split_mount_options(std::string_view options, unsigned long& flags, std::string& data);

// Mount points under `prefix` (prefix itself included) from mountinfo order, deepest/latest
// first: the order to unmount them.
std::vector<std::string> unmount_order(const std::vector<disks::MountInfo>& mounts, std::string_view prefix);

// --- a guest fit for boot repairs (issue 15) ----------------------------------------------
// The GPT partition types the boot repairs look for.
inline constexpr const char* kEspPartType = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b";
inline constexpr const char* kXbootldrPartType = "bc13c2ff-59e6-4262-a352-b275fd6f7172";
inline constexpr const char* kBiosBootPartType = "21686148-6449-6e6f-744e-656564454649";
// Mounts the fstab did not give, found by partition type (the fstab may be the broken part):
// an XBOOTLDR partition at /boot and the EFI system partition (vfat) at /boot/efi, each only
// when exactly one candidate is on the root's disk (or, failing that, on all disks).
// `mounted`: the guest mount points mounted so far ("/", "/boot").
std::vector<PlannedMount> plan_boot_by_type(const std::vector<std::string>& mounted,
                                            const std::vector<disks::Volume>& volumes,
                                            const std::string& root_disk, const std::string& root = kGuestRoot);

// udev's name encoding for /dev/disk/by-label and by-partlabel (systemd's
// encode_devnode_name): letters, digits, "#+-.:=@_" and valid multi-byte UTF-8 characters
// kept, every other byte \xNN (so a label can never hold a '/': a '/' is one byte).
std::string udev_encode(std::string_view s);
// The /dev/disk/by-{uuid,partuuid,label,partlabel}/NAME links udev would make for the volumes
// (name -> "../../vda2"), for grub-probe and update-initramfs inside a chroot. Names that
// would be "." or ".." are left out; the first volume wins a name.
std::vector<std::pair<std::string, std::string>> disk_links(const std::vector<disks::Volume>& volumes);

// A guest path made absolute and lexically normal ("." and ".." resolved, never above "/"):
// `link` (a symlink's target) read in the directory `dir`. "../run/x" in "/etc" -> "/run/x".
std::string join_guest_path(std::string_view dir, std::string_view link);

// --- firewall-off ------------------------------------------------------------------------
struct FirewallFacts {
  std::optional<std::string> ufw_conf;  // /etc/ufw/ufw.conf text when present
  // Service enablement symlinks that exist: relative path under the guest root
  // ("etc/systemd/system/multi-user.target.wants/nftables.service") -> link target.
  std::vector<std::pair<std::string, std::string>> links;
};
struct FirewallAction {
  enum class Kind { rewrite_file, remove_link } kind = Kind::rewrite_file;
  std::string path;      // guest-relative, with leading '/'
  std::string content;   // rewrite_file: new text
  std::string what;      // "ufw: ENABLED=yes -> ENABLED=no"
  std::string undo;      // a command to run in `rescue chroot` to undo it
};
// The symlinks worth looking for (guest-relative, leading '/').
std::vector<std::string> firewall_link_candidates();
std::vector<FirewallAction> plan_firewall_off(const FirewallFacts& facts);

// --- du ---------------------------------------------------------------------------------
struct DuItem {
  std::string path;
  std::uint64_t bytes = 0;
  bool dir = false;
};
// The `n` largest items, largest first (ties: path order).
std::vector<DuItem> top_items(std::vector<DuItem> items, std::size_t n);
std::string render_du(const std::vector<DuItem>& dirs, const std::vector<DuItem>& files);

}  // namespace lifeboat::guest
