#include "boot/modules.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <optional>

#include "common/text.h"

namespace lifeboat {

std::string module_name(const std::string& name_or_path) {
  std::string base(path_basename(name_or_path));
  for (const char* ext : {".ko.zst", ".ko.xz", ".ko.gz", ".ko"}) {
    std::string_view e(ext);
    if (base.size() > e.size() && base.compare(base.size() - e.size(), e.size(), e) == 0) {
      base.resize(base.size() - e.size());
      break;
    }
  }
  std::replace(base.begin(), base.end(), '-', '_');
  return base;
}

std::vector<AliasRule> parse_modules_alias(const std::string& text) {
  std::vector<AliasRule> out;
  for (auto line : split_lines(text)) {
    auto f = split_ws(line);
    if (f.size() != 3 || f[0] != "alias") continue;
    out.push_back(AliasRule{std::string(f[1]), module_name(std::string(f[2]))});
  }
  return out;
}

std::vector<std::string> match_modalias(const std::vector<AliasRule>& rules,
                                        const std::string& modalias) {
  std::vector<std::string> out;
  for (const auto& r : rules) {
    if (fnmatch(r.pattern.c_str(), modalias.c_str(), 0) != 0) continue;
    if (std::find(out.begin(), out.end(), r.module) == out.end()) out.push_back(r.module);
  }
  return out;
}

ModuleDb parse_modules_dep(const std::string& text) {
  ModuleDb db;
  for (auto line : split_lines(text)) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string path(trim(line.substr(0, colon)));
    if (path.empty()) continue;
    ModuleInfo info{path, {}};
    for (auto d : split_ws(line.substr(colon + 1))) info.deps.push_back(module_name(std::string(d)));
    db[module_name(path)] = std::move(info);
  }
  return db;
}

LoadPlan plan_module_load(const ModuleDb& db, const std::vector<std::string>& wanted,
                          const std::set<std::string>& already) {
  LoadPlan plan;
  std::set<std::string> done(already.begin(), already.end());
  std::set<std::string> visiting;
  std::function<void(const std::string&)> visit = [&](const std::string& raw) {
    const std::string name = module_name(raw);
    if (done.count(name) || visiting.count(name)) return;  // loaded, planned, or a cycle
    auto it = db.find(name);
    if (it == db.end()) {
      if (std::find(plan.missing.begin(), plan.missing.end(), name) == plan.missing.end())
        plan.missing.push_back(name);
      done.insert(name);
      return;
    }
    visiting.insert(name);
    // modules.dep lists the full closure; modprobe loads it from the end of the list.
    for (auto d = it->second.deps.rbegin(); d != it->second.deps.rend(); ++d) visit(*d);
    visiting.erase(name);
    done.insert(name);
    plan.order.push_back(name);
  };
  for (const auto& w : wanted) visit(w);
  return plan;
}

std::vector<std::string> parse_module_list(const std::string& text) {
  std::vector<std::string> out;
  for (auto line : split_lines(text)) {
    auto hash = line.find('#');
    if (hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (!line.empty()) out.push_back(module_name(std::string(line)));
  }
  return out;
}

std::set<std::string> parse_proc_modules(const std::string& text) {
  std::set<std::string> out;
  for (auto line : split_lines(text)) {
    auto f = split_ws(line);
    if (!f.empty()) out.insert(std::string(f[0]));
  }
  return out;
}

std::string ColdplugStats::summary() const {
  return strformat("%d loaded, %d failed, %d skipped, %d pass%s", loaded, failed, skipped, passes,
                   passes == 1 ? "" : "es");
}

namespace {

// The modalias of every device the kernel has registered, the way udev's coldplug trigger
// finds them: each device on a bus (/sys/bus/*/devices/*) and each class device
// (/sys/class/*/*, e.g. input devices, which are on no bus). Links to the devices, a few
// hundred entries; walking /sys/devices itself (thousands of entries) costs ~130 ms per pass
// under TCG.
void collect_modaliases(sys::Sys& sys, const std::string& sys_root, std::set<std::string>& out) {
  for (const char* kind : {"/bus", "/class"}) {
    const std::string top = sys_root + kind;
    auto groups = sys.list_dir(top);
    if (!groups.ok()) continue;
    for (const auto& g : groups.value) {
      const std::string dir = top + "/" + g.name + (kind[1] == 'b' ? "/devices" : "");
      auto devs = sys.list_dir(dir);
      if (!devs.ok()) continue;
      for (const auto& d : devs.value) {
        auto text = sys.read_file(dir + "/" + d.name + "/modalias", 4096);
        if (!text.ok()) continue;
        auto alias = std::string(trim(text.value));
        if (!alias.empty()) out.insert(alias);
      }
    }
  }
}

class Loader {
 public:
  Loader(sys::Sys& sys, Log& log, const std::string& dir, const ModuleDb& db, ColdplugStats& st)
      : sys_(sys), log_(log), dir_(dir), db_(db), st_(st) {}

  // Returns how many modules were newly loaded.
  int load(const std::vector<std::string>& wanted) {
    auto plan = plan_module_load(db_, wanted, attempted_);
    for (const auto& m : plan.missing) {
      if (attempted_.insert(m).second) {
        ++st_.skipped;
        log_.info("modules: %s: not in modules.dep", m.c_str());
      }
    }
    int n = 0;
    for (const auto& name : plan.order) {
      attempted_.insert(name);
      if (load_one(name)) ++n;
    }
    return n;
  }

 private:
  bool load_one(const std::string& name) {
    const std::string& rel = db_.at(name).path;
    if (rel.size() < 3 || rel.compare(rel.size() - 3, 3, ".ko") != 0) {
      ++st_.skipped;
      log_.info("modules: %s: skipped: compressed module (%s) not supported",
                name.c_str(), std::string(path_basename(rel)).c_str());
      return false;
    }
    const std::string path = rel.front() == '/' ? rel : dir_ + "/" + rel;
    auto fd = sys_.open(path, O_RDONLY | O_CLOEXEC);
    if (!fd.ok()) {
      ++st_.failed;
      log_.info("modules: %s: open %s: %s", name.c_str(), path.c_str(), sys::error_text(fd.err));
      return false;
    }
    auto r = sys_.finit_module(fd.value, "", 0);
    sys_.close_quietly(fd.value);  // read-only
    if (r.ok()) {
      ++st_.loaded;
      log_.debug("modules: loaded %s", name.c_str());
      return true;
    }
    if (r.err == EEXIST) return false;  // built in or already loaded: fine
    ++st_.failed;
    log_.info("modules: %s: finit_module: %s", name.c_str(), sys::error_text(r.err));
    return false;
  }

  sys::Sys& sys_;
  Log& log_;
  const std::string& dir_;
  const ModuleDb& db_;
  ColdplugStats& st_;
  std::set<std::string> attempted_;
};

// Loads `wanted` in forked children of PID 1, side by side (each with the module database
// PID 1 already parsed: no exec, no second parse); returns how many modules appeared in
// /proc/modules.
int load_in_children(sys::Sys& sys, Log& log, const ColdplugOptions& opt, const std::string& dir,
                     const ModuleDb& db, const std::vector<std::string>& wanted, std::int64_t deadline,
                     ColdplugStats& st) {
  auto before = sys.read_file("/proc/modules", 1 << 20);
  const auto had = before.ok() ? parse_proc_modules(before.value) : std::set<std::string>{};
  std::vector<pid_t> running;
  std::size_t next = 0;
  while ((next < wanted.size() || !running.empty()) && sys.monotonic_ms() < deadline) {
    while (next < wanted.size() && static_cast<int>(running.size()) < std::max(1, opt.parallel)) {
      const std::string& name = wanted[next];
      auto pid = sys.fork_call([&sys, &log, &dir, &db, &name] {
        ColdplugStats child;
        Loader(sys, log, dir, db, child).load({name});
        return child.failed == 0 && child.skipped == 0 ? 0 : 1;
      });
      if (pid.ok()) {
        running.push_back(pid.value);
      } else {
        ++st.failed;
        log.info("modules: %s: fork: %s", name.c_str(), sys::error_text(pid.err));
      }
      ++next;
    }
    for (auto it = running.begin(); it != running.end();) {
      auto w = sys.waitpid(*it, WNOHANG);
      if (w.ok() && w.value.pid == 0) {
        ++it;
        continue;
      }
      if (!w.ok() || !WIFEXITED(w.value.status) || WEXITSTATUS(w.value.status) != 0) ++st.failed;
      it = running.erase(it);
    }
    if (!running.empty()) sys.sleep_ms(2);
  }
  if (!running.empty()) log.info("modules: %zu still loading after the time budget", running.size());
  auto after = sys.read_file("/proc/modules", 1 << 20);
  int n = 0;
  if (after.ok())
    for (const auto& m : parse_proc_modules(after.value))
      if (!had.count(m)) ++n;
  st.loaded += n;
  return n;
}

// The running kernel's module tree: its directory and modules.dep, or why there is none.
struct ModuleTree {
  std::string dir;
  ModuleDb db;
};
std::optional<ModuleTree> open_module_tree(sys::Sys& sys, const std::string& modules_root, std::string& problem) {
  auto release = sys.kernel_release();
  if (!release.ok()) {
    problem = strformat("uname: %s", sys::error_text(release.err));
    return std::nullopt;
  }
  ModuleTree t{modules_root + "/" + release.value, {}};
  auto dep_text = sys.read_file(t.dir + "/modules.dep", 16 << 20);
  if (!dep_text.ok()) {
    problem = strformat("no %s/modules.dep", t.dir.c_str());
    return std::nullopt;
  }
  t.db = parse_modules_dep(dep_text.value);
  return t;
}

}  // namespace

std::vector<std::string> resolve_module_request(const ModuleDb& db, const std::vector<AliasRule>& rules,
                                                const std::string& request) {
  const std::string name = module_name(request);
  if (db.count(name)) return {name};
  return match_modalias(rules, request);
}

int kernel_modprobe(sys::Sys& sys, const std::vector<std::string>& args, const std::string& modules_root) {
  std::string problem;
  auto tree = open_module_tree(sys, modules_root, problem);
  if (!tree) return 1;
  const std::string& dir = tree->dir;
  const ModuleDb& db = tree->db;
  auto alias_text = sys.read_file(dir + "/modules.alias", 16 << 20);
  const auto rules = alias_text.ok() ? parse_modules_alias(alias_text.value) : std::vector<AliasRule>{};
  Log log(sys);  // no console: the kernel's helper has nowhere to write
  ColdplugStats st;
  Loader loader(sys, log, dir, db, st);
  bool all = true;
  for (const auto& a : args) {
    if (a.empty() || a[0] == '-') continue;  // -q, --
    auto mods = resolve_module_request(db, rules, a);
    if (mods.empty()) {
      all = false;
      continue;
    }
    loader.load(mods);
  }
  return all && st.failed == 0 && st.skipped == 0 ? 0 : 1;
}

int load_named_modules(sys::Sys& sys, Log& log, const std::vector<std::string>& names,
                       const std::string& modules_root, std::string& problem) {
  auto tree = open_module_tree(sys, modules_root, problem);
  if (!tree) return 0;
  ColdplugStats st;
  Loader loader(sys, log, tree->dir, tree->db, st);
  return loader.load(names);
}

bool has_module_tree(sys::Sys& sys, const std::string& modules_root) {
  auto release = sys.kernel_release();
  return release.ok() && sys.exists(modules_root + "/" + release.value + "/modules.dep");
}

ColdplugStats coldplug_modules(sys::Sys& sys, Log& log, const ColdplugOptions& opt,
                               std::string& skipped_reason) {
  ColdplugStats st;
  auto tree = open_module_tree(sys, opt.modules_root, skipped_reason);
  if (!tree) return st;
  const std::string& dir = tree->dir;
  const ModuleDb& db = tree->db;
  Loader loader(sys, log, dir, db, st);
  if (sys.exists(kModprobeHelper)) {
    auto w = sys.write_file("/proc/sys/kernel/modprobe", std::string(kModprobeHelper) + "\n");
    if (!w.ok()) log.info("modules: /proc/sys/kernel/modprobe: %s", sys::error_text(w.err));
  }

  auto alias_text = sys.read_file(dir + "/modules.alias", 16 << 20);
  if (alias_text.ok()) {
    const auto rules = parse_modules_alias(alias_text.value);
    const std::int64_t deadline = sys.monotonic_ms() + opt.budget_ms;
    std::set<std::string> seen;   // modaliases already handled
    std::set<std::string> tried;  // modules already asked for
    for (int pass = 0; pass < opt.max_passes; ++pass) {
      ++st.passes;
      std::set<std::string> aliases;
      collect_modaliases(sys, opt.sys_root, aliases);
      std::vector<std::string> wanted;
      for (const auto& a : aliases) {
        if (!seen.insert(a).second) continue;
        for (auto& m : match_modalias(rules, a))
          if (std::find(wanted.begin(), wanted.end(), m) == wanted.end() && !tried.count(m)) wanted.push_back(std::move(m));
      }
      for (const auto& m : wanted) tried.insert(m);
      const int newly = opt.parallel > 1 ? load_in_children(sys, log, opt, dir, db, wanted, deadline, st)
                                         : loader.load(wanted);
      // No pause before the next pass: when finit_module returns, the driver's probes have
      // registered the devices they found (the kernel also waits for the async work a
      // module's init starts, such as libata's port probes, before it returns).
      if (newly == 0 || sys.monotonic_ms() >= deadline) break;
    }
  } else {
    log.info("modules: no %s/modules.alias: no coldplug", dir.c_str());
  }

  auto list = sys.read_file(dir + "/lifeboat.modules");
  if (list.ok()) loader.load(parse_module_list(list.value));
  return st;
}

}  // namespace lifeboat
