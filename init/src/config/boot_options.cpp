#include "config/boot_options.h"

#include "common/text.h"
#include "config/disk_options.h"

namespace lifeboat {

const char* to_string(ConsoleMode m) noexcept { return m == ConsoleMode::login ? "login" : "shell"; }

const char* to_string(FsckMode m) noexcept {
  switch (m) {
    case FsckMode::repair: return "repair";
    case FsckMode::off: return "off";
    default: return "check";
  }
}

bool is_metadata_cmdline_key(std::string_view key) noexcept {
  return key == "lifeboat.password" || key == "lifeboat.password_hash" || key == "lifeboat.ssh_key" ||
         key == "lifeboat.datasource" || key == "lifeboat.ssh_port";
}

namespace {

constexpr const char* kPrefix = "lifeboat.";

Error cmdline_error(const std::string& key, std::string message,
                    Severity sev = Severity::error) {
  return Error{"cmdline", key, std::move(message), sev};
}

// Parses a flag: bare word, or =1/yes/true/on, =0/no/false/off.
bool parse_flag(const CmdlineParam& p, bool& out, Errors& errors) {
  if (!p.has_value) {
    out = true;
    return true;
  }
  const std::string& v = p.value;
  if (v == "1" || v == "yes" || v == "true" || v == "on" || v.empty()) {
    out = true;
    return true;
  }
  if (v == "0" || v == "no" || v == "false" || v == "off") {
    out = false;
    return true;
  }
  errors.push_back(cmdline_error(p.key, "expected no value or one of 1|0|yes|no|true|false|on|off, got " + quoted(v)));
  return false;
}

bool require_value(const CmdlineParam& p, const char* expected, Errors& errors) {
  if (p.has_value) return true;
  errors.push_back(cmdline_error(p.key, std::string("expected ") + expected + ", got no value"));
  return false;
}

}  // namespace

BootOptionsResult parse_boot_options(const Cmdline& cmdline) {
  BootOptionsResult r;
  r.errors = cmdline.errors;
  BootOptions& o = r.options;

  for (const CmdlineParam& p : cmdline.params) {
    if (p.key == "loglevel" || p.key == "debug") {
      o.kernel_verbose = true;
      continue;
    }
    if (p.key.rfind(kPrefix, 0) != 0) continue;  // not ours: ignored silently

    if (p.key == "lifeboat.console") {
      if (!require_value(p, "shell|login", r.errors)) continue;
      if (p.value == "shell") o.console = ConsoleMode::shell;
      else if (p.value == "login") o.console = ConsoleMode::login;
      else r.errors.push_back(cmdline_error(p.key, "expected shell|login, got " + quoted(p.value)));
    } else if (p.key == "lifeboat.fsck") {
      if (!require_value(p, "check|repair|off", r.errors)) continue;
      if (p.value == "check") o.fsck = FsckMode::check;
      else if (p.value == "repair") o.fsck = FsckMode::repair;
      else if (p.value == "off") o.fsck = FsckMode::off;
      else r.errors.push_back(cmdline_error(p.key, "expected check|repair|off, got " + quoted(p.value)));
    } else if (p.key == "lifeboat.hostname") {
      if (!require_value(p, "a hostname", r.errors)) continue;
      if (valid_hostname(p.value)) {
        o.hostname = p.value;
        o.hostname_from_cmdline = true;
      } else {
        r.errors.push_back(cmdline_error(
            p.key, "expected 1-64 letters, digits, '-' or '.', got " + quoted(p.value)));
      }
    } else if (p.key == "lifeboat.debug") {
      parse_flag(p, o.debug, r.errors);
    } else if (disks::is_disks_cmdline_key(p.key)) {
      continue;  // lifeboat.fsck.<dev>, fsck_timeout, xfs_zero_log: config/disk_options reads them
    } else if (is_metadata_cmdline_key(p.key)) {
      continue;  // password, ssh_key, datasource, ...: metadata/cmdline_source reads and checks them
    } else {
      r.errors.push_back(cmdline_error(p.key, "unknown key (ignored)", Severity::warning));
    }
  }
  return r;
}

}  // namespace lifeboat
