#pragma once
// Kernel module coldplug.
//
// Pure part (unit tested): modules.alias matching (fnmatch patterns), modules.dep
// parsing and load order (dependencies first, each once, cycle-safe).
// Effects: read the `modalias` of every device (/sys/bus/*/devices/*, /sys/class/*/*),
// load what matches with finit_module(2), repeat (bounded) because a loaded bus driver
// makes new devices appear, then load the
// modules listed in /lib/modules/<release>/lifeboat.modules (filesystems no modalias asks
// for). Failures are logged and counted, never fatal.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "boot/log.h"
#include "sys/sys.h"

namespace lifeboat {

struct AliasRule {
  std::string pattern;  // fnmatch pattern, e.g. "pci:v00001AF4d00001000sv*sd*bc*sc*i*"
  std::string module;   // normalized name ('-' -> '_')
};

// "alias PATTERN MODULE" lines; comments and junk ignored.
std::vector<AliasRule> parse_modules_alias(const std::string& text);
// Modules whose pattern matches `modalias`, in file order, each once.
std::vector<std::string> match_modalias(const std::vector<AliasRule>& rules,
                                        const std::string& modalias);

// "virtio-net" -> "virtio_net"; "kernel/fs/xfs/xfs.ko.zst" -> "xfs".
std::string module_name(const std::string& name_or_path);

struct ModuleInfo {
  std::string path;                // relative to /lib/modules/<release>/
  std::vector<std::string> deps;   // module names
};
using ModuleDb = std::map<std::string, ModuleInfo>;  // by module name

// "kernel/a.ko: kernel/b.ko kernel/c.ko" lines.
ModuleDb parse_modules_dep(const std::string& text);

struct LoadPlan {
  std::vector<std::string> order;    // module names, dependencies first
  std::vector<std::string> missing;  // names not found in the db (the module or a dep)
};
// Plans loading `wanted` (in order), skipping names in `already`.
LoadPlan plan_module_load(const ModuleDb& db, const std::vector<std::string>& wanted,
                          const std::set<std::string>& already = {});

// One name per line in lifeboat.modules; '#' comments and blanks ignored.
std::vector<std::string> parse_module_list(const std::string& text);

// The kernel's module helper (written to /proc/sys/kernel/modprobe when the running kernel
// has a module tree): the kernel runs `HELPER -q -- NAME` when it needs a module it does not
// have, NAME a module or an alias: fs-xfs (a mount), net-pf-17 (a socket), md-raid1,
// dm-crypt, crypto-xts(aes), block-major-9-0. So filesystems, RAID personalities, device
// mapper targets and ciphers load when used instead of at boot. A link to /init.
inline constexpr const char* kModprobeHelper = "/usr/lib/lifeboat/modprobe";

struct ColdplugStats {
  int loaded = 0;
  int failed = 0;
  int skipped = 0;  // compressed modules, unknown names
  int passes = 0;
  std::string summary() const;
};

struct ColdplugOptions {
  std::string modules_root = "/lib/modules";
  std::string sys_root = "/sys";  // devices: its bus/*/devices/* and class/*/*
  // A pass that loaded something is followed by another (new buses show new devices:
  // virtio_pci -> virtio devices -> virtio_blk); the walk ends when a pass loads nothing.
  // The budget only bounds a pathological case: loading modules under TCG on a busy host
  // can take seconds, and stopping early leaves the disks without a driver.
  int max_passes = 6;
  std::int64_t budget_ms = 15000;
  // Each pass loads its modules side by side: one forked child of PID 1 per wanted module
  // (with its dependencies; a module two children need is loaded once, the kernel makes
  // the other wait), at most `parallel` at a time. A probe that waits on hardware (an IDE
  // bus without disks) then overlaps the others, and a VM with several vCPUs loads on all
  // of them. The children are forks, not execs of the helper: under TCG an exec of /init
  // and its parse of the module tree cost ~27 ms each. PID 1 polls; a child still loading
  // at the budget's end is left to the reaper. 1: PID 1 loads them itself, in order.
  int parallel = 8;
};

// The names /proc/modules lists (the first field of each line).
std::set<std::string> parse_proc_modules(const std::string& text);

// Whether the running kernel has a module tree here (<root>/<release>/modules.dep): a stock
// kernel's, whose modules ride in the tools squashfs (boot/tools.h). Our own kernel has none.
bool has_module_tree(sys::Sys& sys, const std::string& modules_root = "/lib/modules");

// Returns the counts; when this kernel has no module tree it loads nothing and sets
// skipped_reason.
ColdplugStats coldplug_modules(sys::Sys& sys, Log& log, const ColdplugOptions& opt,
                               std::string& skipped_reason);


// The modules a request names: the module itself, else every module an alias rule gives.
std::vector<std::string> resolve_module_request(const ModuleDb& db, const std::vector<AliasRule>& rules,
                                                const std::string& request);

// The helper's main: loads what each non-option argument names. 0 when all of it is loaded
// (or was already), 1 otherwise; quiet (the kernel shows nobody its output).
int kernel_modprobe(sys::Sys& sys, const std::vector<std::string>& args, const std::string& modules_root = "/lib/modules");

// Loads the named modules and their dependencies (modules.dep of the running kernel).
// Returns how many were loaded; names built in or already loaded count as fine. On a kernel
// without a module tree it loads nothing and says so in `problem`.
int load_named_modules(sys::Sys& sys, Log& log, const std::vector<std::string>& names,
                       const std::string& modules_root, std::string& problem);

}  // namespace lifeboat
