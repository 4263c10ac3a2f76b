#include "cli/rescue.h"

#include "cli/disks_cmd.h"

#include "cli/summary.h"
#include "cli/toolkit.h"
#include "cli/unlock.h"

#include "common/text.h"
#include "common/version.h"
#include "report/status.h"
#include "supervise/signals.h"

namespace lifeboat {

namespace {

constexpr long long kDefaultStatusWaitS = 3600;

const char* const kUsage =
    "usage: rescue COMMAND\n"
    "\n"
    "commands:\n"
    "  status [--json] [--wait [SECONDS]]  summary and what the boot did; --json: the raw\n"
    "                           status.json; --wait: first wait until the disk checks are done\n"
    "  mount [DEV|--guest] [--rw]  mount a filesystem (read-only) under /mnt/DEV, or the guest\n"
    "                           with its fstab under /mnt/guest\n"
    "  umount                   unmount everything under /mnt\n"
    "  disks                    the disks, partitions and filesystems, and where they are mounted\n"
    "  fsck DEV [--repair]      check one filesystem (read-only), or repair it; never a mounted one\n"
    "  unlock [DEV] [--rw]      open a LUKS container (passphrase asked), read-only unless --rw,\n"
    "                           with the LVM inside, and check what it holds\n"
    "  chroot [CMD...]          run CMD (default: root's shell) inside the guest\n"
    "  passwd [USER]            set a password in the guest's /etc/shadow (default root)\n"
    "  authorize-key [USER] KEY add an SSH public key to the guest user's authorized_keys\n"
    "  firewall-off             disable the guest's firewall at its next boot\n"
    "  du [PATH]                largest directories and files of the guest\n"
    "  boot-info                the guest's kernels, initramfs images, boot entries and boot\n"
    "                           code, checked against the disks found (what keeps it from booting)\n"
    "  poweroff                 unmount /mnt, sync and power the machine off\n"
    "  reboot                   unmount /mnt, sync and reboot\n"
    "  halt                     unmount /mnt, sync and halt\n"
    "  --help                   this text; COMMAND --help: that command's\n"
    "  --version         the lifeboat version\n"
    "\n"
    "exit codes: 0 ok, 1 failure, 2 usage\n";

int usage_error(CliOutput& o, const std::string& msg) {
  o.err += "rescue: " + msg + "\n" + "try 'rescue --help'\n";
  return kExitUsage;
}

int cmd_status(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o) {
  bool json = false;
  long long wait_s = -1;  // -1: do not wait
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      o.out += subcommand_help("status");
      return kExitOk;
    }
    if (args[i] == "--json") json = true;
    else if (args[i] == "--wait") {
      wait_s = kDefaultStatusWaitS;
      long long v = 0;
      if (i + 1 < args.size() && parse_int(args[i + 1], v)) {
        if (v < 0) return usage_error(o, "status: --wait takes a number of seconds");
        wait_s = v;
        ++i;
      }
    } else {
      return usage_error(o, "status: unknown option '" + args[i] + "'");
    }
  }
  const std::string path = status_path();
  auto text = sys.read_file(path, 4 << 20);
  if (wait_s >= 0) {
    // Until the disk work is done (status.json "disks_done"), polled twice a second.
    const std::int64_t deadline = sys.monotonic_ms() + wait_s * 1000;
    for (;;) {
      Error e;
      std::optional<BootStatus> st;
      if (text.ok()) st = parse_status_json(text.value, e);
      if (st && st->disks_done) break;
      if (sys.monotonic_ms() >= deadline) {
        o.err += strformat("rescue: status: disk work not done after %lld s\n", wait_s);
        if (text.ok() && json) o.out += text.value;
        return kExitFailure;
      }
      sys.sleep_ms(500);
      text = sys.read_file(path, 4 << 20);
    }
  }
  if (!text.ok()) {
    o.err += strformat("rescue: status: %s: %s\n", path.c_str(), sys::error_text(text.err));
    return kExitFailure;
  }
  if (json) {
    o.out += text.value;
    if (!text.value.empty() && text.value.back() != '\n') o.out += "\n";
    return kExitOk;
  }
  Error err;
  auto st = parse_status_json(text.value, err);
  if (!st) {
    o.err += "rescue: status: " + path + ": " +
             (err.field.empty() ? "" : err.field + ": ") + err.message + "\n";
    return kExitFailure;
  }
  o.out += render_summary(text.value);
  o.out += "\n";
  o.out += render_status_text(*st);
  return kExitOk;
}

int cmd_power(const std::string& name, ShutdownKind kind, const std::vector<std::string>& args,
              sys::Sys& sys, CliOutput& o) {
  if (args.size() == 2 && (args[1] == "--help" || args[1] == "-h")) {
    o.out += subcommand_help(name);
    return kExitOk;
  }
  if (args.size() > 1) return usage_error(o, name + ": takes no arguments");
  // Guest filesystems first: sync, unmount (latest first), remount ro what stays busy.
  (void)unmount_all_guests(sys, o);
  sys.sync();
  auto st = sys.kill(1, signal_for_shutdown(kind));
  if (!st.ok()) {
    o.err += strformat("rescue: %s: cannot signal PID 1: %s\n", name.c_str(),
                       sys::error_text(st.err));
    return kExitFailure;
  }
  o.out += "rescue: " + name + " requested\n";
  return kExitOk;
}

}  // namespace

int rescue_main(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o) {
  if (args.empty()) return usage_error(o, "missing command");
  const std::string& cmd = args[0];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    o.out += kUsage;
    return kExitOk;
  }
  if (cmd == "--version") {
    o.out += std::string("lifeboat ") + version() + "\n";
    return kExitOk;
  }
  if (cmd == "status") return cmd_status(args, sys, o);
  if (cmd == "poweroff") return cmd_power(cmd, ShutdownKind::poweroff, args, sys, o);
  if (cmd == "reboot") return cmd_power(cmd, ShutdownKind::reboot, args, sys, o);
  if (cmd == "halt") return cmd_power(cmd, ShutdownKind::halt, args, sys, o);
  if (cmd == "mount") return cmd_mount(args, sys, o);
  if (cmd == "umount" || cmd == "unmount") return cmd_umount(args, sys, o);
  if (cmd == "chroot") return cmd_chroot(args, sys, o);
  if (cmd == "passwd") return cmd_passwd(args, sys, o);
  if (cmd == "authorize-key") return cmd_authorize_key(args, sys, o);
  if (cmd == "firewall-off") return cmd_firewall_off(args, sys, o);
  if (cmd == "du") return cmd_du(args, sys, o);
  if (cmd == "boot-info") return cmd_boot_info(args, sys, o);
  if (cmd == "disks") return cmd_disks(args, sys, o);
  if (cmd == "fsck") return cmd_fsck(args, sys, o);
  if (cmd == "unlock") return cmd_unlock(args, sys, o);
  return usage_error(o, "unknown command '" + cmd + "'");
}

}  // namespace lifeboat
