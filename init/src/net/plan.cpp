#include "net/plan.h"

#include <fnmatch.h>

#include <algorithm>

#include "net/addr.h"
#include "net/udhcpc.h"

namespace lifeboat::net {

using meta::Family;
using meta::InterfaceConfig;
using meta::MatchScope;

const char* to_string(ActionKind k) noexcept {
  switch (k) {
    case ActionKind::set_hostname: return "set_hostname";
    case ActionKind::link_up: return "link_up";
    case ActionKind::add_address: return "add_address";
    case ActionKind::add_route: return "add_route";
    case ActionKind::dhcp4: return "dhcp4";
    case ActionKind::dhcp6: return "dhcp6";
    case ActionKind::slaac: return "slaac";
    case ActionKind::write_resolv_conf: return "write_resolv_conf";
  }
  return "unknown";
}

namespace {

bool is_glob(const std::string& s) noexcept { return s.find_first_of("*?[") != std::string::npos; }

void add_unique(std::vector<std::string>& list, const std::string& v) {
  if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(v);
}

struct Planner {
  const meta::Config& config;
  const std::vector<Link>& links;
  const PlanOptions& opt;
  NetPlan plan;
  std::string source;                        // "config-2", ...
  std::vector<const InterfaceConfig*> owner;  // per link index
  std::vector<Action> late;                   // DHCP/SLAAC, after all static setup
  std::vector<std::string> nameservers, search;

  Planner(const meta::Config& c, const std::vector<Link>& l, const PlanOptions& o)
      : config(c), links(l), opt(o), owner(l.size(), nullptr) {
    source = config.network ? meta::to_string(config.network->source) : "network";
  }

  void error(const InterfaceConfig& ic, std::string message, Severity sev = Severity::error) {
    plan.errors.push_back(Error{source, ic.origin.empty() ? "network" : ic.origin, std::move(message), sev});
  }

  std::vector<std::string> ip(std::initializer_list<std::string> args, Family f = Family::v4) const {
    std::vector<std::string> v{opt.ip};
    if (f == Family::v6) v.push_back("-6");
    v.insert(v.end(), args);
    return v;
  }

  void emit(ActionKind kind, const std::string& iface, std::vector<std::string> argv, std::string summary) {
    Action a;
    a.kind = kind;
    a.iface = iface;
    a.argv = std::move(argv);
    a.summary = std::move(summary);
    plan.actions.push_back(std::move(a));
  }

  void claim(std::size_t i, const InterfaceConfig& ic) {
    owner[i] = &ic;
    plan.assignments.emplace_back(links[i].name, ic.origin);
  }

  void apply(const InterfaceConfig& ic, const Link& link) {
    const std::string& dev = link.name;
    std::vector<std::string> up = ip({"link", "set", "dev", dev});
    std::string summary = dev + ": up";
    if (ic.mtu) {
      up.push_back("mtu");
      up.push_back(std::to_string(*ic.mtu));
      summary += " mtu " + std::to_string(*ic.mtu);
    }
    up.push_back("up");
    emit(ActionKind::link_up, dev, std::move(up), std::move(summary));
    if (ic.mtu) plan.actions.back().mtu = *ic.mtu;

    for (const auto& a : ic.addresses) {
      std::string cidr = a.address + "/" + std::to_string(a.prefix);
      emit(ActionKind::add_address, dev, ip({"addr", "add", cidr, "dev", dev}, a.family), dev + ": address " + cidr);
    }
    std::vector<std::string> host_routes_done;
    for (const auto& r : ic.routes) {
      std::string dest = r.is_default() ? "default" : r.destination + "/" + std::to_string(r.prefix);
      if (!r.gateway.empty()) {
        auto gw = parse_ip(r.gateway, r.family);
        if (!gw) {
          error(ic, "route via a malformed gateway (skipped)");
          continue;
        }
        bool link_local = gw->family == Family::v6 && gw->bytes[0] == 0xfe && (gw->bytes[1] & 0xc0) == 0x80;
        bool on_link = link_local || std::any_of(ic.addresses.begin(), ic.addresses.end(),
                                                 [&](const meta::Address& a) { return in_subnet(a, *gw); });
        // With DHCP the lease may bring the subnet: only static-only links get a host route.
        if (!on_link && ic.addresses.size() > 0 &&
            std::find(host_routes_done.begin(), host_routes_done.end(), gw->text) == host_routes_done.end()) {
          host_routes_done.push_back(gw->text);
          emit(ActionKind::add_route, dev, ip({"route", "add", gw->text, "dev", dev}, r.family),
               dev + ": route " + gw->text + " (gateway, on-link)");
        }
        emit(ActionKind::add_route, dev, ip({"route", "add", dest, "via", gw->text, "dev", dev}, r.family),
             dev + ": route " + dest + " via " + gw->text);
      } else {
        emit(ActionKind::add_route, dev, ip({"route", "add", dest, "dev", dev}, r.family), dev + ": route " + dest);
      }
    }
    if (ic.dhcp4) add_dhcp4(dev);
    if (ic.dhcp6) {
      Action a;
      a.kind = ActionKind::dhcp6;
      a.iface = dev;
      a.argv = udhcpc6_argv(dev, opt.dhcp6_script, opt.udhcpc6);
      a.summary = dev + ": DHCPv6";
      late.push_back(std::move(a));
    }
    if (ic.slaac) {
      Action a;
      a.kind = ActionKind::slaac;
      a.iface = dev;
      a.path = "/proc/sys/net/ipv6/conf/" + dev + "/accept_ra";
      a.content = "1\n";
      a.summary = dev + ": SLAAC (accept router advertisements)";
      late.push_back(std::move(a));
    }
    for (const auto& d : ic.dns) add_unique(nameservers, d);
    for (const auto& d : ic.search) add_unique(search, d);
  }

  void add_dhcp4(const std::string& dev) {
    Action a;
    a.kind = ActionKind::dhcp4;
    a.iface = dev;
    a.argv = udhcpc_argv(dev, opt.dhcp_script, opt.udhcpc);
    a.summary = dev + ": DHCPv4";
    late.push_back(std::move(a));
  }

  std::vector<std::size_t> match_specific(const InterfaceConfig& ic) {
    std::vector<std::size_t> out;
    if (!ic.match.mac.empty()) {
      auto want = normalize_mac(ic.match.mac);
      for (std::size_t i = 0; i < links.size(); ++i) {
        if (links[i].is_loopback) continue;
        auto have = normalize_mac(links[i].mac);
        if (want && have && *want == *have) out.push_back(i);
      }
      if (out.empty()) error(ic, "no interface with MAC " + (want ? *want : ic.match.mac));
      return out;
    }
    if (!ic.match.name.empty()) {
      bool glob = is_glob(ic.match.name);
      for (std::size_t i = 0; i < links.size(); ++i) {
        if (links[i].is_loopback) continue;
        bool hit = glob ? fnmatch(ic.match.name.c_str(), links[i].name.c_str(), 0) == 0 : links[i].name == ic.match.name;
        if (hit) out.push_back(i);
        if (hit && !glob) break;
      }
      if (out.empty()) error(ic, (glob ? "no interface matches " : "no interface named ") + ic.match.name);
      return out;
    }
    error(ic, "names neither a MAC nor an interface (skipped)");
    return out;
  }

  void run() {
    if (config.hostname) {
      Action a;
      a.kind = ActionKind::set_hostname;
      a.content = config.hostname->value;
      a.summary = "hostname " + config.hostname->value;
      plan.actions.push_back(std::move(a));
    }
    for (const auto& l : links) {
      if (l.is_loopback) emit(ActionKind::link_up, l.name, ip({"link", "set", "dev", l.name, "up"}), l.name + ": up");
    }

    const meta::NetworkConfig* net = config.network ? &config.network->value : nullptr;
    if (net) {
      // Specific configs first (they outrank "first" and "all" whatever the order).
      for (const auto& ic : net->interfaces) {
        if (ic.match.scope != MatchScope::specific) continue;
        for (std::size_t i : match_specific(ic)) {
          if (owner[i]) {
            error(ic, links[i].name + " is already configured by " + owner[i]->origin + " (skipped)", Severity::warning);
            continue;
          }
          claim(i, ic);
          apply(ic, links[i]);
        }
      }
      for (const auto& ic : net->interfaces) {
        if (ic.match.scope != MatchScope::first) continue;
        std::optional<std::size_t> pick;
        for (std::size_t i = 0; i < links.size() && !pick; ++i)
          if (!links[i].is_loopback && !owner[i] && links[i].has_carrier) pick = i;
        for (std::size_t i = 0; i < links.size() && !pick; ++i)
          if (!links[i].is_loopback && !owner[i]) pick = i;
        if (!pick) {
          error(ic, "no free interface for this configuration");
          continue;
        }
        claim(*pick, ic);
        apply(ic, links[*pick]);
      }
      for (const auto& ic : net->interfaces) {
        if (ic.match.scope != MatchScope::all) continue;
        for (std::size_t i = 0; i < links.size(); ++i) {
          if (links[i].is_loopback || owner[i]) continue;
          claim(i, ic);
          apply(ic, links[i]);
        }
      }
    }

    bool fallback = !net || net->auto_dhcp4;
    for (std::size_t i = 0; i < links.size() && fallback; ++i) {
      if (links[i].is_loopback || owner[i]) continue;
      if (net && !links[i].has_carrier) continue;
      plan.assignments.emplace_back(links[i].name, "dhcp fallback");
      emit(ActionKind::link_up, links[i].name, ip({"link", "set", "dev", links[i].name, "up"}), links[i].name + ": up");
      add_dhcp4(links[i].name);
    }

    for (auto& a : late) plan.actions.push_back(std::move(a));

    for (const auto& d : config.dns) add_unique(nameservers, d.value);
    for (const auto& d : config.search) add_unique(search, d.value);
    if (!nameservers.empty()) {
      Action a;
      a.kind = ActionKind::write_resolv_conf;
      a.path = opt.resolv_conf;
      a.content = render_resolv_conf(nameservers, search);
      a.summary = "resolv.conf: " + std::to_string(std::min<std::size_t>(nameservers.size(), 3)) + " nameserver(s)";
      plan.actions.push_back(std::move(a));
    }
  }
};

}  // namespace

NetPlan plan_network(const meta::Config& config, const std::vector<Link>& links, const PlanOptions& options) {
  Planner p(config, links, options);
  p.run();
  return std::move(p.plan);
}

std::string render_resolv_conf(const std::vector<std::string>& nameservers, const std::vector<std::string>& search) {
  std::string out = "# written by lifeboat\n";
  std::size_t n = 0;
  for (const auto& ns : nameservers) {
    if (n == 3) break;
    if (!parse_ip(ns)) continue;  // never write a line that is not an address
    out += "nameserver " + ns + "\n";
    ++n;
  }
  std::string s;
  std::size_t count = 0;
  for (const auto& d : search) {
    if (count == 6 || d.empty() || d.find_first_of(" \t\r\n") != std::string::npos) continue;
    if (s.size() + d.size() + 1 > 256) break;
    s += (s.empty() ? "" : " ") + d;
    ++count;
  }
  if (!s.empty()) out += "search " + s + "\n";
  return out;
}

}  // namespace lifeboat::net
