#include "metadata/ip_param.h"

#include <vector>

#include "common/text.h"
#include "net/addr.h"

namespace lifeboat::meta {

namespace {

// Splits on ':' outside of [...].
std::vector<std::string_view> split_fields(std::string_view v, bool& balanced) {
  std::vector<std::string_view> out;
  int depth = 0;
  std::size_t start = 0;
  balanced = true;
  for (std::size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (c == '[') {
      if (depth++ > 0) balanced = false;
    } else if (c == ']') {
      if (--depth < 0) balanced = false;
    } else if (c == ':' && depth == 0) {
      out.push_back(v.substr(start, i - start));
      start = i + 1;
    }
  }
  if (depth != 0) balanced = false;
  out.push_back(v.substr(start));
  return out;
}

std::string_view unbracket(std::string_view f) noexcept {
  if (f.size() >= 2 && f.front() == '[' && f.back() == ']') return f.substr(1, f.size() - 2);
  return f;
}

bool is_one_autoconf(std::string_view a) noexcept {
  return a == "off" || a == "none" || a == "dhcp" || a == "on" || a == "any" || a == "dhcp6" ||
         a == "auto6" || a == "either6" || a == "link6";
}

// dracut accepts a comma-separated list: "dhcp,dhcp6".
bool is_autoconf(std::string_view a) noexcept {
  if (a.empty()) return false;
  while (true) {
    std::size_t comma = a.find(',');
    if (!is_one_autoconf(a.substr(0, comma))) return false;
    if (comma == std::string_view::npos) return true;
    a.remove_prefix(comma + 1);
  }
}

struct Ctx {
  std::string_view value;
  Errors& errors;
  bool fail(const std::string& message) {
    errors.push_back(Error{"cmdline", "ip", message + " in " + quoted(value, 200)});
    return false;
  }
  bool unrecognised() {
    errors.push_back(Error{"cmdline", "ip", "unrecognised form " + quoted(value, 200)});
    return false;
  }
};

// Applies <autoconf>; `has_client` decides what "" means.
bool apply_autoconf(std::string_view a, bool has_client, InterfaceConfig& ic, Ctx& ctx) {
  if (a.empty()) {
    if (!has_client) ic.dhcp4 = true;
    return true;
  }
  if (!is_autoconf(a)) return ctx.fail("unsupported autoconf " + quoted(a));
  while (!a.empty()) {
    std::size_t comma = a.find(',');
    std::string_view one = a.substr(0, comma);
    a.remove_prefix(comma == std::string_view::npos ? a.size() : comma + 1);
    if (one == "dhcp" || one == "on" || one == "any") ic.dhcp4 = true;
    else if (one == "dhcp6") ic.dhcp6 = true;
    else if (one == "auto6") ic.slaac = true;
    else if (one == "either6") ic.slaac = ic.dhcp6 = true;
    // off, none, link6: nothing to start
  }
  return true;
}

bool apply_mtu(std::string_view f, InterfaceConfig& ic, Ctx& ctx) {
  if (f.empty()) return true;
  long long mtu = 0;
  if (!parse_int(f, mtu) || mtu < 68 || mtu > 65535) return ctx.fail("bad mtu " + quoted(f));
  ic.mtu = static_cast<int>(mtu);
  return true;
}

bool apply_mac(std::string_view f, InterfaceConfig& ic, Ctx& ctx) {
  if (f.empty()) return true;
  auto mac = net::normalize_mac(f);
  if (!mac) return ctx.fail("bad MAC address " + quoted(f));
  ic.match.mac = *mac;
  return true;
}

bool apply_device(std::string_view f, InterfaceConfig& ic, Ctx& ctx) {
  if (f.empty()) return true;
  if (!net::valid_ifname(f)) return ctx.fail("bad interface name " + quoted(f));
  ic.match.name = std::string(f);
  return true;
}

int classful_prefix(const net::IpAddr& ip) noexcept {
  unsigned first = ip.bytes[0];
  if (first < 128) return 8;
  if (first < 192) return 16;
  return 24;
}

// Joins fields [from, end) with ':' (a MAC address split by the field splitter).
std::string join_from(const std::vector<std::string_view>& f, std::size_t from) {
  std::string out;
  for (std::size_t i = from; i < f.size(); ++i) {
    if (i > from) out += ':';
    out += f[i];
  }
  return out;
}

bool parse_dracut_device_form(const std::vector<std::string_view>& f, IpParam& out, Ctx& ctx) {
  InterfaceConfig& ic = out.interface;
  if (!apply_device(f[0], ic, ctx)) return false;
  if (!apply_autoconf(f[1], false, ic, ctx)) return false;
  if (f.size() >= 3 && !apply_mtu(f[2], ic, ctx)) return false;
  if (f.size() >= 4 && !apply_mac(join_from(f, 3), ic, ctx)) return false;
  out.has_interface = true;
  return true;
}

bool parse_kernel_form(const std::vector<std::string_view>& f, IpParam& out, Ctx& ctx) {
  auto field = [&](std::size_t i) -> std::string_view { return i < f.size() ? f[i] : std::string_view(); };
  InterfaceConfig& ic = out.interface;

  std::string_view client = unbracket(field(0));
  std::string_view gw = unbracket(field(2));
  std::string_view mask = unbracket(field(3));
  std::string_view host = field(4);
  std::string_view autoconf = field(6);

  if (!apply_device(field(5), ic, ctx)) return false;
  if (!client.empty()) {
    auto ip = net::parse_ip(client);
    if (!ip) return ctx.fail("bad client address " + quoted(client));
    int prefix = ip->family == Family::v6 ? 64 : classful_prefix(*ip);
    if (!mask.empty()) {
      auto p = net::parse_netmask(mask, ip->family);
      if (!p) return ctx.fail("bad netmask " + quoted(mask));
      prefix = *p;
    }
    ic.addresses.push_back(Address{ip->family, ip->text, prefix});
  } else if (!mask.empty() && !net::parse_netmask(mask, Family::v4) && !net::parse_netmask(mask, Family::v6)) {
    return ctx.fail("bad netmask " + quoted(mask));
  }
  if (!gw.empty()) {
    auto g = net::parse_ip(gw);
    if (!g) return ctx.fail("bad gateway " + quoted(gw));
    ic.routes.push_back(Route{g->family, g->family == Family::v6 ? "::" : "0.0.0.0", 0, g->text});
  }
  if (!field(1).empty() && !net::parse_ip(unbracket(field(1)))) return ctx.fail("bad server address " + quoted(field(1)));
  if (!host.empty()) {
    if (host.size() > 64) return ctx.fail("hostname too long");
    out.hostname = std::string(host);
  }
  if (!apply_autoconf(autoconf, !client.empty(), ic, ctx)) return false;

  // Fields after <autoconf>: dracut's [mtu][:mac] or the kernel's dns0:dns1:ntp0.
  std::string_view f7 = field(7);
  bool digits = !f7.empty() && f7.find_first_not_of("0123456789") == std::string_view::npos;
  if (digits || (f7.empty() && f.size() > 10)) {
    if (!apply_mtu(f7, ic, ctx)) return false;
    if (f.size() > 8 && !apply_mac(join_from(f, 8), ic, ctx)) return false;
  } else {
    if (f.size() > 10) return ctx.unrecognised();
    for (std::size_t i : {std::size_t(7), std::size_t(8)}) {
      std::string_view d = unbracket(field(i));
      if (d.empty()) continue;
      auto ip = net::parse_ip(d);
      if (!ip) return ctx.fail("bad nameserver " + quoted(d));
      ic.dns.push_back(ip->text);
    }
    std::string_view ntp = unbracket(field(9));
    if (!ntp.empty() && !net::parse_ip(ntp)) return ctx.fail("bad ntp server " + quoted(ntp));
  }

  if (ic.match.name.empty() && ic.match.mac.empty()) {
    ic.match.scope = ic.addresses.empty() ? MatchScope::all : MatchScope::first;
  }
  out.has_interface = true;
  return true;
}

}  // namespace

bool parse_ip_param(std::string_view value, std::string_view origin, IpParam& out, Errors& errors) {
  Ctx ctx{value, errors};
  out = IpParam{};
  out.interface.origin = std::string(origin);
  if (value.empty() || value.size() > 512) return ctx.unrecognised();
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return ctx.unrecognised();
  }

  bool balanced = true;
  auto f = split_fields(value, balanced);
  if (!balanced) return ctx.unrecognised();

  if (f.size() == 1) {
    std::string_view a = f[0];
    if (a == "off" || a == "none") {
      out.off = true;
      return true;
    }
    if (is_autoconf(a)) {
      out.interface.match.scope = MatchScope::all;
      if (!apply_autoconf(a, false, out.interface, ctx)) return false;
      out.has_interface = true;
      return true;
    }
    // A lone address: the kernel form with only <client>.
    if (!net::parse_ip(unbracket(a))) return ctx.unrecognised();
    return parse_kernel_form(f, out, ctx);
  }

  // dracut: <device>:<autoconf>[:[mtu][:mac]] -- the first field is a name, not an address.
  // (Something made of digits and dots, or bracketed, is a malformed address, not a name.)
  bool first_is_addr = f[0].empty() || f[0].front() == '[' ||
                       f[0].find_first_not_of("0123456789.") == std::string_view::npos ||
                       net::parse_ip(unbracket(f[0])).has_value();
  if (!first_is_addr) {
    if (!is_autoconf(f[1])) return ctx.unrecognised();
    return parse_dracut_device_form(f, out, ctx);
  }
  if (f.size() < 2) return ctx.unrecognised();
  return parse_kernel_form(f, out, ctx);
}

}  // namespace lifeboat::meta
