// rescue du: see subcommand_help().
#include <sys/stat.h>

#include "cli/session.h"
#include "cli/toolkit.h"
#include "common/text.h"
#include "disks/model.h"
#include "guest/plan.h"

namespace lifeboat {

namespace {

struct DuWalk {
  explicit DuWalk(sys::Sys& s) : sys(s) {}
  sys::Sys& sys;
  dev_t dev = 0;
  std::vector<guest::DuItem> dirs, files;
  std::size_t errors = 0;
  void prune() {
    if (dirs.size() > 4096) dirs = guest::top_items(std::move(dirs), 20);
    if (files.size() > 4096) files = guest::top_items(std::move(files), 20);
  }
  std::uint64_t walk(const std::string& path, int depth) {
    std::uint64_t total = 0;
    // Subdirectories are walked after this one is closed: one directory open at a time.
    std::vector<std::pair<std::string, std::uint64_t>> subdirs;
    auto listed = sys.each_dir_entry(path, [&](const sys::DirEntry& e) {
      std::string p = path == "/" ? "/" + e.name : path + "/" + e.name;
      auto st = sys.lstat(p);
      if (!st.ok()) {
        ++errors;
        return true;
      }
      const std::uint64_t bytes = st.value.blocks512 * 512;
      if (S_ISDIR(st.value.mode)) {
        if (st.value.dev == dev) subdirs.emplace_back(std::move(p), bytes);  // else another filesystem
        return true;
      }
      total += bytes;
      if (S_ISREG(st.value.mode)) files.push_back({p, bytes, false});
      prune();
      return true;
    });
    if (!listed.ok()) ++errors;
    for (auto& [p, own] : subdirs) {
      const std::uint64_t sub = own + (depth < 256 ? walk(p, depth + 1) : 0);
      dirs.push_back({p, sub, true});
      total += sub;
      prune();
    }
    return total;
  }
};

}  // namespace

int cmd_du(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o) {
  if (wants_help(args)) return o.out += subcommand_help("du"), kExitOk;
  if (args.size() > 2) return usage(o, "du", "too many arguments");
  std::string path = args.size() == 2 ? args[1] : kGuestRoot;
  if (args.size() < 2 && !guest::is_mount_point(sys, path)) {
    o.err += "rescue: du: the guest is not mounted (rescue mount --guest first, or give a PATH)\n";
    return kExitFailure;
  }
  auto st = sys.lstat(path);
  if (!st.ok() || !S_ISDIR(st.value.mode)) {
    o.err += "rescue: du: " + path + ": not a directory\n";
    return kExitFailure;
  }
  DuWalk w(sys);
  w.dev = st.value.dev;
  std::uint64_t total = w.walk(path, 0);
  o.out += guest::render_du(guest::top_items(w.dirs, 20), guest::top_items(w.files, 20));
  o.out += strformat("total: %s in %s\n", disks::human_size(total).c_str(), path.c_str());
  if (w.errors) o.err += strformat("rescue: du: %zu entries could not be read\n", w.errors);
  return kExitOk;
}

}  // namespace lifeboat
