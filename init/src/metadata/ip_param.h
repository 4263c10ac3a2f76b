#pragma once
// The kernel's and dracut's `ip=` parameter (pure).
//
//   ip=dhcp|on|any|dhcp6|auto6|either6|off|none          every link (off/none: no autoconf)
//   ip=<client>:<server>:<gw>:<netmask>:<hostname>:<device>:<autoconf>[:<dns0>[:<dns1>[:<ntp0>]]]
//   ip=<client>:...:<device>:<autoconf>[:[<mtu>][:<mac>]]       dracut extension
//   ip=<device>:<autoconf>[:[<mtu>][:<mac>]]                    dracut
//
// Any field may be empty. IPv6 addresses go in brackets: ip=[2001:db8::5]::[2001:db8::1]:64::eth0:none
// <netmask> is dotted (v4), an IPv6 mask, or a prefix length; without one, v4 uses the
// classful default like the kernel (A /8, B /16, C /24) and v6 uses /64.
// <autoconf>: off|none = static only; dhcp|on|any = DHCPv4; dhcp6; auto6 = SLAAC;
// either6 = SLAAC + DHCPv6; link6 = link-local only; empty = static when <client> is
// set, else DHCPv4 (the kernel's default "any"). <server> and <ntp0> are ignored.
// A device-less config with a static address applies to the first link with a carrier;
// a device-less DHCP config to every link.
//
// ip= values are not secrets: errors quote them.
#include <string>
#include <string_view>

#include "common/error.h"
#include "model/model.h"

namespace lifeboat::meta {

struct IpParam {
  bool off = false;           // ip=off|none alone: no automatic configuration anywhere
  bool has_interface = false;  // `interface` is meaningful
  InterfaceConfig interface;
  std::string hostname;  // the kernel form's <hostname> field, "" if none
};

// Parses one ip= value. On failure returns false and appends an Error
// {"cmdline", "ip", "unrecognised form \"...\"" (or a more precise reason)}.
// `origin` becomes interface.origin ("ip", "ip[1]").
bool parse_ip_param(std::string_view value, std::string_view origin, IpParam& out, Errors& errors);

}  // namespace lifeboat::meta
