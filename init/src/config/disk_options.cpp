#include "config/disk_options.h"

#include "common/text.h"

namespace lifeboat::disks {

namespace {

constexpr std::string_view kOverridePrefix = "lifeboat.fsck.";

Error cmdline_error(const std::string& key, std::string message, Severity sev = Severity::error) {
  return Error{"cmdline", key, std::move(message), sev};
}

}  // namespace

bool is_disks_cmdline_key(std::string_view key) noexcept {
  if (key == "lifeboat.fsck_timeout" || key == "lifeboat.probe_timeout" || key == "lifeboat.xfs_zero_log" ||
      key == "lifeboat.btrfs_repair")
    return true;
  return key.size() > kOverridePrefix.size() && key.substr(0, kOverridePrefix.size()) == kOverridePrefix;
}

bool parse_fsck_mode(std::string_view text, FsckMode& out) noexcept {
  if (text == "check") out = FsckMode::check;
  else if (text == "repair") out = FsckMode::repair;
  else if (text == "off") out = FsckMode::off;
  else return false;
  return true;
}

DisksOptionsResult parse_disks_options(const Cmdline& cmdline, FsckMode global) {
  DisksOptionsResult r;
  DisksOptions& o = r.options;
  o.mode = global;
  for (const CmdlineParam& p : cmdline.params) {
    if (!is_disks_cmdline_key(p.key)) continue;
    if (p.key == "lifeboat.fsck_timeout" || p.key == "lifeboat.probe_timeout") {
      std::int64_t& target = p.key == "lifeboat.fsck_timeout" ? o.timeout_s : o.probe_timeout_s;
      long long v = 0;
      if (!p.has_value || !parse_int(p.value, v) || v < 1 || v > 86400) {
        r.errors.push_back(cmdline_error(p.key, "expected seconds (1-86400), got " +
                                                    (p.has_value ? quoted(p.value) : std::string("no value")) +
                                                    "; keeping " + std::to_string(target)));
        continue;
      }
      target = v;
    } else if (p.key == "lifeboat.xfs_zero_log" || p.key == "lifeboat.btrfs_repair") {
      bool& flag = p.key == "lifeboat.xfs_zero_log" ? o.xfs_zero_log : o.btrfs_repair;
      const std::string& v = p.value;
      if (!p.has_value || v.empty() || v == "1" || v == "yes" || v == "true" || v == "on") flag = true;
      else if (v == "0" || v == "no" || v == "false" || v == "off") flag = false;
      else r.errors.push_back(cmdline_error(p.key, "expected no value or 1|0|yes|no|true|false|on|off, got " + quoted(v)));
    } else {
      Override ov;
      ov.target = p.key.substr(kOverridePrefix.size());
      if (!p.has_value || !parse_fsck_mode(p.value, ov.mode)) {
        r.errors.push_back(cmdline_error(p.key, "expected check|repair|off, got " +
                                                    (p.has_value ? quoted(p.value) : std::string("no value"))));
        continue;
      }
      o.overrides.push_back(std::move(ov));
    }
  }
  return r;
}

ModeChoice resolve_mode(const DisksOptions& options, const VolumeIds& ids) {
  // Rank: 3 kernel name, 2 UUID, 1 LABEL; the last override of the best rank wins.
  int best = 0;
  ModeChoice choice{options.mode, "lifeboat.fsck"};
  for (const Override& ov : options.overrides) {
    int rank = 0;
    if (!ids.name.empty() && ov.target == ids.name) rank = 3;
    else if (!ids.uuid.empty() && iequal(ov.target, ids.uuid)) rank = 2;
    else if (!ids.label.empty() && ov.target == ids.label) rank = 1;
    if (rank == 0 || rank < best) continue;
    best = rank;
    choice = ModeChoice{ov.mode, std::string(kOverridePrefix) + ov.target};
  }
  return choice;
}

Errors unmatched_overrides(const DisksOptions& options, const std::vector<VolumeIds>& all) {
  Errors out;
  for (const Override& ov : options.overrides) {
    bool hit = false;
    for (const VolumeIds& ids : all) {
      if (ov.target == ids.name || (!ids.uuid.empty() && iequal(ov.target, ids.uuid)) ||
          (!ids.label.empty() && ov.target == ids.label)) {
        hit = true;
        break;
      }
    }
    if (!hit)
      out.push_back(cmdline_error(std::string(kOverridePrefix) + ov.target,
                                  "matches no device name, UUID or LABEL (ignored)", Severity::warning));
  }
  return out;
}

}  // namespace lifeboat::disks
