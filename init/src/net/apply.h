#pragma once
// The network applier: what the kernel shows -> net::plan_network() -> effects.
//
//   1. read_links(): /sys/class/net (name, address, carrier, type); ethernet and loopback only
//   2. every non-loopback link up (SIOCSIFFLAGS), then wait for carrier, bounded (2 s)
//   3. the plan in order: links (MTU, up) with ioctls (net/ifconfig.h), addresses and routes
//      with `ip` (one-shot children with timeouts)
//   4. all DHCP clients at once (one `sh` running them in parallel, bounded: 10 s), then
//      the leases udhcpc's event handler (net/dhcp_event.h) left in
//      /run/lifeboat/dhcp/IFACE.lease
//   5. /etc/resolv.conf from the static nameservers and the DHCP .dns files; the hostname
//
// The pure helpers (lease and resolv parsing, shell quoting, report lines) are below the
// effect functions and unit tested.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "boot/log.h"
#include "common/error.h"
#include "model/model.h"
#include "net/plan.h"
#include "supervise/supervisor.h"
#include "sys/sys.h"

namespace lifeboat::net {

struct ApplyOptions {
  std::string sysfs = "/sys/class/net";
  std::string dhcp_dir = "/run/lifeboat/dhcp";
  std::string resolv_conf = "/etc/resolv.conf";
  std::string hostname_file = "/etc/hostname";
  std::string shell = "/bin/sh";
  int carrier_wait_ms = 2000;
  int carrier_poll_ms = 50;
  int command_timeout_ms = 5000;
  int dhcp_timeout_ms = 10000;
  // Runs once the DHCP clients are started, before their leases are waited for (PID 1
  // starts Dropbear there: it listens when the address comes).
  std::function<void()> while_dhcp;
};

// What the console and status.json say about one interface after the setup.
struct InterfaceReport {
  std::string name;
  std::string mac;
  bool carrier = false;
  std::string method;  // "dhcp", "static", "static+dhcp", "none"
  std::string origin;  // the config's source ("config-2", "cmdline", ...), "" for the DHCP fallback
  std::vector<std::string> addresses;  // "10.0.2.15/24"
  std::string gateway;                 // default route's gateway, "" if none
  std::vector<std::string> problems;   // "dhcp: no lease", "ip addr add ...: exit status 2"
};

struct NetResult {
  std::vector<InterfaceReport> interfaces;
  Errors errors;                    // the planner's (unknown MAC, ...)
  std::vector<std::string> failures;  // commands that failed, for the step line
  std::vector<std::string> nameservers;
  std::vector<std::string> search;
  std::string hostname;  // set from the config, "" if none
  std::int64_t carrier_wait_ms = 0;
  std::int64_t dhcp_ms = 0;  // the clients started .. PID 1 saw them done (while_dhcp runs in it)
};

// Ethernet (type 1) and loopback (772) links; others (sit0, tunnels) are left alone.
std::vector<Link> read_links(sys::Sys& sys, const std::string& sysfs = "/sys/class/net");

// The whole sequence above. Never throws for a failed command: failures are in the result.
NetResult bring_up_network(sys::Sys& sys, Supervisor& sup, const meta::Config& config,
                           const ApplyOptions& options = {});

// ---- pure helpers ---------------------------------------------------------------------

// `shell -c` text running each argv in the background, then `wait`. Every word is
// single-quoted.
std::string parallel_script(const std::vector<std::vector<std::string>>& commands);
std::string shell_quote(std::string_view word);

// The udhcpc script's IFACE.lease (shell assignments: ip='...' prefix='...' router='...').
std::map<std::string, std::string> parse_lease(std::string_view text);

// "nameserver X" and "search a b" lines (resolv.conf syntax) appended to the lists,
// without duplicates.
void parse_resolv_lines(std::string_view text, std::vector<std::string>& nameservers,
                        std::vector<std::string>& search);

// "eth0 52:54:00:12:34:56 10.0.2.15/24 gw 10.0.2.2 (dhcp)",
// "eth0 52:54:00:12:34:56 10.0.2.15/24 (static, config-2)", "eth1 ... no address (no carrier)"
std::string interface_line(const InterfaceReport& r);

// status.json "network": {"interfaces":[...],"nameservers":[...],"search":[...],
// "hostname":..., "source": "config-2"|"dhcp fallback"|"none", "errors": N}
std::string network_json(const NetResult& r, const meta::Config& config);

// The first IPv4 address of any interface ("" if none), for hints.
std::string first_ipv4(const NetResult& r);

}  // namespace lifeboat::net
