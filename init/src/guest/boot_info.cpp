#include "guest/boot_info.h"

#include <algorithm>

#include "common/text.h"
#include "guest/plan.h"

namespace lifeboat::guest {

namespace {

constexpr std::size_t kMaxEntries = 256;

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// GRUB's shell words of one line, commands separated by an unquoted ';' (returned as a ";"
// word). '#' at the start of a word comments out the rest of the line.
std::vector<std::string> grub_words(std::string_view line) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == ' ' || c == '\t' || c == '\r') {
      if (in_word) words.push_back(cur), cur.clear(), in_word = false;
    } else if (c == ';') {
      if (in_word) words.push_back(cur), cur.clear(), in_word = false;
      words.emplace_back(";");
    } else if (c == '#' && !in_word) {
      break;
    } else if (c == '\'') {
      in_word = true;
      std::size_t end = line.find('\'', i + 1);
      if (end == std::string_view::npos) end = line.size();
      cur.append(line.substr(i + 1, end - i - 1));
      i = end;
    } else if (c == '"') {
      in_word = true;
      for (++i; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '\\' && i + 1 < line.size() && std::string_view("\"\\$").find(line[i + 1]) != std::string_view::npos) ++i;
        cur += line[i];
      }
    } else if (c == '\\' && i + 1 < line.size()) {
      in_word = true;
      cur += line[++i];
    } else {
      in_word = true;
      cur += c;
    }
  }
  if (in_word) words.push_back(cur);
  return words;
}

std::vector<std::vector<std::string>> grub_commands(std::string_view line) {
  std::vector<std::vector<std::string>> cmds(1);
  for (auto& w : grub_words(line)) {
    if (w == ";") cmds.emplace_back();
    else cmds.back().push_back(std::move(w));
  }
  cmds.erase(std::remove_if(cmds.begin(), cmds.end(), [](const auto& c) { return c.empty(); }), cmds.end());
  return cmds;
}

std::string join_from(const std::vector<std::string>& words, std::size_t from) {
  std::string out;
  for (std::size_t i = from; i < words.size(); ++i) out += (out.empty() ? "" : " ") + words[i];
  return out;
}

// The UUID a `search` command looks for, when it searches by filesystem UUID: the last word
// that is not an option (`search --no-floppy --fs-uuid --set=root --hint-bios=hd0,gpt3 UUID`;
// --set takes a variable only with '='), or the first of `search.fs_uuid UUID [VARIABLE]`.
std::string search_uuid(const std::vector<std::string>& cmd) {
  const bool short_form = cmd[0] == "search.fs_uuid";
  bool by_uuid = short_form;
  std::string key;
  for (std::size_t i = 1; i < cmd.size(); ++i) {
    if (cmd[i] == "--fs-uuid" || cmd[i] == "-u") by_uuid = true;
    else if (!starts_with(cmd[i], "-") && (!short_form || key.empty())) key = cmd[i];
  }
  return by_uuid ? key : "";
}

// Kernel and initrd paths are relative to the filesystem GRUB reads them from: /boot's own
// when it is separate (paths "/vmlinuz-..."), else the root's ("/boot/vmlinuz-..."). The
// name in /boot, or "" when the path is not a plain file of /boot (a variable, a subdirectory).
std::string boot_name(std::string_view path) {
  if (starts_with(path, "/boot/")) path.remove_prefix(6);
  else if (starts_with(path, "/")) path.remove_prefix(1);
  else return "";
  if (path.empty() || path.find_first_of("/$") != std::string_view::npos) return "";
  return std::string(path);
}

const BootFile* find_file(const std::vector<BootFile>& boot, std::string_view name) {
  for (const auto& f : boot)
    if (f.name == name) return &f;
  return nullptr;
}

std::string show(std::string_view guest_text) { return escape_control(guest_text); }

// root= against the volumes found: "" when it names one, else why not.
enum class RootMatch { found, missing, unknown };
RootMatch match_root(const std::string& root, const std::vector<disks::Volume>& volumes, std::string& device) {
  auto by = [&](auto field, std::string_view value) {
    for (const auto& v : volumes)
      if (!value.empty() && iequal(field(v), value)) return device = v.path, RootMatch::found;
    return RootMatch::missing;
  };
  std::string_view r = root;
  if (r.empty() || r.find('$') != std::string_view::npos) return RootMatch::unknown;
  if (starts_with(r, "UUID=")) return by([](const disks::Volume& v) { return v.uuid; }, r.substr(5));
  if (starts_with(r, "/dev/disk/by-uuid/")) return by([](const disks::Volume& v) { return v.uuid; }, r.substr(18));
  if (starts_with(r, "PARTUUID=")) return by([](const disks::Volume& v) { return v.partuuid; }, r.substr(9));
  if (starts_with(r, "/dev/disk/by-partuuid/")) return by([](const disks::Volume& v) { return v.partuuid; }, r.substr(22));
  if (starts_with(r, "LABEL=")) return by([](const disks::Volume& v) { return v.label; }, r.substr(6));
  if (starts_with(r, "/dev/")) {
    for (const auto& v : volumes) {
      if (v.path == r) return device = v.path, RootMatch::found;
      for (const auto& a : v.aliases)
        if (a == r) return device = v.path, RootMatch::found;
    }
    // /dev/sda2 in the guest may be /dev/vda2 here: a device name proves nothing.
    return starts_with(r, "/dev/mapper/") ? RootMatch::missing : RootMatch::unknown;
  }
  return RootMatch::unknown;
}

bool rhel_family(const BootFacts& f) {
  for (const auto& file : f.boot)
    if (starts_with(file.name, "initramfs-") || file.name == "loader" || file.name == "grub2") return true;
  return false;
}

}  // namespace

std::string root_from_options(std::string_view options) {
  std::string root;
  for (auto w : split_ws(options))
    if (starts_with(w, "root=")) root = std::string(w.substr(5));
  return root;
}

std::vector<BootEntry> parse_grub_cfg(std::string_view text, const std::string& source) {
  std::vector<BootEntry> entries;
  // What each open '{' belongs to: 'e' a menuentry, 's' a submenu, 'o' anything else.
  std::string open;
  for (auto line : split_lines(text)) {
    for (const auto& cmd : grub_commands(line)) {
      const std::string& verb = cmd[0];
      bool opens = cmd.back() == "{";
      if (verb == "}") {
        if (!open.empty()) open.pop_back();
        continue;
      }
      if (verb == "menuentry") {
        if (entries.size() >= kMaxEntries) return entries;
        BootEntry e;
        e.source = source;
        e.title = cmd.size() > 1 ? cmd[1] : "";
        entries.push_back(std::move(e));
        if (opens) open += 'e';
        continue;
      }
      if (verb == "submenu" || opens) {
        if (opens) open += verb == "submenu" ? 's' : 'o';
        continue;
      }
      if (open.find('e') == std::string::npos || entries.empty()) continue;
      BootEntry& e = entries.back();
      if (verb == "linux" || verb == "linuxefi" || verb == "linux16") {
        if (cmd.size() > 1) e.kernel = cmd[1];
        e.options = join_from(cmd, 2);
        e.root = root_from_options(e.options);
      } else if (verb == "initrd" || verb == "initrdefi" || verb == "initrd16") {
        e.initrds.assign(cmd.begin() + 1, cmd.end());
      } else if (verb == "search" || verb == "search.fs_uuid") {
        auto uuid = search_uuid(cmd);
        if (!uuid.empty() && std::find(e.search_uuids.begin(), e.search_uuids.end(), uuid) == e.search_uuids.end())
          e.search_uuids.push_back(uuid);
      }
    }
  }
  return entries;
}

BootEntry parse_bls_entry(std::string_view text, const std::string& source, std::string_view grubenv) {
  BootEntry e;
  e.source = source;
  for (auto line : split_lines(text)) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    auto sp = line.find_first_of(" \t");
    auto key = line.substr(0, sp);
    auto value = sp == std::string_view::npos ? std::string_view() : trim(line.substr(sp));
    if (key == "title") e.title = std::string(value);
    else if (key == "linux") e.kernel = std::string(value);
    else if (key == "initrd") for (auto w : split_ws(value)) e.initrds.emplace_back(w);
    else if (key == "options") e.options += (e.options.empty() ? "" : " ") + std::string(value);
  }
  if (e.options.find("$kernelopts") != std::string::npos) {
    for (auto line : split_lines(grubenv))
      if (starts_with(line, "kernelopts=")) {
        auto pos = e.options.find("$kernelopts");
        e.options.replace(pos, 11, std::string(line.substr(11)));
        break;
      }
  }
  e.root = root_from_options(e.options);
  return e;
}

std::vector<KernelImage> find_kernels(const std::vector<BootFile>& boot) {
  std::vector<KernelImage> out;
  for (const auto& f : boot) {
    if (f.link || f.dir || !starts_with(f.name, "vmlinuz-")) continue;
    KernelImage k;
    k.version = f.name.substr(8);
    k.kernel = f.name;
    k.kernel_size = f.size;
    for (const std::string& name : {"initrd.img-" + k.version, "initramfs-" + k.version + ".img"}) {
      const BootFile* i = find_file(boot, name);
      if (i && !i->dir) {
        k.initrd = name;
        k.initrd_size = i->size;
        break;
      }
    }
    out.push_back(std::move(k));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.version < b.version; });
  return out;
}

std::string describe_mbr(std::string_view s) {
  if (s.size() < 512) return "first sector unreadable";
  bool signed_ok = static_cast<unsigned char>(s[510]) == 0x55 && static_cast<unsigned char>(s[511]) == 0xAA;
  auto code = s.substr(0, 440);
  if (code.find_first_not_of('\0') == std::string_view::npos) return "no boot code in the MBR";
  std::string what;
  if (code.find("GRUB") != std::string_view::npos) what = "GRUB boot code in the MBR";
  else if (code.find("SYSLINUX") != std::string_view::npos || code.find("ISOLINUX") != std::string_view::npos) what = "SYSLINUX boot code in the MBR";
  else if (code.find("LILO") != std::string_view::npos) what = "LILO boot code in the MBR";
  else if (code.find("Missing operating system") != std::string_view::npos) what = "a DOS/Windows-style MBR (boots the active partition)";
  else what = "boot code of an unknown loader in the MBR";
  return signed_ok ? what : what + " (no 55AA signature)";
}

BootReport analyse_boot(const BootFacts& f) {
  BootReport r;
  const bool rhel = rhel_family(f);
  auto problem = [&](std::string what, std::string fix) {
    for (const auto& p : r.problems)
      if (p.what == what) return;
    r.problems.push_back({std::move(what), std::move(fix)});
  };

  // Kernels and their initramfs images.
  r.kernels = find_kernels(f.boot);
  if (!f.boot_listed) {
    problem("/boot could not be listed", "");
  } else if (r.kernels.empty()) {
    problem("no kernel (vmlinuz-*) in /boot", rhel ? "rescue chroot dnf reinstall kernel-core"
                                                  : "rescue chroot apt-get install --reinstall linux-image-amd64");
  }
  for (const auto& k : r.kernels) {
    if (k.kernel_size == 0)
      problem(show(k.kernel) + " is empty",
              rhel ? "rescue chroot dnf reinstall kernel-core-" + show(k.version)
                   : "rescue chroot apt-get install --reinstall linux-image-" + show(k.version));
    // Debian's `update-initramfs -u -k all` only remakes images that exist: a missing one
    // needs -c (create) with its version.
    const std::string dracut = "rescue chroot dracut -f --kver " + show(k.version);
    if (k.initrd.empty())
      problem((rhel ? "initramfs-" + show(k.version) + ".img" : "initrd.img-" + show(k.version)) + " is missing",
              rhel ? dracut : "rescue chroot update-initramfs -c -k " + show(k.version));
    else if (k.initrd_size == 0)
      problem(show(k.initrd) + " is empty", rhel ? dracut : "rescue chroot update-initramfs -u -k all");
  }
  for (const auto& file : f.boot)
    if (file.link && !file.target.empty()) {
      std::string_view t = file.target;
      if (t.find('/') == std::string_view::npos && !find_file(f.boot, t))
        problem("/boot/" + show(file.name) + " is a link to " + show(file.target) + ", which is not there", "");
    }

  // Boot entries.
  std::string root_uuid;
  for (const auto& v : f.volumes)
    if (v.path == f.root_device) root_uuid = v.uuid;
  const std::string regen = rhel ? "rescue chroot grub2-mkconfig -o /boot/grub2/grub.cfg (BLS entries: rescue chroot grubby --update-kernel=ALL --args root=UUID=" + show(root_uuid) + ")"
                                 : "rescue chroot update-grub";
  for (const auto& e : f.entries) {
    std::string line = show(e.source) + " '" + show(e.title) + "':";
    auto check_file = [&](const std::string& path, const char* what) {
      line += std::string(" ") + what + " " + show(path);
      auto name = boot_name(path);
      if (name.empty() || !f.boot_listed) return;
      const BootFile* file = find_file(f.boot, name);
      if (!file) {
        line += " (NOT IN /boot)";
        // A kernel's own initramfs, missing, is named above with its fix (make it again,
        // not regenerate grub.cfg without it).
        for (const auto& k : r.kernels)
          if (k.initrd.empty() && (name == "initrd.img-" + k.version || name == "initramfs-" + k.version + ".img")) return;
        problem(show(e.source) + ": " + what + " " + show(path) + " is not in /boot", regen);
      } else if (!file->link && file->size == 0) {
        line += " (EMPTY)";
      }
    };
    if (e.kernel.empty()) line += " no linux line";
    else check_file(e.kernel, "linux");
    for (const auto& i : e.initrds) check_file(i, "initrd");
    if (e.root.empty()) {
      line += ", no root=";
    } else {
      std::string dev;
      switch (match_root(e.root, f.volumes, dev)) {
        case RootMatch::found: line += ", root=" + show(e.root) + " (" + dev + ")"; break;
        case RootMatch::unknown: line += ", root=" + show(e.root); break;
        case RootMatch::missing:
          line += ", root=" + show(e.root) + " (NO SUCH FILESYSTEM)";
          problem(show(e.source) + ": root=" + show(e.root) + " matches no filesystem" +
                      (root_uuid.empty() ? "" : " (the guest root here is UUID=" + show(root_uuid) + ")"),
                  regen);
          break;
      }
    }
    for (const auto& u : e.search_uuids) {
      std::string dev;
      if (match_root("UUID=" + u, f.volumes, dev) == RootMatch::missing) {
        line += ", search --fs-uuid " + show(u) + " (NO SUCH FILESYSTEM)";
        problem(show(e.source) + ": search --fs-uuid " + show(u) + " matches no filesystem", regen);
      }
    }
    r.entry_lines.push_back(std::move(line));
  }
  if (f.entries.empty() && f.configs.empty())
    problem("no GRUB configuration (grub.cfg) or BLS entry found in /boot", rhel ? regen : "rescue chroot update-grub");

  // Boot code per disk.
  bool any_mbr_grub = false, any_esp = false;
  for (const auto& d : f.disks) {
    std::string line = d.disk + ": ";
    if (!d.read_error.empty()) line += "first sector unreadable (" + d.read_error + ")";
    else line += describe_mbr(d.mbr);
    if (d.mbr.size() >= 440 && std::string_view(d.mbr).substr(0, 440).find("GRUB") != std::string_view::npos) any_mbr_grub = true;
    for (const auto& v : f.volumes) {
      if (v.disk != d.disk || v.partno == 0) continue;
      if (iequal(v.parttype, kBiosBootPartType)) line += "; BIOS boot partition " + v.name;
      if (iequal(v.parttype, kEspPartType)) {
        any_esp = true;
        line += "; EFI system partition " + v.name;
      }
    }
    r.loader_lines.push_back(std::move(line));
  }
  if (f.esp_mounted) {
    std::string line = "/boot/efi: ";
    if (f.esp_files.empty()) line += "no .efi file under EFI/";
    for (std::size_t i = 0; i < f.esp_files.size(); ++i) line += (i ? ", " : "") + show(f.esp_files[i]);
    r.loader_lines.push_back(std::move(line));
  }
  bool bios_grub = false;
  for (const auto& c : f.configs)
    if (c.find("/grub/grub.cfg") != std::string::npos || c.find("/grub2/grub.cfg") != std::string::npos) bios_grub = true;
  if (bios_grub && !any_mbr_grub && !f.disks.empty() && !(f.esp_mounted && !f.esp_files.empty())) {
    std::string disk = f.disks.front().disk;
    problem("no disk has GRUB in its MBR" + std::string(any_esp ? " and the ESP holds no boot files" : ""),
            "rescue chroot grub-install /dev/" + disk);
  }
  return r;
}

std::string render_boot_report(const BootFacts& f, const BootReport& r) {
  std::string out = "guest root " + (f.root_device.empty() ? std::string("?") : f.root_device);
  out += f.boot_device.empty() ? ", /boot on it\n" : ", /boot on " + f.boot_device + "\n";
  out += "kernels in /boot:\n";
  if (r.kernels.empty()) out += "  none\n";
  for (const auto& k : r.kernels) {
    out += "  " + show(k.version) + ": " + show(k.kernel) + " " + disks::human_size(k.kernel_size);
    if (k.initrd.empty()) out += ", initramfs MISSING\n";
    else out += ", " + show(k.initrd) + " " + (k.initrd_size ? disks::human_size(k.initrd_size) : "EMPTY") + "\n";
  }
  out += "boot entries:\n";
  if (r.entry_lines.empty()) out += "  none\n";
  for (const auto& l : r.entry_lines) out += "  " + l + "\n";
  out += "disks:\n";
  if (r.loader_lines.empty()) out += "  none\n";
  for (const auto& l : r.loader_lines) out += "  " + l + "\n";
  if (r.problems.empty()) return out + "no problem found\n";
  out += strformat("problems (%zu):\n", r.problems.size());
  for (const auto& p : r.problems) {
    out += "  - " + p.what + "\n";
    if (!p.fix.empty()) out += "      fix: " + p.fix + "\n";
  }
  return out;
}

}  // namespace lifeboat::guest
