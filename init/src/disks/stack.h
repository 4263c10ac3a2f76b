#pragma once
// Stacked layouts (issue 12): md RAID and LVM are brought up so that the filesystems inside
// are detected, checked and mounted like plain ones; LUKS waits for `rescue unlock`.
//
// Read-only unless a repair was asked for (lifeboat.fsck=repair, or any per-device repair):
//   md    mdadm --assemble --scan --run --readonly         (repair: without --readonly)
//         the arrays start read-only: md writes no superblock, no resync
//   LVM   lvm vgs (the VG names), then
//         lvm vgchange -ay --config 'global{metadata_read_only=1}
//                                   activation{read_only_volume_list=["VG",...]}' VG...
//         every LV gets a read-only dm table; /sys/block/dm-*/ro is then checked (BLKROSET
//         on a PV does not stop dm writes). Repair: vgchange -ay, read-write.
//   LUKS  needs a passphrase: never opened at boot; `rescue unlock` opens it
//         (--readonly --disable-locks unless --rw), then brings up LVM inside the same way.
// The rescue system's own LVM configuration (rootfs/etc/lvm/lvm.conf) has no udev, no
// devices file, no monitoring, no metadata backups.
//
// Pure planning here; the commands run through a CommandRunner (a child with a time limit:
// the disks worker's Supervisor, or the rescue CLI's).
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "disks/model.h"
#include "config/disk_options.h"
#include "disks/probe.h"
#include "supervise/supervisor.h"
#include "sys/sys.h"

namespace lifeboat::disks {

struct StackNeeds {
  bool md = false;   // linux_raid_member volumes
  bool lvm = false;  // LVM2_member volumes
  std::vector<std::string> luks;  // crypto_LUKS volume paths (locked)
};
StackNeeds stack_needs(const std::vector<Volume>& volumes);
// The kernel modules a stack needs before its tools run, on kernels that build them as
// modules (md_mod; dm_mod, whose control node LVM and cryptsetup open). RAID personalities,
// device-mapper targets and ciphers the kernel asks for itself (boot/modules.h).
std::vector<std::string> stack_modules(const StackNeeds& needs);

// Whether stacks come up read-write: a repair was asked for, globally or for any device.
bool stacks_rw(const DisksOptions& options);

std::vector<std::string> mdadm_assemble_argv(const std::string& mdadm, bool rw);
// `lvm vgs` listing VG names, one per line.
std::vector<std::string> lvm_vgs_argv(const std::string& lvm);
// Names from `lvm vgs --noheadings -o vg_name` output; names LVM would not allow (it is
// guest data: quotes, spaces, control characters) are left out.
std::vector<std::string> parse_vg_names(std::string_view output);
// The --config text for activation: read-only tables and no metadata writes unless rw.
std::string lvm_activation_config(bool rw, const std::vector<std::string>& vgs);
std::vector<std::string> lvm_activate_argv(const std::string& lvm, bool rw, const std::vector<std::string>& vgs);

// Runs one command (RunSpec: argv, time limit, output captured as a string, stdin).
using CommandRunner = std::function<RunResult(const RunSpec& spec)>;
// A RunSpec for `argv`: output captured (64 KiB), killed at `timeout_ms`.
RunSpec command(std::vector<std::string> argv, std::int64_t timeout_ms);
// Through `sup` (the disks worker, PID 1): `sup` must outlive the runner.
CommandRunner supervisor_runner(Supervisor& sup);
// For the rescue CLI, which has no signalfd loop: spawn, poll waitpid and the output pipe,
// SIGTERM then SIGKILL to the child's process group at the time limit.
CommandRunner polling_runner(sys::Sys& sys);

// Makes a read-only stacked device writable for `rescue mount --rw`/`chroot` after a
// check-mode boot: md arrays (and md under LVM) switched with mdadm --readwrite, LVM volumes
// deactivated and activated again read-write (lvchange -an, -ay; same dm minor). A dm-crypt mapping opened
// read-only cannot be: the problem names `rescue unlock --rw`. "" when done or not needed.
std::string make_writable(sys::Sys& sys, const CommandRunner& run, const std::string& name,
                          const std::string& sys_block = "/sys/block");

struct StackResult {
  std::vector<std::string> lines;     // for the console: what came up
  std::vector<std::string> problems;  // for status.json and the console
};

inline constexpr std::int64_t kStackTimeoutMs = 120000;

// Assembles md arrays (mdadm in the image required).
StackResult bring_up_md(sys::Sys& sys, const CommandRunner& run, bool rw);
// Activates every VG's LVs; in read-only mode, then checks each dm device's ro flag under
// `sys_block`.
StackResult bring_up_lvm(sys::Sys& sys, const CommandRunner& run, bool rw, const std::string& sys_block = "/sys/block");

// At shutdown, after the filesystems are unmounted: deactivates LVM (vgchange -an), closes
// dm-crypt mappings (cryptsetup close) and stops md arrays (they are then marked clean), each a child with a short
// time limit; nothing runs when /sys/block has no dm or md device. Problems are returned.
std::vector<std::string> take_down_stacks(sys::Sys& sys, const CommandRunner& run, const std::string& sys_block = "/sys/block");

// dm devices under `sys_block` whose ro flag is not 1 (pure but for the reads).
std::vector<std::string> writable_dm_devices(sys::Sys& sys, const std::string& sys_block);

}  // namespace lifeboat::disks
