#pragma once
// Kernel module coldplug.
//
// Pure part (unit tested): modules.alias matching (fnmatch patterns), modules.dep
// parsing and load order (dependencies first, each once, cycle-safe).
// Effects: walk /sys/devices for `modalias` files, load what matches with finit_module(2),
// repeat (bounded) because a loaded bus driver makes new devices appear, then load the
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

struct ColdplugStats {
  int loaded = 0;
  int failed = 0;
  int skipped = 0;  // compressed modules, unknown names
  int passes = 0;
  std::string summary() const;
};

struct ColdplugOptions {
  std::string modules_root = "/lib/modules";
  std::string sys_devices = "/sys/devices";
  // A pass that loaded something is followed by another (new buses show new devices:
  // virtio_pci -> virtio devices -> virtio_blk); the walk ends when a pass loads nothing.
  // The budget only bounds a pathological case: loading modules under TCG on a busy host
  // can take seconds, and stopping early leaves the disks without a driver.
  int max_passes = 6;
  std::int64_t budget_ms = 15000;
};

// Returns the counts; when this kernel has no module tree it loads nothing and sets
// skipped_reason.
ColdplugStats coldplug_modules(sys::Sys& sys, Log& log, const ColdplugOptions& opt,
                               std::string& skipped_reason);

}  // namespace lifeboat
