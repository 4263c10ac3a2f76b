#pragma once
// LUKS (issue 12), the pure parts of `rescue unlock`: which key slots this VM can afford
// to try, and the cryptsetup command lines.
//
// An argon2 key slot needs its memory cost in RAM while the passphrase is tried; a slot made
// on a big machine (cryptsetup benchmarks: often 1 GiB) gets a small rescue VM OOM-killed.
// So the slots are read first (`cryptsetup luksDump --dump-json-metadata`, LUKS2), compared
// with MemAvailable, and only the slots that fit are tried, one by one (--key-slot N); when
// none fits, the admin is told how much is needed.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lifeboat::disks {

struct KeySlot {
  int id = -1;
  std::string kdf;              // "argon2id", "argon2i", "pbkdf2"
  std::uint64_t memory_kib = 0; // argon2 memory cost (0 for pbkdf2)
};

// Key slots from `luksDump --dump-json-metadata` output (LUKS2), sorted by id. nullopt when
// the text is not LUKS2 JSON metadata (LUKS1: no memory-hard slots).
std::optional<std::vector<KeySlot>> parse_luks2_keyslots(std::string_view json_text);

// MemAvailable from /proc/meminfo text, in KiB (nullopt when missing).
std::optional<std::uint64_t> mem_available_kib(std::string_view meminfo);

// Room kept free besides the slot's own memory cost (cryptsetup itself, the kernel's dm-crypt).
inline constexpr std::uint64_t kUnlockHeadroomKib = 32 * 1024;

struct SlotPlan {
  std::vector<int> try_slots;   // empty with `all`: let cryptsetup try every slot
  bool all = false;
  std::string refusal;          // non-empty: do not try at all (the message to print)
};
// Which slots to try with `available_kib` of memory.
SlotPlan plan_key_slots(const std::vector<KeySlot>& slots, std::uint64_t available_kib);

// "luks-<uuid>" (as systemd-cryptsetup names it), or "luks-<name>" without a UUID.
std::string luks_mapper_name(std::string_view uuid, std::string_view volume_name);

std::vector<std::string> cryptsetup_open_argv(const std::string& cryptsetup, const std::string& device,
                                              const std::string& name, bool rw, int key_slot);

}  // namespace lifeboat::disks
