#pragma once
// The udhcpc event handler: PID 1's binary as BusyBox udhcpc's `-s` script
// (/usr/lib/lifeboat/dhcp-event, a link to /init), so a DHCPv4 lease is applied with a few
// ioctls instead of a shell and one `ip` process per change (~10 processes, 100-150 ms
// under TCG, on the path to the first SSH login).
//
// udhcpc runs it as `dhcp-event EVENT` with the lease in the environment (BusyBox names):
//   interface ip mask(prefix length) broadcast router dns domain mtu lease serverid
//   deconfig       drop the interface's IPv4 address (the link stays up)
//   bound, renew   the address (mask default 24), the MTU, a default route via the first
//                  router that works (a router outside the subnet gets a host route first:
//                  /32 leases as on GCE), then IFACE.lease and IFACE.dns in the lease
//                  directory for PID 1's report and resolv.conf
//   leasefail, nak a line on stderr
// The lease is input from the network: every value is checked (addresses parsed, names
// limited to hostname characters) and a bad one is named on stderr and left out; a bad
// address or interface name applies nothing.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/udhcpc.h"
#include "sys/sys.h"

namespace lifeboat::net {

inline constexpr const char* kDhcpEventHandler = kUdhcpcEventHandler;
inline constexpr const char* kDhcpLeaseDir = "/run/lifeboat/dhcp";

struct DhcpLease {
  std::string event;                 // "bound", "renew", "deconfig", ...
  std::string iface;                 // valid_ifname, else "" (and a problem)
  std::string ip;                    // dotted, or "" (bound/renew then fail)
  int prefix = 24;
  std::string broadcast;             // dotted; computed from ip/prefix when absent
  std::vector<std::string> routers;  // dotted
  std::vector<std::string> dns;      // dotted
  std::vector<std::string> domains;  // search domains
  int mtu = 0;                       // 0: leave alone
  std::string lease, serverid;
  std::vector<std::string> problems;  // "router: '10.0.0.x' is not an IPv4 address (ignored)"
};

// Pure: the event and udhcpc's environment -> a checked lease.
DhcpLease parse_dhcp_env(std::string_view event, const std::map<std::string, std::string>& env);
// IFACE.lease: shell assignments as net::parse_lease reads them (interface, ip, prefix,
// router, dns, serverid, lease).
std::string render_lease_record(const DhcpLease& l);
// IFACE.dns: "nameserver X" lines, then "search D..." (resolv.conf syntax).
std::string render_dns_record(const DhcpLease& l);

// Effects: applies the event; messages on stderr (udhcpc passes them to PID 1's capture).
// Returns 0, or 1 when the address could not be applied.
int run_dhcp_event(sys::Sys& sys, const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& env, const std::string& lease_dir = kDhcpLeaseDir);

}  // namespace lifeboat::net
