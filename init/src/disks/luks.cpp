#include "disks/luks.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/text.h"

namespace lifeboat::disks {

std::optional<std::vector<KeySlot>> parse_luks2_keyslots(std::string_view json_text) {
  auto doc = nlohmann::json::parse(json_text.begin(), json_text.end(), nullptr, false);
  if (!doc.is_object()) return std::nullopt;
  auto ks = doc.find("keyslots");
  if (ks == doc.end() || !ks->is_object()) return std::nullopt;
  std::vector<KeySlot> out;
  for (auto it = ks->begin(); it != ks->end(); ++it) {
    long long id = -1;
    if (!parse_int(it.key(), id) || id < 0 || id > 1000 || !it->is_object()) continue;
    KeySlot k;
    k.id = static_cast<int>(id);
    if (auto kdf = it->find("kdf"); kdf != it->end() && kdf->is_object()) {
      if (auto t = kdf->find("type"); t != kdf->end() && t->is_string()) k.kdf = t->get<std::string>();
      if (auto m = kdf->find("memory"); m != kdf->end() && m->is_number_unsigned()) k.memory_kib = m->get<std::uint64_t>();
    }
    out.push_back(std::move(k));
  }
  std::sort(out.begin(), out.end(), [](const KeySlot& a, const KeySlot& b) { return a.id < b.id; });
  return out;
}

std::optional<std::uint64_t> mem_available_kib(std::string_view meminfo) {
  for (auto line : split_lines(meminfo)) {
    if (!line.starts_with("MemAvailable:")) continue;
    auto f = split_ws(line);
    long long v = 0;
    if (f.size() >= 2 && parse_int(f[1], v) && v >= 0) return static_cast<std::uint64_t>(v);
  }
  return std::nullopt;
}

SlotPlan plan_key_slots(const std::vector<KeySlot>& slots, std::uint64_t available_kib) {
  SlotPlan p;
  std::uint64_t smallest = 0;
  bool any_big = false;
  for (const auto& k : slots) {
    if (k.memory_kib + kUnlockHeadroomKib <= available_kib) p.try_slots.push_back(k.id);
    else any_big = true;
    if (smallest == 0 || k.memory_kib < smallest) smallest = k.memory_kib;
  }
  if (!any_big) {
    p.try_slots.clear();
    p.all = true;  // every slot fits: cryptsetup picks
    return p;
  }
  if (p.try_slots.empty())
    p.refusal = strformat("the key slots need %llu MiB of memory (argon2), this VM has %llu MiB available: "
                          "give the VM at least %llu MiB more RAM, or add a cheaper key slot on a bigger machine "
                          "(cryptsetup luksAddKey --pbkdf-memory ...)",
                          static_cast<unsigned long long>((smallest + 1023) / 1024),
                          static_cast<unsigned long long>(available_kib / 1024),
                          static_cast<unsigned long long>((smallest + kUnlockHeadroomKib - available_kib + 1023) / 1024));
  return p;
}

std::string luks_mapper_name(std::string_view uuid, std::string_view volume_name) {
  std::string id(uuid.empty() ? volume_name : uuid);
  std::string out = "luks-";
  for (char c : id) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  return out;
}

std::vector<std::string> cryptsetup_open_argv(const std::string& cryptsetup, const std::string& device,
                                              const std::string& name, bool rw, int key_slot) {
  std::vector<std::string> a{cryptsetup, "open", "--type", "luks", "--key-file=-"};
  if (!rw) {
    a.push_back("--readonly");
    a.push_back("--disable-locks");  // LUKS2 takes a lock file under /run and may auto-repair the header otherwise
  }
  if (key_slot >= 0) a.push_back("--key-slot=" + std::to_string(key_slot));
  a.push_back(device);
  a.push_back(name);
  return a;
}

}  // namespace lifeboat::disks
