#pragma once
// BusyBox DHCP client command lines (pure). Short timings, as measured on slow boots:
// 3 discover packets 1 s apart, 2 s pause after a failure, give up (-n) rather than
// block the boot, quit after the lease (-q), stay in the foreground (-f) so PID 1 can
// time it out and reap it.
//   udhcpc  -t 3 -T 1 -A 2 -n -q -f -i IFACE -s SCRIPT
//   udhcpc6 -t 3 -T 1 -A 2 -n -q -f -i IFACE -s SCRIPT6
#include <string>
#include <string_view>
#include <vector>

namespace lifeboat::net {

// DHCPv4 events go to PID 1's binary (net/dhcp_event.h); udhcpc6 keeps the shell script.
inline constexpr const char* kUdhcpcEventHandler = "/usr/lib/lifeboat/dhcp-event";
inline constexpr const char* kUdhcpcScript = "/usr/share/udhcpc/default.script";

std::vector<std::string> udhcpc_argv(std::string_view iface, std::string_view script = kUdhcpcEventHandler,
                                     std::string_view binary = "udhcpc");
std::vector<std::string> udhcpc6_argv(std::string_view iface, std::string_view script = kUdhcpcScript,
                                      std::string_view binary = "udhcpc6");

}  // namespace lifeboat::net
