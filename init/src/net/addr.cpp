#include "net/addr.h"

#include <arpa/inet.h>

#include <cstring>

namespace lifeboat::net {

namespace {

int family_bits(Family f) noexcept { return f == Family::v6 ? 128 : 32; }

std::optional<IpAddr> parse_v4(std::string_view text) {
  if (text.empty() || text.size() > 15) return std::nullopt;
  char buf[16];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddr ip;
  ip.family = Family::v4;
  if (inet_pton(AF_INET, buf, ip.bytes.data()) != 1) return std::nullopt;
  char out[INET_ADDRSTRLEN];
  if (!inet_ntop(AF_INET, ip.bytes.data(), out, sizeof out)) return std::nullopt;
  ip.text = out;
  return ip;
}

std::optional<IpAddr> parse_v6(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() > 45 || text.find(':') == std::string_view::npos) return std::nullopt;
  char buf[46];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddr ip;
  ip.family = Family::v6;
  if (inet_pton(AF_INET6, buf, ip.bytes.data()) != 1) return std::nullopt;
  char out[INET6_ADDRSTRLEN];
  if (!inet_ntop(AF_INET6, ip.bytes.data(), out, sizeof out)) return std::nullopt;
  ip.text = out;
  return ip;
}

std::optional<int> mask_to_prefix(const std::uint8_t* bytes, int nbytes) noexcept {
  int prefix = 0;
  bool zero_seen = false;
  for (int i = 0; i < nbytes; ++i) {
    for (int bit = 7; bit >= 0; --bit) {
      bool set = (bytes[i] >> bit) & 1;
      if (set && zero_seen) return std::nullopt;
      if (set) ++prefix;
      else zero_seen = true;
    }
  }
  return prefix;
}

void prefix_to_mask(int prefix, std::uint8_t* bytes, int nbytes) noexcept {
  for (int i = 0; i < nbytes; ++i) {
    int bits = prefix - 8 * i;
    bytes[i] = bits >= 8 ? 0xff : bits <= 0 ? 0 : static_cast<std::uint8_t>(0xff << (8 - bits));
  }
}

}  // namespace

std::optional<IpAddr> parse_ip(std::string_view text) {
  if (auto v4 = parse_v4(text)) return v4;
  return parse_v6(text);
}

std::optional<IpAddr> parse_ip(std::string_view text, Family family) {
  return family == Family::v4 ? parse_v4(text) : parse_v6(text);
}

std::optional<int> netmask_to_prefix_v4(std::string_view dotted) {
  auto ip = parse_v4(dotted);
  if (!ip) return std::nullopt;
  return mask_to_prefix(ip->bytes.data(), 4);
}

std::string prefix_to_netmask_v4(int prefix) {
  if (prefix < 0 || prefix > 32) return {};
  std::uint8_t b[4];
  prefix_to_mask(prefix, b, 4);
  char out[INET_ADDRSTRLEN];
  if (!inet_ntop(AF_INET, b, out, sizeof out)) return {};
  return out;
}

std::optional<int> netmask_to_prefix_v6(std::string_view mask) {
  auto ip = parse_v6(mask);
  if (!ip) return std::nullopt;
  return mask_to_prefix(ip->bytes.data(), 16);
}

std::string prefix_to_netmask_v6(int prefix) {
  if (prefix < 0 || prefix > 128) return {};
  std::uint8_t b[16];
  prefix_to_mask(prefix, b, 16);
  char out[INET6_ADDRSTRLEN];
  if (!inet_ntop(AF_INET6, b, out, sizeof out)) return {};
  return out;
}

std::optional<int> parse_prefix(std::string_view text, Family family) noexcept {
  if (!text.empty() && text.front() == '/') text.remove_prefix(1);
  if (text.empty() || text.size() > 3) return std::nullopt;
  int v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v > family_bits(family)) return std::nullopt;
  return v;
}

std::optional<int> parse_netmask(std::string_view text, Family family) {
  if (auto p = parse_prefix(text, family)) return p;
  return family == Family::v4 ? netmask_to_prefix_v4(text) : netmask_to_prefix_v6(text);
}

std::optional<meta::Address> parse_cidr(std::string_view text, std::optional<int> default_prefix) {
  std::size_t slash = text.find('/');
  auto ip = parse_ip(slash == std::string_view::npos ? text : text.substr(0, slash));
  if (!ip) return std::nullopt;
  std::optional<int> prefix = default_prefix;
  if (slash != std::string_view::npos) prefix = parse_prefix(text.substr(slash + 1), ip->family);
  if (!prefix || *prefix < 0 || *prefix > family_bits(ip->family)) return std::nullopt;
  return meta::Address{ip->family, ip->text, *prefix};
}

std::optional<meta::Route> parse_route_destination(std::string_view text, Family family_hint) {
  if (text == "default") {
    return meta::Route{family_hint, family_hint == Family::v6 ? "::" : "0.0.0.0", 0, ""};
  }
  auto a = parse_cidr(text, std::nullopt);
  if (!a) {
    // A bare address is a host route.
    auto ip = parse_ip(text);
    if (!ip) return std::nullopt;
    a = meta::Address{ip->family, ip->text, family_bits(ip->family)};
  }
  auto ip = parse_ip(a->address, a->family);
  if (!ip) return std::nullopt;
  return meta::Route{a->family, network_of(*ip, a->prefix), a->prefix, ""};
}

std::string network_of(const IpAddr& ip, int prefix) {
  int nbytes = ip.family == Family::v6 ? 16 : 4;
  std::uint8_t mask[16];
  prefix_to_mask(prefix, mask, nbytes);
  std::uint8_t net[16];
  for (int i = 0; i < nbytes; ++i) net[i] = ip.bytes[i] & mask[i];
  char out[INET6_ADDRSTRLEN];
  if (!inet_ntop(ip.family == Family::v6 ? AF_INET6 : AF_INET, net, out, sizeof out)) return {};
  return out;
}

bool in_subnet(const meta::Address& subnet, const IpAddr& ip) noexcept {
  if (subnet.family != ip.family) return false;
  std::uint8_t sub[16] = {};
  if (inet_pton(subnet.family == Family::v6 ? AF_INET6 : AF_INET, subnet.address.c_str(), sub) != 1) return false;
  int nbytes = ip.family == Family::v6 ? 16 : 4;
  std::uint8_t mask[16];
  prefix_to_mask(subnet.prefix, mask, nbytes);
  for (int i = 0; i < nbytes; ++i)
    if ((sub[i] & mask[i]) != (ip.bytes[i] & mask[i])) return false;
  return true;
}

std::optional<std::string> normalize_mac(std::string_view text) {
  std::string hex;
  for (char c : text) {
    if (c == ':' || c == '-' || c == '.') continue;
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) hex += c;
    else if (c >= 'A' && c <= 'F') hex += static_cast<char>(c - 'A' + 'a');
    else return std::nullopt;
    if (hex.size() > 12) return std::nullopt;
  }
  if (hex.size() != 12) return std::nullopt;
  // Separators, if any, must sit on octet (or Cisco 4-digit group) boundaries.
  std::size_t digits = 0;
  char sep = 0;
  for (char c : text) {
    if (c == ':' || c == '-' || c == '.') {
      if (sep && c != sep) return std::nullopt;
      sep = c;
      if (digits == 0 || (c == '.' ? digits % 4 : digits % 2) != 0) return std::nullopt;
    } else {
      ++digits;
    }
  }
  std::string out;
  for (int i = 0; i < 6; ++i) {
    if (i) out += ':';
    out += hex.substr(static_cast<std::size_t>(2 * i), 2);
  }
  return out;
}

bool valid_ifname(std::string_view name) noexcept {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '/' || c == ':') return false;
  }
  return true;
}

}  // namespace lifeboat::net
