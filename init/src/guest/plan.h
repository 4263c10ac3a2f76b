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
