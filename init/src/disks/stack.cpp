#include "disks/stack.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>

#include "common/text.h"

namespace lifeboat::disks {

namespace {

bool valid_vg_name(std::string_view n) noexcept {
  if (n.empty() || n.size() > 127 || n == "." || n == ".." || n.front() == '-') return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '_' ||
           c == '.' || c == '-';
  });
}

// The tool's output lines worth showing ("mdadm: /dev/md/root has been started with 2 drives.").
void add_output(StackResult& r, const std::string& prefix, const std::string& output) {
  std::size_t n = 0;
  for (auto line : split_lines(output)) {
    auto t = trim(line);
    if (t.empty()) continue;
    if (++n > 20) {
      r.lines.push_back(prefix + "(more in the tool's output)");
      break;
    }
    r.lines.push_back(prefix + std::string(t));
  }
}

}  // namespace

RunSpec command(std::vector<std::string> argv, std::int64_t timeout_ms) {
  RunSpec rs;
  rs.argv = std::move(argv);
  rs.timeout_ms = timeout_ms;
  rs.capture = Capture::string;
  rs.capture_limit = 64 * 1024;
  return rs;
}

CommandRunner supervisor_runner(Supervisor& sup) {
  return [&sup](const RunSpec& rs) { return sup.run(rs); };
}

CommandRunner polling_runner(sys::Sys& sys) {
  return [&sys](const RunSpec& rs) {
    RunResult res;
    const std::int64_t start = sys.monotonic_ms();
    auto p = sys.pipe();
    if (!p.ok()) {
      res.code = p.err;
      return res;
    }
    sys::SpawnSpec ss;
    ss.argv = rs.argv;
    ss.env = rs.env;
    ss.cwd = rs.cwd;
    ss.new_process_group = true;
    ss.stdin_fd = rs.stdin_fd;
    ss.stdout_fd = p.value.second;
    ss.stderr_fd = p.value.second;
    auto pid = sys.spawn(ss);
    sys.close_quietly(p.value.second);
    const int rd = p.value.first;
    if (!pid.ok()) {
      sys.close_quietly(rd);
      res.code = pid.err;
      return res;
    }
    auto drain = [&] {
      char buf[4096];
      for (;;) {
        auto n = sys.read(rd, buf, sizeof buf);
        if (!n.ok() || n.value == 0) return;
        std::size_t room = rs.capture_limit > res.output.size() ? rs.capture_limit - res.output.size() : 0;
        if (n.value > room) res.output_truncated = true;
        res.output.append(buf, std::min(room, n.value));
      }
    };
    int sig = 0;
    std::int64_t deadline = rs.timeout_ms > 0 ? start + rs.timeout_ms : -1;
    for (;;) {
      drain();
      auto w = sys.waitpid(pid.value, WNOHANG);
      if (!w.ok() || w.value.pid == pid.value) {
        drain();
        if (!w.ok()) res.code = w.err;
        else if (sig) res.kind = RunResult::Kind::timed_out;
        else if (WIFEXITED(w.value.status)) {
          res.kind = RunResult::Kind::exited;
          res.code = WEXITSTATUS(w.value.status);
        } else {
          res.kind = RunResult::Kind::signaled;
          res.code = WIFSIGNALED(w.value.status) ? WTERMSIG(w.value.status) : 0;
        }
        break;
      }
      const std::int64_t now = sys.monotonic_ms();
      if (deadline >= 0 && now >= deadline) {
        sig = sig == 0 ? SIGTERM : SIGKILL;
        (void)sys.kill(-pid.value, sig);
        deadline = now + rs.kill_grace_ms;
      }
      sys.sleep_ms(50);
    }
    sys.close_quietly(rd);
    res.duration_ms = sys.monotonic_ms() - start;
    return res;
  };
}

StackNeeds stack_needs(const std::vector<Volume>& volumes) {
  StackNeeds n;
  for (const auto& v : volumes) {
    switch (family_of(v.type)) {
      case Family::raid: n.md = true; break;
      case Family::lvm: n.lvm = true; break;
      case Family::luks:
        if (v.type == "crypto_LUKS") n.luks.push_back(v.path);
        break;
      default: break;
    }
  }
  return n;
}

std::vector<std::string> stack_modules(const StackNeeds& needs) {
  std::vector<std::string> out;
  if (needs.md) out.push_back("md_mod");
  if (needs.lvm || !needs.luks.empty()) out.push_back("dm_mod");
  return out;
}

bool stacks_rw(const DisksOptions& options) {
  if (options.mode == FsckMode::repair) return true;
  return std::any_of(options.overrides.begin(), options.overrides.end(),
                     [](const Override& o) { return o.mode == FsckMode::repair; });
}

std::vector<std::string> mdadm_assemble_argv(const std::string& mdadm, bool rw) {
  std::vector<std::string> a{mdadm, "--assemble", "--scan", "--run"};
  if (!rw) a.push_back("--readonly");
  return a;
}

std::vector<std::string> lvm_vgs_argv(const std::string& lvm) {
  return {lvm, "vgs", "--noheadings", "--nosuffix", "-o", "vg_name", "--config", "global{metadata_read_only=1}"};
}

std::vector<std::string> parse_vg_names(std::string_view output) {
  std::vector<std::string> out;
  for (auto line : split_lines(output)) {
    auto t = trim(line);
    if (!valid_vg_name(t)) continue;
    std::string name(t);
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
  }
  return out;
}

std::string lvm_activation_config(bool rw, const std::vector<std::string>& vgs) {
  if (rw) return "";
  std::string list;
  for (const auto& vg : vgs) list += (list.empty() ? "\"" : ", \"") + vg + "\"";
  return "global{metadata_read_only=1} activation{read_only_volume_list=[" + list + "]}";
}

std::vector<std::string> lvm_activate_argv(const std::string& lvm, bool rw, const std::vector<std::string>& vgs) {
  std::vector<std::string> a{lvm, "vgchange", "-ay"};
  if (!rw) {
    a.push_back("--config");
    a.push_back(lvm_activation_config(rw, vgs));
  }
  for (const auto& vg : vgs) a.push_back(vg);
  return a;
}

StackResult bring_up_md(sys::Sys& sys, const CommandRunner& run, bool rw) {
  StackResult r;
  const std::string mdadm = find_tool(sys, "mdadm");
  if (mdadm.empty()) {
    r.problems.push_back("md RAID members found, but mdadm is not in this image");
    return r;
  }
  RunResult rr = run(command(mdadm_assemble_argv(mdadm, rw), kStackTimeoutMs));
  add_output(r, "md: ", rr.output);
  // mdadm exits 1 when some array could not be started (e.g. too few members) while others
  // did: the arrays that came up are used either way.
  if (!rr.ok()) r.problems.push_back("md: mdadm --assemble --scan: " + rr.describe());
  return r;
}

std::vector<std::string> writable_dm_devices(sys::Sys& sys, const std::string& sys_block) {
  std::vector<std::string> out;
  auto entries = sys.list_dir(sys_block);
  if (!entries.ok()) return out;
  for (const auto& e : entries.value) {
    if (!e.name.starts_with("dm-")) continue;
    auto ro = sys.read_file(sys_block + "/" + e.name + "/ro", 16);
    if (!ro.ok() || trim(ro.value) != "1") out.push_back(e.name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

StackResult bring_up_lvm(sys::Sys& sys, const CommandRunner& run, bool rw, const std::string& sys_block) {
  StackResult r;
  const std::string lvm = find_tool(sys, "lvm");
  if (lvm.empty()) {
    r.problems.push_back("LVM physical volumes found, but lvm is not in this image");
    return r;
  }
  RunResult vgs = run(command(lvm_vgs_argv(lvm), kStackTimeoutMs));
  std::vector<std::string> names = parse_vg_names(vgs.ok() ? vgs.output : "");
  if (!vgs.ok()) {
    r.problems.push_back("LVM: lvm vgs: " + vgs.describe());
    add_output(r, "LVM: ", vgs.output);
    return r;
  }
  if (names.empty()) {
    r.problems.push_back("LVM: physical volumes found, but no volume group is complete or readable");
    return r;
  }
  RunResult act = run(command(lvm_activate_argv(lvm, rw, names), kStackTimeoutMs));
  add_output(r, "LVM: ", act.output);
  if (!act.ok()) r.problems.push_back("LVM: vgchange -ay: " + act.describe());
  if (!rw)
    for (const auto& dm : writable_dm_devices(sys, sys_block))
      r.problems.push_back(dm + ": not read-only after a read-only activation (protected with BLKROSET instead)");
  return r;
}

std::vector<std::string> take_down_stacks(sys::Sys& sys, const CommandRunner& run, const std::string& sys_block) {
  std::vector<std::string> problems;
  bool dm = false, md = false;
  if (auto entries = sys.list_dir(sys_block); entries.ok())
    for (const auto& e : entries.value) {
      dm = dm || e.name.starts_with("dm-");
      md = md || e.name.starts_with("md");
    }
  auto step = [&](const char* tool, std::vector<std::string> args) {
    const std::string path = find_tool(sys, tool);
    if (path.empty()) return;
    args.insert(args.begin(), path);
    RunResult r = run(command(args, 10000));
    if (!r.ok()) problems.push_back(std::string(tool) + " " + args[1] + ": " + r.describe());
  };
  if (dm) {
    step("lvm", {"vgchange", "-an"});
    // Then the dm-crypt mappings (LVM on LUKS is gone by now).
    if (auto entries = sys.list_dir(sys_block); entries.ok())
      for (const auto& e : entries.value) {
        if (!e.name.starts_with("dm-")) continue;
        auto uuid = sys.read_file(sys_block + "/" + e.name + "/dm/uuid", 256);
        auto name = sys.read_file(sys_block + "/" + e.name + "/dm/name", 256);
        if (uuid.ok() && name.ok() && trim(uuid.value).starts_with("CRYPT-"))
          step("cryptsetup", {"close", std::string(trim(name.value))});
      }
  }
  if (md) step("mdadm", {"--stop", "--scan"});
  return problems;
}

std::string make_writable(sys::Sys& sys, const CommandRunner& run, const std::string& name, const std::string& sys_block) {
  if (!name.starts_with("dm-") && !name.starts_with("md")) return "";
  const std::string dir = sys_block + "/" + name;
  auto ro = sys.read_file(dir + "/ro", 16);
  if (!ro.ok() || trim(ro.value) != "1") return "";  // writable already
  // What it sits on first (LVM on md).
  if (auto sl = sys.list_dir(dir + "/slaves"); sl.ok())
    for (const auto& e : sl.value)
      if (e.name != "." && e.name != "..")
        if (std::string p = make_writable(sys, run, e.name, sys_block); !p.empty()) return p;
  RunResult r;
  if (name.starts_with("md")) {
    const std::string mdadm = find_tool(sys, "mdadm");
    if (mdadm.empty()) return name + ": read-only, and mdadm is not in this image";
    r = run(command({mdadm, "--readwrite", "/dev/" + name}, 30000));
    // The boot's read-only guard put BLKROSET back on the array as it found it (read-only):
    // that flag would keep it read-only whatever md says.
    if (r.ok()) {
      auto fd = sys.open("/dev/" + name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
      if (fd.ok()) {
        int off = 0;
        (void)sys.ioctl(fd.value, BLKROSET, &off);
        sys.close_quietly(fd.value);
      }
    }
  } else {
    auto uuid = sys.read_file(dir + "/dm/uuid", 256);
    auto dm_name = sys.read_file(dir + "/dm/name", 256);
    const std::string u = uuid.ok() ? std::string(trim(uuid.value)) : "";
    if (u.starts_with("CRYPT-")) return name + ": the LUKS container was opened read-only: rescue unlock --rw";
    auto [vg, lv] = split_lvm_dm_name(dm_name.ok() ? trim(dm_name.value) : "");
    if (!u.starts_with("LVM-") || vg.empty()) return name + ": a read-only device-mapper device lifeboat did not make";
    const std::string lvm = find_tool(sys, "lvm");
    if (lvm.empty()) return name + ": read-only, and lvm is not in this image";
    // lvchange --refresh keeps the read-only table (libdm skips an identical reload): the LV
    // (not in use: it is about to be mounted) is deactivated and activated again, read-write.
    r = run(command({lvm, "lvchange", "-an", vg + "/" + lv}, 60000));
    if (r.ok()) r = run(command({lvm, "lvchange", "-ay", vg + "/" + lv}, 60000));
  }
  if (!r.ok()) return name + ": could not be made writable (" + r.describe() + "): " + std::string(trim(r.output));
  auto now = sys.read_file(dir + "/ro", 16);
  if (!now.ok() || trim(now.value) != "0") return name + ": still read-only after " + (name.starts_with("md") ? "mdadm --readwrite" : "lvchange -an/-ay");
  return "";
}

}  // namespace lifeboat::disks
