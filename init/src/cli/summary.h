#pragma once
// The short console summary shown after boot (and by `rescue status`): network, SSH host
// key fingerprints, disks with fsck results, the guest OS, the most useful commands.
// Pure: status.json (its text, or the document itself) in, text out. Lenient: missing or
// odd sections are left out.
#include <nlohmann/json_fwd.hpp>
#include <string>

namespace lifeboat {

std::string render_summary(const std::string& status_json);
// The same from the document itself (PID 1 has it at hand: no second parse).
std::string render_summary(const nlohmann::json& status_doc);

}  // namespace lifeboat
