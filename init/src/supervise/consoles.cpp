#include "supervise/consoles.h"

#include "common/text.h"
#include "supervise/supervisor.h"

namespace lifeboat {

std::vector<ConsoleInfo> parse_proc_consoles(const std::string& text) {
  std::vector<ConsoleInfo> out;
  for (auto line : split_lines(text)) {
    line = trim(line);
    if (line.empty()) continue;
    ConsoleInfo c;
    auto sp = line.find_first_of(" \t");
    c.name = std::string(line.substr(0, sp));
    if (sp == std::string_view::npos) {
      out.push_back(std::move(c));
      continue;
    }
    std::string_view rest = trim(line.substr(sp));
    auto open = rest.find('(');
    auto close = rest.find(')', open == std::string_view::npos ? 0 : open);
    if (open != std::string_view::npos && close != std::string_view::npos) {
      c.flags = std::string(trim(rest.substr(0, open)));
      c.status = std::string(trim(rest.substr(open + 1, close - open - 1)));
      rest = trim(rest.substr(close + 1));
    } else {
      auto f = split_ws(rest);
      if (!f.empty()) c.flags = std::string(f[0]);
      rest = f.size() > 1 ? f.back() : std::string_view();
    }
    auto colon = rest.find(':');
    long long maj, min;
    if (colon != std::string_view::npos && parse_int(rest.substr(0, colon), maj) &&
        parse_int(rest.substr(colon + 1), min)) {
      c.major = static_cast<int>(maj);
      c.minor = static_cast<int>(min);
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::string term_for(const std::string& name) {
  if (name == "console") return "linux";
  if (name.size() > 3 && name.compare(0, 3, "tty") == 0 && name[3] >= '0' && name[3] <= '9')
    return "linux";
  return "vt100";  // ttyS*, ttyAMA*, hvc*, ttyUSB*, xvc*, ...
}

std::vector<ConsoleDevice> console_devices(const std::vector<ConsoleInfo>& consoles) {
  std::vector<ConsoleDevice> out;
  for (const auto& c : consoles) {
    if (c.name.empty() || c.major < 0) continue;  // netconsole and friends: no tty
    std::string name = c.name == "tty0" ? "tty1" : c.name;
    ConsoleDevice d{"/dev/" + name, term_for(name)};
    bool dup = false;
    for (const auto& o : out) dup = dup || o.path == d.path;
    if (!dup) out.push_back(std::move(d));
  }
  if (out.empty()) out.push_back(ConsoleDevice{"/dev/console", "linux"});
  return out;
}

ConsoleCommand console_command(const ConsoleDevice& dev, ConsoleMode mode) {
  ConsoleCommand c;
  std::string tty(path_basename(dev.path));
  c.spawn.env = sys::base_environment(dev.term);
  c.spawn.cwd = "/root";
  c.spawn.new_session = true;
  c.spawn.tty = dev.path;
  if (mode == ConsoleMode::login) {
    c.name = "getty@" + tty;
    // getty makes the tty its controlling terminal itself (it may be a session leader).
    c.spawn.argv = {"/sbin/getty", "-L", "0", tty, dev.term};
    c.spawn.controlling_tty = false;
  } else {
    c.name = "shell@" + tty;
    // The hypervisor console is privileged: a root login shell, no password.
    c.spawn.argv = {"/bin/sh", "-l"};
    c.spawn.controlling_tty = true;
  }
  return c;
}

std::string register_console_services(sys::Sys& sys, Supervisor& sup, ConsoleMode mode) {
  std::vector<ConsoleInfo> infos;
  if (auto text = sys.read_file("/proc/consoles"); text.ok()) infos = parse_proc_consoles(text.value);
  std::vector<ConsoleDevice> devices;
  for (auto& d : console_devices(infos)) {
    if (sys.exists(d.path)) devices.push_back(std::move(d));
  }
  if (devices.empty()) devices.push_back(ConsoleDevice{"/dev/console", "linux"});
  std::string names;
  for (const auto& d : devices) {
    auto cmd = console_command(d, mode);
    if (!names.empty()) names += ", ";
    names += cmd.name;
    sup.add_service(ServiceSpec{cmd.name, std::move(cmd.spawn), {}});
  }
  return names;
}

}  // namespace lifeboat
