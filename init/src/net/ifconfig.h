#pragma once
// Interface settings through the classic socket ioctls (what BusyBox ifconfig and route
// do): no `ip` process per change, which costs tens of ms each under TCG. IPv4 only.
//   link_up        SIOCGIFFLAGS/SIOCSIFFLAGS (+ SIOCSIFMTU when mtu > 0)
//   set_ipv4       SIOCSIFADDR, SIOCSIFNETMASK, SIOCSIFBRDADDR (the primary address)
//   clear_ipv4     SIOCSIFADDR 0.0.0.0 (drops the primary address and its routes)
//   add_route_v4   SIOCADDRT; the very same route already there is success. A second default
//                  route (another NIC's) is added after the first, which stays in use.
// Each returns the failed call's errno in Status; `what` names the call for messages.
#include <string>

#include "sys/sys.h"

namespace lifeboat::net {

struct IfResult {
  sys::Status status;
  std::string what;  // "SIOCSIFMTU eth0 1450" when status failed, else ""
  bool ok() const noexcept { return status.ok(); }
  std::string describe() const;  // "SIOCSIFMTU eth0 1450: Invalid argument"
};

// `already_up` (optional) tells whether the link was up before the call.
IfResult link_up(sys::Sys& sys, const std::string& iface, int mtu = 0, bool* already_up = nullptr);
// Addresses in network byte order; broadcast 0: none set.
IfResult set_ipv4(sys::Sys& sys, const std::string& iface, std::uint32_t addr, std::uint32_t netmask,
                  std::uint32_t broadcast);
IfResult clear_ipv4(sys::Sys& sys, const std::string& iface);
// dest/genmask 0 = default route; gateway 0 = on-link (a host or subnet route on iface).
IfResult add_route_v4(sys::Sys& sys, const std::string& iface, std::uint32_t dest, std::uint32_t genmask,
                      std::uint32_t gateway);

// "lo" up (SIOCSIFFLAGS IFF_UP), 127.0.0.1/8 added if it has no address.
// (The boot's `loopback` step; throws std::runtime_error naming the failed call.)
std::string loopback_up(sys::Sys& sys);

}  // namespace lifeboat::net
