#include "cli/session.h"

namespace lifeboat {

const std::map<std::string, std::string>& helps() {
  static const std::map<std::string, std::string> h = {
      {"mount",
       "usage: rescue mount [DEV | --guest] [--rw]\n"
       "  DEV      mount /dev/DEV (e.g. vda1) read-only at /mnt/DEV\n"
       "  --guest  find the guest root (/etc/os-release + /etc/fstab), mount it at /mnt/guest\n"
       "           with its fstab entries (swap, network, bind and noauto entries skipped)\n"
       "  --rw     read-write (refused when the filesystem is mounted elsewhere)\n"
       "  without DEV: --guest\n"},
      {"umount", "usage: rescue umount\n  unmount everything under /mnt (latest first)\n"},
      {"chroot",
       "usage: rescue chroot [CMD [ARG...]]\n"
       "  mount the guest read-write (its fstab; /boot and /boot/efi also found by partition\n"
       "  type) with /proc, /sys, /dev, /dev/pts, /run, efivarfs (EFI boots) and the rescue\n"
       "  system's resolvers as /etc/resolv.conf, run CMD (default: root's shell from the guest's\n"
       "  /etc/passwd, else /bin/sh) inside, then put everything back as it was; exit status:\n"
       "  CMD's (128+N when killed by signal N). For apt, dnf, update-initramfs, dracut,\n"
       "  grub-install, update-grub: see 'rescue boot-info'\n"},
      {"passwd",
       "usage: rescue passwd [USER]\n"
       "  set USER's (default root) password in the guest's /etc/shadow (SHA-512 crypt); asks\n"
       "  twice on a terminal, else reads one line from stdin; creates /.autorelabel on an\n"
       "  SELinux-enforcing guest\n"},
      {"authorize-key",
       "usage: rescue authorize-key [USER] KEY\n"
       "  append the OpenSSH public KEY (one argument, quoted) to USER's (default root)\n"
       "  ~/.ssh/authorized_keys in the guest (.ssh 0700, file 0600, owned by the user)\n"},
      {"firewall-off",
       "usage: rescue firewall-off\n"
       "  disable the guest's firewall at its next boot (ufw, firewalld, nftables,\n"
       "  iptables/netfilter-persistent); prints each change and how to undo it\n"},
      {"du",
       "usage: rescue du [PATH]\n"
       "  the 20 largest directories and files under PATH (default: the mounted guest\n"
       "  root /mnt/guest), not crossing filesystems\n"},
      {"boot-info",
       "usage: rescue boot-info\n"
       "  mount the guest read-only and show what it boots: kernels and initramfs images in\n"
       "  /boot (missing or empty ones flagged), GRUB's menu entries and BLS entries with their\n"
       "  kernel, initrd, root= and search UUIDs checked against the filesystems found, and the\n"
       "  boot code of each disk (GRUB in the MBR, BIOS boot partition, ESP files); each problem\n"
       "  with the command that usually fixes it\n"},
      {"status", "usage: rescue status [--json] [--wait [SECONDS]]\n  what the boot did; --json: the raw status.json;\n"
                 "  --wait: first wait (default up to 3600 s) until the disk checks are done; exit 1 if\n"
                 "  they are not done by then\n"},
      {"poweroff", "usage: rescue poweroff\n  unmount everything under /mnt, sync, power off\n"},
      {"reboot", "usage: rescue reboot\n  unmount everything under /mnt, sync, reboot\n"},
      {"halt", "usage: rescue halt\n  unmount everything under /mnt, sync, halt\n"},
  };
  return h;
}

int usage(CliOutput& o, const std::string& cmd, const std::string& msg) {
  o.err += "rescue: " + cmd + ": " + msg + "\ntry 'rescue " + cmd + " --help'\n";
  return kExitUsage;
}

void take(CliOutput& o, guest::Report& r) {
  o.out += r.out;
  o.err += r.err;
  r.out.clear();
  r.err.clear();
}


bool wants_help(const std::vector<std::string>& args) {
  for (std::size_t i = 1; i < args.size(); ++i)
    if (args[i] == "--help" || args[i] == "-h") return true;
  return false;
}

bool safe_guest_path(std::string_view p) {
  if (p.empty() || p[0] != '/') return false;
  std::size_t start = 1;
  while (start <= p.size()) {
    std::size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    auto part = p.substr(start, end - start);
    if (part == "..") return false;
    start = end + 1;
  }
  return true;
}

std::string subcommand_help(const std::string& name) {
  auto it = helps().find(name);
  return it == helps().end() ? "" : it->second;
}

}  // namespace lifeboat
