// Scan <-> JSON: how a probe child (`init __probe DISK`, disks/worker.h) hands its
// findings to the disks worker.
#include <nlohmann/json.hpp>

#include "disks/probe.h"

namespace lifeboat::disks {

using nlohmann::json;

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ExtState, read, error, primary_damaged, backup_block, block_size, kind,
                                                valid_fs, errors, needs_recovery, has_journal, orphans, mount_count,
                                                max_mount_count, last_check, error_count, uuid, label)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Disk, name, path, major, minor, size_bytes, read_only, removable, model,
                                                table, table_uuid, probe_problem, partitions)

namespace {

json volume_json(const Volume& v) {
  json j{{"name", v.name},   {"path", v.path},          {"disk", v.disk},         {"partno", v.partno},
         {"major", v.major}, {"minor", v.minor},        {"size_bytes", v.size_bytes}, {"start_sector", v.start_sector},
         {"partlabel", v.partlabel}, {"partuuid", v.partuuid}, {"parttype", v.parttype}, {"type", v.type},
         {"uuid", v.uuid},   {"label", v.label},        {"usage", v.usage},       {"version", v.version},
         {"probe_problem", v.probe_problem}, {"aliases", v.aliases}, {"slaves", v.slaves}, {"stack", v.stack}};
  if (v.ext) j["ext"] = *v.ext;
  return j;
}

Volume volume_from(const json& j) {
  Volume v;
  auto get = [&](const char* k, auto& out) {
    if (auto it = j.find(k); it != j.end() && !it->is_null()) it->get_to(out);
  };
  get("name", v.name);
  get("path", v.path);
  get("disk", v.disk);
  get("partno", v.partno);
  get("major", v.major);
  get("minor", v.minor);
  get("size_bytes", v.size_bytes);
  get("start_sector", v.start_sector);
  get("partlabel", v.partlabel);
  get("partuuid", v.partuuid);
  get("parttype", v.parttype);
  get("type", v.type);
  get("uuid", v.uuid);
  get("label", v.label);
  get("usage", v.usage);
  get("version", v.version);
  get("probe_problem", v.probe_problem);
  get("aliases", v.aliases);
  get("slaves", v.slaves);
  get("stack", v.stack);
  if (auto it = j.find("ext"); it != j.end() && it->is_object()) v.ext = it->get<ExtState>();
  return v;
}

}  // namespace

std::string scan_to_json(const Scan& scan) {
  json vols = json::array();
  for (const auto& v : scan.volumes) vols.push_back(volume_json(v));
  json doc{{"disks", scan.disks}, {"volumes", vols}, {"problems", scan.problems}, {"metadata_drives", scan.metadata_drives}};
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool scan_from_json(const std::string& text, Scan& out, std::string& error) {
  try {
    json doc = json::parse(text);
    if (!doc.is_object()) throw std::runtime_error("not a JSON object");
    Scan s;
    if (auto it = doc.find("disks"); it != doc.end()) s.disks = it->get<std::vector<Disk>>();
    if (auto it = doc.find("volumes"); it != doc.end() && it->is_array())
      for (const auto& v : *it) s.volumes.push_back(volume_from(v));
    if (auto it = doc.find("problems"); it != doc.end()) s.problems = it->get<std::vector<std::string>>();
    if (auto it = doc.find("metadata_drives"); it != doc.end()) s.metadata_drives = it->get<std::size_t>();
    out = std::move(s);
    return true;
  } catch (const std::exception& e) {
    error = e.what();
    return false;
  }
}

}  // namespace lifeboat::disks
