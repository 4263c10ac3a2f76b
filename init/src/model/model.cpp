#include "model/model.h"

#include "common/text.h"

namespace lifeboat::meta {

const char* to_string(Source s) noexcept {
  switch (s) {
    case Source::cmdline: return "cmdline";
    case Source::config_drive: return "config-2";
    case Source::nocloud: return "nocloud";
    case Source::imds: return "imds";
  }
  return "unknown";
}

std::optional<Source> source_from_name(std::string_view name) noexcept {
  if (name == "cmdline") return Source::cmdline;
  if (name == "config-2" || name == "configdrive" || name == "config_drive") return Source::config_drive;
  if (name == "nocloud") return Source::nocloud;
  if (name == "imds" || name == "ec2") return Source::imds;
  return std::nullopt;
}

const char* to_string(Family f) noexcept { return f == Family::v6 ? "ipv6" : "ipv4"; }

bool NocloudSeed::is_remote() const noexcept {
  if (mode == "nocloud-net") return true;
  std::string_view u = url;
  return u.rfind("http://", 0) == 0 || u.rfind("https://", 0) == 0 || u.rfind("ftp://", 0) == 0;
}

std::optional<std::string> usable_hostname(std::string_view name) {
  std::string full(name);
  if (valid_hostname(full)) return full;
  std::string first(name.substr(0, name.find('.')));
  if (valid_hostname(first)) return first;
  return std::nullopt;
}

std::vector<Source> default_datasources() {
  return {Source::cmdline, Source::config_drive, Source::nocloud, Source::imds};
}

}  // namespace lifeboat::meta
