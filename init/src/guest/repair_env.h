#pragma once
// What `rescue chroot` sets up around the admin's command, so the guest's own tools work
// (apt, dnf, update-initramfs, dracut, grub-install, update-grub, efibootmgr), and takes down
// afterwards, leaving the guest as it was:
//   - /proc, /sys, /dev, /dev/pts, /run bound from the rescue system (each target resolved
//     inside the guest: a guest's /proc may be a link to anywhere);
//   - efivarfs at /sys/firmware/efi/efivars when the rescue system booted with EFI;
//   - /etc/resolv.conf answering with the rescue system's resolvers for the session: the
//     rescue system's file bound read-only over the guest's file, or over where the guest's
//     link leads (resolved inside the guest; a systemd-resolved stub in /run is made for the
//     session in the rescue system's /run); placeholders made for that are removed after, so
//     the guest's own file or link is exactly as before;
//   - /dev/disk/by-{uuid,partuuid,label,partlabel} links (udev's names) for grub-probe and
//     update-initramfs (made in the rescue system's /dev; they stay).
#include <string>
#include <vector>

#include "guest/ops.h"
#include "sys/sys.h"

namespace lifeboat::guest {

// The /dev/disk/by-* links for `volumes` that are missing (under `dev`, normally "/dev").
void ensure_disk_links(sys::Sys& sys, const std::vector<disks::Volume>& volumes, Report& r,
                       const std::string& dev = "/dev");

class RepairEnv {
 public:
  RepairEnv(sys::Sys& sys, Report& r, std::string root = kGuestRoot,
            std::string resolv_source = "/etc/resolv.conf", std::string efi_dir = "/sys/firmware/efi")
      : sys_(sys), r_(r), root_(std::move(root)), resolv_source_(std::move(resolv_source)), efi_dir_(std::move(efi_dir)) {}
  ~RepairEnv() { teardown(); }
  RepairEnv(const RepairEnv&) = delete;
  RepairEnv& operator=(const RepairEnv&) = delete;

  // false when a bind failed: the command must not run. The rest is best effort (said in r).
  bool setup();
  // Everything setup() did, undone in reverse; safe to call twice.
  void teardown();

  // For tests: where the session's resolv.conf went ("" when it was not set up).
  const std::string& resolv_target() const { return resolv_target_; }

 private:
  bool bind_basics();
  void mount_efivars();
  void setup_resolv_conf();
  // A placeholder file for a bind at the guest path `path` whose directory may be missing:
  // the real path, or "" (and r_.err) when it cannot be made.
  std::string make_placeholder(const std::string& path);
  bool inside_bound_fs(const std::string& real) const;

  sys::Sys& sys_;
  Report& r_;
  std::string root_, resolv_source_, efi_dir_;
  std::vector<std::pair<std::string, std::string>> binds_;  // (source, real target), in order
  std::string efivars_;                                     // efivarfs mount point, if mounted
  std::string resolv_target_;                               // resolv.conf bind target, if bound
  std::vector<std::string> created_dirs_;                   // placeholders, in creation order
  std::string created_file_;
  bool torn_down_ = false;
};

}  // namespace lifeboat::guest
