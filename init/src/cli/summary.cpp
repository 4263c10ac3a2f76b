#include "cli/summary.h"

#include <nlohmann/json.hpp>

#include "common/text.h"

namespace lifeboat {

namespace {

using nlohmann::json;

std::string str(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

const json* obj(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return nullptr;
  return &*it;
}

const json* arr(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return nullptr;
  return &*it;
}

// Strips control characters: the summary goes to a console.
std::string clean(const std::string& s) { return escape_control(s); }

std::string join_strings(const json* a, const char* sep) {
  std::string out;
  if (!a) return out;
  for (const auto& v : *a) {
    if (!v.is_string()) continue;
    if (!out.empty()) out += sep;
    out += clean(v.get<std::string>());
  }
  return out;
}

}  // namespace

// "checks running (1 of 3 done)", "detecting", "done", "failed: ..."
std::string disk_work_phrase(const json& w) {
  const std::string state = str(w, "state");
  auto num = [&](const char* k) -> long long {
    auto it = w.find(k);
    return it != w.end() && it->is_number_integer() ? it->get<long long>() : 0;
  };
  if (state == "checking") return strformat("checks running (%lld of %lld done)", num("volumes_done"), num("volumes_total"));
  if (state == "starting" || state == "detecting") return "detecting disks (checks follow)";
  if (state == "failed") return "disk work failed: " + clean(str(w, "summary"));
  return "checks done";
}

std::string render_summary(const std::string& status_json) {
  json doc = json::parse(status_json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) doc = json::object();
  return render_summary(doc);
}

std::string render_summary(const json& doc) {
  std::string out = "lifeboat rescue system";
  if (auto v = str(doc, "version"); !v.empty()) out += " " + clean(v);
  out += "\n";

  if (auto* net = obj(doc, "network")) {
    std::string lines;
    if (auto* ifs = arr(*net, "interfaces"))
      for (const auto& i : *ifs) {
        std::string addrs = join_strings(arr(i, "addresses"), ", ");
        lines += "  " + clean(str(i, "name")) + ": " + (addrs.empty() ? "no address" : addrs);
        if (auto m = str(i, "method"); !m.empty()) lines += " (" + clean(m) + ")";
        lines += "\n";
      }
    if (auto gw = str(*net, "gateway"); !gw.empty()) lines += "  gateway " + clean(gw) + "\n";
    out += "network:\n" + (lines.empty() ? std::string("  no interfaces\n") : lines);
  }

  if (auto* ssh = obj(doc, "ssh")) {
    out += "ssh:";
    if (auto it = ssh->find("port"); it != ssh->end() && it->is_number_integer())
      out += strformat(" port %lld", static_cast<long long>(it->get<long long>()));
    if (auto it = ssh->find("authorized_keys"); it != ssh->end() && it->is_number_integer())
      out += strformat(", %lld authorized key(s)", static_cast<long long>(it->get<long long>()));
    if (auto* pw = obj(*ssh, "password")) {
      auto it = pw->find("set");
      if (it != pw->end() && it->is_boolean()) out += it->get<bool>() ? ", root password set" : ", no root password";
    }
    out += "\n";
    if (auto* keys = arr(*ssh, "host_keys"))
      for (const auto& k : *keys)
        out += "  " + clean(str(k, "type")) + " " + clean(str(k, "fingerprint")) + "\n";
  }

  if (auto* d = obj(doc, "disks")) {
    std::string lines;
    if (auto* vols = arr(*d, "volumes"))
      for (const auto& v : *vols) {
        std::string line = "  " + clean(str(v, "name"));
        if (auto t = str(v, "type"); !t.empty()) line += " " + clean(t);
        if (auto l = str(v, "label"); !l.empty()) line += " \"" + clean(l) + "\"";
        if (auto* stack = obj(v, "stack"); stack && !str(*stack, "what").empty())
          line += " [" + clean(str(*stack, "what")) + "]";
        if (auto* fsck = obj(v, "fsck")) {
          std::string state = str(*fsck, "state");
          if (!state.empty()) line += ": fsck " + clean(state);
          auto ec = fsck->find("exit_code");
          if (ec != fsck->end() && ec->is_number_integer())
            line += strformat(" (exit %lld)", static_cast<long long>(ec->get<long long>()));
          if (auto* hint = obj(v, "hint"); hint && state == "skipped" && str(v, "type") == "crypto_LUKS")
            line += "; " + clean(str(*hint, "command"));
        } else if (auto* ext = obj(v, "ext")) {
          if (auto s = str(*ext, "state"); !s.empty()) line += ": " + clean(s);
        }
        lines += line + "\n";
      }
    std::string head = "disks:";
    if (auto* w = obj(doc, "disk_work")) head += " " + disk_work_phrase(*w);
    out += head + "\n" + (lines.empty() ? std::string("  none found\n") : lines);
    if (auto* guests = arr(*d, "guests"))
      for (const auto& g : *guests) {
        std::string name = str(g, "pretty_name");
        if (name.empty()) name = str(g, "id");
        std::string sub = str(g, "subvol");
        out += "guest: " + clean(name.empty() ? std::string("unknown OS") : name) + " on " +
               clean(str(g, "volume")) + (sub.empty() ? "" : " (subvolume " + clean(sub) + ")") + "\n";
      }
  }

  if (!obj(doc, "disks")) {
    if (auto* w = obj(doc, "disk_work")) out += "disks: " + disk_work_phrase(*w) + "\n";
  }

  if (auto* errs = arr(doc, "errors"); errs && !errs->empty())
    out += strformat("problems: %zu (rescue status)\n", errs->size());

  out +=
      "commands:\n"
      "  rescue mount --guest [--rw]   mount the guest at /mnt/guest (read-only by default)\n"
      "  rescue chroot                 a shell inside the guest\n"
      "  rescue passwd [USER]          set a guest password\n"
      "  rescue authorize-key KEY      let a key log in to the guest\n"
      "  rescue firewall-off           disable the guest's firewall at next boot\n"
      "  rescue du                     what fills the guest's disk\n"
      "  rescue boot-info              why the guest does not boot, and the fix\n"
      "  rescue umount; rescue reboot  unmount cleanly and boot the guest\n";
  return out;
}

}  // namespace lifeboat
