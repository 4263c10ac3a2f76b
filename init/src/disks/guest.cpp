#include "disks/guest.h"

#include "common/text.h"

namespace lifeboat::disks {

namespace {

bool starts_with(std::string_view s, std::string_view p) noexcept {
  return s.size() >= p.size() && s.substr(0, p.size()) == p;
}

// udev's /dev/disk/by-label encoding: \x2f for '/', \x20 for ' ', ...
std::string unescape_udev(std::string_view s) {
  std::string out;
  auto hexval = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] == 'x' && hexval(s[i + 2]) >= 0 &&
        hexval(s[i + 3]) >= 0) {
      out += static_cast<char>(hexval(s[i + 2]) * 16 + hexval(s[i + 3]));
      i += 3;
      continue;
    }
    out += s[i];
  }
  return out;
}

std::string unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'') return std::string(v.substr(1, v.size() - 2));
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
    std::string out;
    std::string_view in = v.substr(1, v.size() - 2);
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (in[i] == '\\' && i + 1 < in.size()) {
        out += in[++i];
        continue;
      }
      out += in[i];
    }
    return out;
  }
  return std::string(v);
}

}  // namespace

FstabParse parse_fstab(std::string_view text) {
  FstabParse r;
  int n = 0;
  for (std::string_view raw : split_lines(text)) {
    ++n;
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    auto fields = split_ws(line);
    if (fields.size() < 3) {
      r.errors.push_back(Error{"fstab", strformat("line %d", n), "fewer than 3 fields (ignored)", Severity::warning});
      continue;
    }
    FstabEntry e;
    e.line = n;
    e.spec = unescape_octal(fields[0]);
    e.mountpoint = unescape_octal(fields[1]);
    e.type = unescape_octal(fields[2]);
    if (fields.size() > 3) e.options = unescape_octal(fields[3]);
    long long v = 0;
    if (fields.size() > 4 && parse_int(fields[4], v)) e.freq = static_cast<int>(v);
    if (fields.size() > 5 && parse_int(fields[5], v)) e.passno = static_cast<int>(v);
    r.entries.push_back(std::move(e));
  }
  return r;
}

std::map<std::string, std::string> parse_os_release(std::string_view text) {
  std::map<std::string, std::string> out;
  for (std::string_view raw : split_lines(text)) {
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    auto eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    out[std::string(trim(line.substr(0, eq)))] = unquote(trim(line.substr(eq + 1)));
  }
  return out;
}

std::string pretty_name(const std::map<std::string, std::string>& os) {
  if (auto it = os.find("PRETTY_NAME"); it != os.end() && !it->second.empty()) return it->second;
  std::string s;
  if (auto it = os.find("NAME"); it != os.end()) s = it->second;
  if (auto it = os.find("VERSION"); it != os.end() && !it->second.empty()) s += (s.empty() ? "" : " ") + it->second;
  return s;
}

SpecMatch resolve_spec(std::string_view spec, const std::vector<Volume>& volumes) {
  SpecMatch m;
  enum class By { uuid, label, partuuid, partlabel, path } by = By::path;
  std::string key;
  struct Prefix {
    std::string_view text;
    By by;
    bool udev;
  };
  static const Prefix prefixes[] = {
      {"UUID=", By::uuid, false},           {"LABEL=", By::label, false},
      {"PARTUUID=", By::partuuid, false},   {"PARTLABEL=", By::partlabel, false},
      {"/dev/disk/by-uuid/", By::uuid, true}, {"/dev/disk/by-label/", By::label, true},
      {"/dev/disk/by-partuuid/", By::partuuid, true}, {"/dev/disk/by-partlabel/", By::partlabel, true},
  };
  bool matched_prefix = false;
  for (const auto& p : prefixes) {
    if (starts_with(spec, p.text)) {
      by = p.by;
      key = p.udev ? unescape_udev(spec.substr(p.text.size())) : unquote(spec.substr(p.text.size()));
      matched_prefix = true;
      break;
    }
  }
  if (!matched_prefix) {
    if (!starts_with(spec, "/dev/")) {
      m.note = "not a block device";
      return m;
    }
    for (const auto& v : volumes)  // an assembled stack: /dev/mapper/..., /dev/VG/LV, /dev/md127
      for (const auto& a : v.aliases)
        if (a == spec) {
          m.volume = v.name;
          return m;
        }
    if (starts_with(spec, "/dev/mapper/") || starts_with(spec, "/dev/dm-")) {
      m.note = "device-mapper volume not active (LVM: vgchange -ay; LUKS: rescue unlock)";
      return m;
    }
    if (starts_with(spec, "/dev/md")) {
      m.note = "RAID array: assemble it first (mdadm --assemble --scan)";
      return m;
    }
    std::string_view name = spec.substr(5);
    if (name.find('/') != std::string_view::npos) {
      m.note = "LVM logical volume or other stacked device: activate it first (vgchange -ay)";
      return m;
    }
    for (const auto& v : volumes) {
      if (v.name == name) {
        m.volume = v.name;
        m.note = "kernel name: may name another device under the rescue system";
        return m;
      }
    }
    m.note = "no such device here";
    return m;
  }
  for (const auto& v : volumes) {
    bool hit = false;
    switch (by) {
      case By::uuid: hit = !v.uuid.empty() && iequal(v.uuid, key); break;
      case By::label: hit = !v.label.empty() && v.label == key; break;
      case By::partuuid: hit = !v.partuuid.empty() && iequal(v.partuuid, key); break;
      case By::partlabel: hit = !v.partlabel.empty() && v.partlabel == key; break;
      default: break;
    }
    if (hit) {
      m.volume = v.name;
      return m;
    }
  }
  switch (by) {
    case By::uuid: m.note = "no filesystem with this UUID here"; break;
    case By::label: m.note = "no filesystem with this LABEL here"; break;
    case By::partuuid: m.note = "no partition with this PARTUUID here"; break;
    default: m.note = "no partition with this PARTLABEL here"; break;
  }
  return m;
}

std::string probe_dir(std::string_view base, std::string_view volume_name) {
  std::string name(volume_name);
  for (char& c : name)
    if (c == '/') c = '!';
  return std::string(base) + "/" + name;
}

bool safe_subvol_name(std::string_view name) noexcept {
  if (name.empty() || name == "." || name == ".." || name.size() > 255) return false;
  for (unsigned char c : name)
    if (c == ',' || c == '=' || c == '/' || c < 0x20 || c == 0x7f) return false;
  return true;
}

}  // namespace lifeboat::disks
