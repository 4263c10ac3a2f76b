#include "boot/power_button.h"

#include <fcntl.h>
#include <linux/input.h>

#include <cstring>

#include "common/text.h"

namespace lifeboat {

namespace {
constexpr unsigned kKeyPower = 116;    // KEY_POWER
constexpr std::size_t kWordBits = 64;  // unsigned long on x86_64
constexpr std::size_t kEventSize = 24; // struct input_event on x86_64
}  // namespace

bool has_power_key(std::string_view bitmap) noexcept {
  try {
    auto words = split_ws(bitmap);
    if (words.empty()) return false;
    const std::size_t index = kKeyPower / kWordBits;  // counted from the last word
    if (index >= words.size()) return false;
    std::string_view w = words[words.size() - 1 - index];
    if (w.empty() || w.size() > 16) return false;
    unsigned long long v = 0;
    for (char c : w) {
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) return false;
      v = v << 4 | static_cast<unsigned>(d);
    }
    return (v >> (kKeyPower % kWordBits)) & 1;
  } catch (...) {
    return false;
  }
}

bool power_key_pressed(std::string_view events) noexcept {
  for (std::size_t off = 0; off + kEventSize <= events.size(); off += kEventSize) {
    std::uint16_t type, code;
    std::int32_t value;
    std::memcpy(&type, events.data() + off + 16, 2);
    std::memcpy(&code, events.data() + off + 18, 2);
    std::memcpy(&value, events.data() + off + 20, 4);
    if (type == EV_KEY && code == kKeyPower && value == 1) return true;
  }
  return false;
}

std::vector<int> open_power_buttons(sys::Sys& sys, std::vector<std::string>& names, std::vector<std::string>& problems,
                                    const std::string& sys_class, const std::string& dev) {
  std::vector<int> fds;
  auto entries = sys.list_dir(sys_class);
  if (!entries.ok()) {
    problems.push_back(sys_class + ": " + sys::error_text(entries.err));
    return fds;
  }
  for (const auto& e : entries.value) {
    if (!e.name.starts_with("event")) continue;
    auto caps = sys.read_file(sys_class + "/" + e.name + "/device/capabilities/key", 4096);
    if (!caps.ok() || !has_power_key(caps.value)) continue;
    auto fd = sys.open(dev + "/" + e.name, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (!fd.ok()) {
      problems.push_back(dev + "/" + e.name + ": " + sys::error_text(fd.err));
      continue;
    }
    auto name = sys.read_file(sys_class + "/" + e.name + "/device/name", 256);
    std::string label = name.ok() ? std::string(trim(name.value)) : std::string();
    names.push_back(e.name + (label.empty() ? "" : " (" + quoted(label, 40) + ")"));
    fds.push_back(fd.value);
  }
  return fds;
}

}  // namespace lifeboat
