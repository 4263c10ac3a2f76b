#pragma once
// Address helpers for the network planner and the metadata parsers (pure; inet_pton and
// inet_ntop are libc text conversions, no syscalls).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/model.h"

namespace lifeboat::net {

using meta::Family;

struct IpAddr {
  Family family = Family::v4;
  std::array<std::uint8_t, 16> bytes{};  // v4 uses the first 4
  std::string text;                      // canonical: "10.0.0.5", "2001:db8::5"
};

// Either family. IPv6 may be written in brackets ("[2001:db8::1]"); zone ids ("%eth0")
// and anything with spaces are refused.
std::optional<IpAddr> parse_ip(std::string_view text);
std::optional<IpAddr> parse_ip(std::string_view text, Family family);

// Dotted netmask -> prefix length; contiguous masks only ("255.255.255.0" -> 24).
std::optional<int> netmask_to_prefix_v4(std::string_view dotted);
// "255.255.255.0" for 24; "" outside 0..32.
std::string prefix_to_netmask_v4(int prefix);
// IPv6 mask -> prefix ("ffff:ffff:ffff:ffff::" -> 64); contiguous only.
std::optional<int> netmask_to_prefix_v6(std::string_view mask);
// "ffff:ffff:ffff:ffff::" for 64; "" outside 0..128.
std::string prefix_to_netmask_v6(int prefix);

// A prefix length in decimal ("24", "/24") within the family's range.
std::optional<int> parse_prefix(std::string_view text, Family family) noexcept;
// A netmask in any form the sources use: prefix length ("24", "/64"), dotted (v4) or an
// IPv6 mask (v6).
std::optional<int> parse_netmask(std::string_view text, Family family);

// "10.0.0.5/24" -> {v4, "10.0.0.5", 24}. Without "/N", default_prefix is used when given
// (else nullopt). The host bits are kept (an interface address, not a network).
std::optional<meta::Address> parse_cidr(std::string_view text, std::optional<int> default_prefix = std::nullopt);
// "10.0.0.5/24" -> {v4, "10.0.0.0", 24}: a route destination; "default" -> 0.0.0.0/0 (v4)
// unless `family` says v6.
std::optional<meta::Route> parse_route_destination(std::string_view text, Family family_hint = Family::v4);

// The address with its host bits cleared: network_of("10.0.0.5", 24) = "10.0.0.0".
std::string network_of(const IpAddr& ip, int prefix);
// True when `ip` lies inside addr/prefix (same family).
bool in_subnet(const meta::Address& subnet, const IpAddr& ip) noexcept;

// "52-54-00-AB-cd-ef", "5254.00ab.cdef", "52:54:00:ab:cd:ef" -> "52:54:00:ab:cd:ef".
// 6 octets only; nullopt otherwise.
std::optional<std::string> normalize_mac(std::string_view text);

// A Linux interface name: 1-15 bytes, no '/', ':', whitespace or control characters,
// not "." or "..".
bool valid_ifname(std::string_view name) noexcept;

}  // namespace lifeboat::net
