#include "cli/unlock.h"

#include <algorithm>

#include "config/cmdline.h"
#include "cli/disks_cmd.h"
#include "cli/prompt.h"
#include "common/text.h"
#include "config/boot_options.h"
#include "disks/luks.h"
#include "config/disk_options.h"
#include "disks/probe.h"
#include "disks/stack.h"
#include "model/secret.h"
#include "supervise/supervisor.h"

namespace lifeboat {

namespace {

constexpr const char* kHelp =
    "usage: rescue unlock [DEV] [--rw]\n"
    "  opens the LUKS container DEV (vdb2, /dev/vdb2 or its UUID; default: the only one found)\n"
    "  with a passphrase asked on the terminal (or one line on stdin), read-only unless --rw,\n"
    "  as /dev/mapper/luks-UUID; then activates the LVM volume groups inside (read-only too)\n"
    "  and checks the filesystems found per the boot's policy (lifeboat.fsck; check only when\n"
    "  opened read-only). Then: rescue mount --guest, rescue chroot.\n"
    "  exit: 0 opened (even if a check found errors), 1 wrong passphrase or failure, 2 usage\n";

// Progress goes straight to stderr: an argon2 slot can take a while.
void say(sys::Sys& sys, const std::string& line) { (void)sys.write_all(2, "rescue: unlock: " + escape_control(line, false) + "\n"); }

const disks::Volume* find_luks(const std::vector<disks::Volume>& vols, const std::string& want, std::string& error) {
  std::vector<const disks::Volume*> luks;
  for (const auto& v : vols)
    if (v.type == "crypto_LUKS") luks.push_back(&v);
  if (want.empty()) {
    if (luks.size() == 1) return luks.front();
    if (luks.empty()) error = "no LUKS container found (see rescue disks)";
    else {
      error = "several LUKS containers: say which:";
      for (const auto* v : luks) error += " " + v->name;
    }
    return nullptr;
  }
  std::string_view name = want;
  if (name.starts_with("/dev/")) name.remove_prefix(5);
  for (const auto* v : luks)
    if (v->name == name || iequal(v->uuid, want)) return v;
  error = "'" + want + "' is not a LUKS container (see rescue disks)";
  return nullptr;
}

// Volumes built on `base` (directly or through other stacked devices).
std::vector<const disks::Volume*> stacked_on(const std::vector<disks::Volume>& vols, const std::string& base) {
  std::vector<std::string> under{base};
  std::vector<const disks::Volume*> out;
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& v : vols) {
      if (std::find(under.begin(), under.end(), v.name) != under.end()) continue;
      for (const auto& s : v.slaves)
        if (std::find(under.begin(), under.end(), s) != under.end()) {
          under.push_back(v.name);
          out.push_back(&v);
          grew = true;
          break;
        }
    }
  }
  return out;
}

}  // namespace

std::string unlock_help() { return kHelp; }

int cmd_unlock(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o) {
  std::string want;
  bool rw = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--help" || a == "-h") return o.out += kHelp, kExitOk;
    if (a == "--rw") rw = true;
    else if (!a.empty() && a[0] != '-' && want.empty()) want = a;
    else return o.err += "rescue: unlock: unexpected argument '" + a + "'\n" + kHelp, kExitUsage;
  }
  const std::string cryptsetup = disks::find_tool(sys, "cryptsetup");
  if (cryptsetup.empty()) return o.err += "rescue: unlock: cryptsetup is not in this image\n", kExitFailure;

  auto scan = disks::scan_disks(sys, disks::default_probers(sys));
  std::string error;
  const disks::Volume* found = find_luks(scan.volumes, want, error);
  if (!found) return o.err += "rescue: unlock: " + error + "\n", kExitFailure;
  const disks::Volume luks = *found;
  for (const auto* v : stacked_on(scan.volumes, luks.name))
    if (v->stack.starts_with("LUKS"))
      return o.out += "rescue: unlock: " + luks.path + " is already open as " +
                      (v->aliases.empty() ? v->path : v->aliases.front()) + "\n",
             kExitOk;

  // Every command runs as a child with a time limit.
  disks::CommandRunner run = disks::polling_runner(sys);

  // Can this VM afford the key slots?
  disks::SlotPlan plan;
  plan.all = true;
  RunResult dump = run(disks::command({cryptsetup, "luksDump", "--dump-json-metadata", luks.path}, 30000));
  if (dump.ok()) {
    auto slots = disks::parse_luks2_keyslots(dump.output);
    auto meminfo = sys.read_file("/proc/meminfo", 64 * 1024);
    auto avail = meminfo.ok() ? disks::mem_available_kib(meminfo.value) : std::nullopt;
    if (slots && avail) plan = disks::plan_key_slots(*slots, *avail);
  }
  if (!plan.refusal.empty()) return o.err += "rescue: unlock: " + luks.path + ": " + plan.refusal + "\n", kExitFailure;

  std::string pass;
  error = read_secret(sys, "Passphrase for " + luks.path + ": ", nullptr, pass);
  if (!error.empty()) return o.err += "rescue: unlock: passphrase: " + error + "\n", kExitFailure;

  const std::string name = disks::luks_mapper_name(luks.uuid, luks.name);
  std::vector<int> slots = plan.all ? std::vector<int>{-1} : plan.try_slots;
  say(sys, "opening " + luks.path + (rw ? " read-write" : " read-only") + " as /dev/mapper/" + name);
  RunResult opened;
  for (int slot : slots) {
    auto p = sys.pipe();
    if (!p.ok()) {
      meta::wipe(pass);
      return o.err += std::string("rescue: unlock: pipe: ") + sys::error_text(p.err) + "\n", kExitFailure;
    }
    // The passphrase fits in the pipe's buffer (<= 4 KiB): written before cryptsetup starts.
    bool wrote = sys.write_all(p.value.second, pass).ok();
    sys.close_quietly(p.value.second);
    // A big argon2 slot under emulation takes minutes.
    RunSpec rs = disks::command(disks::cryptsetup_open_argv(cryptsetup, luks.path, name, rw, slot), 10 * 60 * 1000);
    rs.stdin_fd = p.value.first;
    opened = wrote ? run(rs) : RunResult{};
    sys.close_quietly(p.value.first);
    if (opened.ok() || opened.code != 2) break;  // 2: no key slot opened with this passphrase
  }
  meta::wipe(pass);
  if (!opened.ok()) {
    if (opened.kind == RunResult::Kind::exited && opened.code == 2)
      return o.err += "rescue: unlock: " + luks.path + ": wrong passphrase (no key slot opened)\n", kExitFailure;
    o.err += "rescue: unlock: cryptsetup open " + luks.path + ": " + opened.describe() + "\n";
    for (auto line : split_lines(opened.output)) o.err += "  " + std::string(line) + "\n";
    return kExitFailure;
  }
  o.out += "rescue: unlock: " + luks.path + " opened " + (rw ? "read-write" : "read-only") + " as /dev/mapper/" + name + "\n";

  // LVM inside, brought up as the boot does.
  disks::StackResult lvm;
  auto after = disks::scan_disks(sys, disks::default_probers(sys));
  bool has_pv = false;
  for (const auto* v : stacked_on(after.volumes, luks.name)) has_pv = has_pv || disks::family_of(v->type) == disks::Family::lvm;
  if (has_pv) {
    say(sys, "LVM inside: activating " + std::string(rw ? "read-write" : "read-only"));
    lvm = disks::bring_up_lvm(sys, run, rw);
    for (const auto& l : lvm.lines) o.out += "rescue: unlock: " + l + "\n";
    for (const auto& p : lvm.problems) o.err += "rescue: unlock: " + p + "\n";
    after = disks::scan_disks(sys, disks::default_probers(sys));
  }

  // The filesystems inside, checked per the boot's policy.
  BootOptions bo;
  Cmdline cmdline;
  if (auto read = read_cmdline(sys); read.ok()) {
    cmdline = read.value;
    bo = parse_boot_options(cmdline).options;
  }
  const disks::DisksOptions policy = disks::parse_disks_options(cmdline, bo.fsck).options;
  for (const auto* v : stacked_on(after.volumes, luks.name)) {
    const disks::Family f = disks::family_of(v->type);
    if (f != disks::Family::ext && f != disks::Family::xfs && f != disks::Family::btrfs && f != disks::Family::vfat) continue;
    o.out += "rescue: unlock: found " + v->type + " on " + v->path + (v->stack.empty() ? "" : " (" + v->stack + ")") + "\n";
    disks::ModeChoice mc = disks::resolve_mode(policy, disks::VolumeIds{v->name, v->uuid, v->label});
    FsckRequest req;
    req.mode = mc.mode;
    req.mode_source = mc.source;
    req.xfs_zero_log = policy.xfs_zero_log;
    req.btrfs_repair = policy.btrfs_repair;
    if (req.mode == FsckMode::repair && !rw) {
      req.mode = FsckMode::check;
      o.out += "rescue: unlock: opened read-only: " + v->name + " is only checked (rescue unlock --rw to repair)\n";
    }
    (void)fsck_volume(sys, *v, req, o);
  }
  o.out += "rescue: unlock: next: rescue mount --guest, or rescue chroot\n";
  return kExitOk;
}

}  // namespace lifeboat
