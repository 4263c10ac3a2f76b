#include "net/dhcp_event.h"

#include <arpa/inet.h>

#include "common/text.h"
#include "net/addr.h"
#include "net/ifconfig.h"

namespace lifeboat::net {

namespace {

constexpr std::size_t kMaxListed = 8;  // routers, name servers, search domains

bool valid_domain(std::string_view d) noexcept {
  if (d.empty() || d.size() > 253 || d.front() == '-' || d.front() == '.') return false;
  for (char c : d) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string shown(std::string_view v) { return "'" + escape_control(std::string(v.substr(0, 64)), false) + "'"; }

const std::string* get(const std::map<std::string, std::string>& env, const char* key) {
  auto it = env.find(key);
  return it == env.end() || it->second.empty() ? nullptr : &it->second;
}

std::vector<std::string> ipv4_list(const std::string* text, const char* field, std::vector<std::string>& problems) {
  std::vector<std::string> out;
  if (!text) return out;
  for (auto w : split_ws(*text)) {
    auto ip = parse_ip(w, Family::v4);
    if (!ip) problems.push_back(std::string(field) + ": " + shown(w) + " is not an IPv4 address (ignored)");
    else if (out.size() < kMaxListed) out.push_back(ip->text);
  }
  return out;
}

std::uint32_t to_be(const std::string& dotted) {
  struct in_addr a;
  return inet_pton(AF_INET, dotted.c_str(), &a) == 1 ? a.s_addr : 0;
}

std::uint32_t mask_be(int prefix) { return prefix <= 0 ? 0 : htonl(0xffffffffu << (32 - prefix)); }

bool write_record(sys::Sys& sys, const std::string& path, const std::string& text) {
  auto st = sys.write_file_atomic(path, text, 0644);
  if (!st.ok()) (void)sys.write_all(2, "dhcp-event: " + path + ": " + sys::error_text(st.err) + "\n");
  return st.ok();
}

}  // namespace

DhcpLease parse_dhcp_env(std::string_view event, const std::map<std::string, std::string>& env) {
  DhcpLease l;
  l.event = std::string(event);
  if (const auto* i = get(env, "interface"); i && valid_ifname(*i)) l.iface = *i;
  else l.problems.push_back("interface: " + (i ? shown(*i) : std::string("missing")) + " is not an interface name");
  if (l.event != "bound" && l.event != "renew") return l;

  if (const auto* ip = get(env, "ip")) {
    if (auto a = parse_ip(*ip, Family::v4)) l.ip = a->text;
    else l.problems.push_back("ip: " + shown(*ip) + " is not an IPv4 address");
  } else {
    l.problems.push_back("ip: missing");
  }
  if (const auto* m = get(env, "mask")) {  // BusyBox gives the prefix length here
    if (auto p = parse_netmask(*m, Family::v4)) l.prefix = *p;
    else l.problems.push_back("mask: " + shown(*m) + " is not a prefix length (24 used)");
  }
  if (const auto* b = get(env, "broadcast")) {
    if (auto a = parse_ip(*b, Family::v4)) l.broadcast = a->text;
    else l.problems.push_back("broadcast: " + shown(*b) + " is not an IPv4 address (computed instead)");
  }
  if (l.broadcast.empty() && !l.ip.empty() && l.prefix < 31) {
    struct in_addr a;
    a.s_addr = to_be(l.ip) | ~mask_be(l.prefix);
    char buf[INET_ADDRSTRLEN];
    if (inet_ntop(AF_INET, &a, buf, sizeof buf)) l.broadcast = buf;
  }
  l.routers = ipv4_list(get(env, "router"), "router", l.problems);
  l.dns = ipv4_list(get(env, "dns"), "dns", l.problems);
  if (const auto* d = get(env, "domain")) {
    for (auto w : split_ws(*d)) {
      if (!valid_domain(w)) l.problems.push_back("domain: " + shown(w) + " is not a domain name (ignored)");
      else if (l.domains.size() < kMaxListed) l.domains.emplace_back(w);
    }
  }
  if (const auto* m = get(env, "mtu")) {
    long long v = 0;
    if (parse_int(*m, v) && v >= 576 && v <= 65535) l.mtu = static_cast<int>(v);
    else l.problems.push_back("mtu: " + shown(*m) + " is not an MTU between 576 and 65535 (ignored)");
  }
  if (const auto* v = get(env, "lease")) {
    long long seconds = 0;
    if (parse_int(*v, seconds) && seconds >= 0) l.lease = *v;
    else l.problems.push_back("lease: " + shown(*v) + " is not a number of seconds (ignored)");
  }
  if (const auto* v = get(env, "serverid")) {
    if (auto a = parse_ip(*v, Family::v4)) l.serverid = a->text;
    else l.problems.push_back("serverid: " + shown(*v) + " is not an IPv4 address (ignored)");
  }
  return l;
}

std::string render_lease_record(const DhcpLease& l) {
  auto joined = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
    return s;
  };
  // Every value was checked: none holds a quote, a newline or a shell character.
  return "interface='" + l.iface + "'\nip='" + l.ip + "'\nprefix='" + std::to_string(l.prefix) + "'\nrouter='" +
         joined(l.routers) + "'\ndns='" + joined(l.dns) + "'\nserverid='" + l.serverid + "'\nlease='" + l.lease +
         "'\n";
}

std::string render_dns_record(const DhcpLease& l) {
  std::string s;
  for (const auto& d : l.dns) s += "nameserver " + d + "\n";
  if (!l.domains.empty()) {
    s += "search";
    for (const auto& d : l.domains) s += " " + d;
    s += "\n";
  }
  return s;
}

int run_dhcp_event(sys::Sys& sys, const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& env, const std::string& lease_dir) {
  const std::string event = args.empty() ? "" : args.front();
  DhcpLease l = parse_dhcp_env(event, env);
  auto say = [&](const std::string& line) { (void)sys.write_all(2, "dhcp-event: " + line + "\n"); };
  for (const auto& p : l.problems) say((l.iface.empty() ? std::string("?") : l.iface) + ": " + p);
  if (l.iface.empty()) return 1;
  const std::string base = lease_dir + "/" + l.iface;

  if (event == "deconfig") {
    (void)sys.unlink(base + ".lease");  // ENOENT: none yet
    (void)sys.unlink(base + ".dns");
    auto r = clear_ipv4(sys, l.iface);
    if (r.ok()) r = link_up(sys, l.iface);
    if (!r.ok()) say(r.describe());
    return r.ok() ? 0 : 1;
  }
  if (event == "leasefail" || event == "nak") {
    say(l.iface + ": " + event);
    return 0;
  }
  if (event != "bound" && event != "renew") return 0;  // other events change nothing here
  if (l.ip.empty()) return 1;

  const std::uint32_t ip = to_be(l.ip), mask = mask_be(l.prefix);
  // SIOCSIFADDR replaces the primary address (the same one again changes nothing).
  auto r = set_ipv4(sys, l.iface, ip, mask, l.broadcast.empty() ? 0 : to_be(l.broadcast));
  if (!r.ok()) {
    say(r.describe());
    return 1;
  }
  if (l.mtu > 0)
    if (auto m = link_up(sys, l.iface, l.mtu); !m.ok()) say(m.describe());
  for (const auto& router : l.routers) {
    const std::uint32_t gw = to_be(router);
    if ((gw & mask) != (ip & mask)) {  // off-subnet (a /32 lease): reach the router on the link first
      if (auto h = add_route_v4(sys, l.iface, gw, 0xffffffffu, 0); !h.ok()) say(h.describe());
    }
    auto d = add_route_v4(sys, l.iface, 0, 0, gw);
    if (d.ok()) break;
    say(d.describe());
  }
  (void)sys.mkdir_p(lease_dir, 0755);
  bool ok = write_record(sys, base + ".dns", render_dns_record(l));
  ok = write_record(sys, base + ".lease", render_lease_record(l)) && ok;  // last: PID 1 reads it as "bound"
  return ok ? 0 : 1;
}

}  // namespace lifeboat::net
