#pragma once
// The ACPI power button (the provider's "Stop" / QEMU's system_powerdown): the kernel's
// ACPI button driver registers it as an input device; PID 1 reads its /dev/input/eventN
// in the supervisor's loop and starts the same clean poweroff as `poweroff`.
#include <string>
#include <string_view>
#include <vector>

#include "sys/sys.h"

namespace lifeboat {

// Whether a sysfs capabilities/key bitmap ("3 0 0 10000000000000 0": hex words of
// unsigned long, most significant first) has KEY_POWER (116).
bool has_power_key(std::string_view bitmap) noexcept;

// Whether a run of struct input_event records (x86_64: 24 bytes each) holds a press of
// KEY_POWER. A partial record at the end is ignored.
bool power_key_pressed(std::string_view events) noexcept;

// Opens (read-only, non-blocking) every input event device that has KEY_POWER.
// `names` gets "event0 (Power Button)" for each, `problems` what failed.
std::vector<int> open_power_buttons(sys::Sys& sys, std::vector<std::string>& names, std::vector<std::string>& problems,
                                    const std::string& sys_class = "/sys/class/input", const std::string& dev = "/dev/input");

}  // namespace lifeboat
