// NoCloud network-config v1 and v2 (see metadata/nocloud.h).
#include <algorithm>

#include "common/text.h"
#include "metadata/json_guard.h"
#include "metadata/nocloud.h"
#include "metadata/nocloud_doc.h"
#include "net/addr.h"

namespace lifeboat::meta {

using nocloud_detail::dot;
using nocloud_detail::idx;
using nocloud_detail::YDoc;

namespace {

void add_unique(std::vector<std::string>& list, const std::string& v) {
  if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(v);
}

// A string or a list of strings (nameserver addresses, search domains).
std::vector<std::string> string_list(const YamlNode* n, const std::string& field, const YDoc& doc) {
  std::vector<std::string> out;
  if (!n || n->is_null()) return out;
  if (n->is_scalar()) {
    for (auto w : split_ws(n->value)) {
      std::string s(w);
      if (!s.empty() && s.back() == ',') s.pop_back();
      if (!s.empty()) out.push_back(s);
    }
    return out;
  }
  if (!n->is_sequence()) {
    doc.error(field, std::string("expected a list, got a ") + kind_name(*n));
    return out;
  }
  for (std::size_t i = 0; i < n->items.size(); ++i)
    if (auto s = doc.str(&n->items[i], idx(field, i))) out.push_back(*s);
  return out;
}

void add_nameservers(const YamlNode* n, const std::string& field, std::vector<std::string>& out, const YDoc& doc) {
  auto list = string_list(n, field, doc);
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto ip = net::parse_ip(list[i]);
    if (!ip) doc.error(idx(field, i), "not an IP address");
    else add_unique(out, ip->text);
  }
}

void add_search(const YamlNode* n, const std::string& field, std::vector<std::string>& out, const YDoc& doc) {
  for (auto& s : string_list(n, field, doc)) {
    bool ok = s.size() <= 253;
    for (char c : s)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
        ok = false;
    if (!ok) doc.error(field, "not a domain name: " + safe_name(s));
    else add_unique(out, s);
  }
}

std::optional<int> read_mtu(const YamlNode* n, const std::string& field, const YDoc& doc) {
  if (!n || n->is_null()) return std::nullopt;
  long long v = 0;
  if (!yaml_int(*n, v) || v < 68 || v > 65535) {
    doc.error(field, "expected an integer 68-65535 (ignored)");
    return std::nullopt;
  }
  return static_cast<int>(v);
}

void add_default_route(const std::string& gw, const std::string& field, std::optional<Family> want,
                       InterfaceConfig& ic, const YDoc& doc) {
  auto ip = net::parse_ip(gw);
  if (!ip || (want && ip->family != *want)) {
    doc.error(field, want ? std::string("not an ") + to_string(*want) + " address" : "not an IP address");
    return;
  }
  ic.routes.push_back(Route{ip->family, ip->family == Family::v6 ? "::" : "0.0.0.0", 0, ip->text});
}

// ---- v1 ------------------------------------------------------------------------------------

void v1_route(const YamlNode& rt, const std::string& f, InterfaceConfig& ic, const YDoc& doc) {
  if (!rt.is_mapping()) {
    doc.error(f, std::string("expected a mapping, got a ") + kind_name(rt));
    return;
  }
  std::optional<Route> r;
  if (auto dest = doc.str(rt.get("destination"), f + ".destination")) {
    r = net::parse_route_destination(*dest);
  } else if (auto network = doc.str(rt.get("network"), f + ".network")) {
    auto ip = net::parse_ip(*network);
    std::optional<int> prefix;
    if (ip) {
      if (auto mask = doc.str(rt.get("netmask"), f + ".netmask")) prefix = net::parse_netmask(*mask, ip->family);
      else if (auto p = doc.str(rt.get("prefix"), f + ".prefix")) prefix = net::parse_prefix(*p, ip->family);
    }
    if (ip && prefix) r = Route{ip->family, net::network_of(*ip, *prefix), *prefix, ""};
  }
  if (!r) {
    doc.error(f, "needs destination (CIDR) or network + netmask (skipped)");
    return;
  }
  if (auto gw = doc.str(rt.get("gateway"), f + ".gateway")) {
    auto ip = net::parse_ip(*gw, r->family);
    if (!ip) {
      doc.error(f + ".gateway", std::string("not an ") + to_string(r->family) + " address (skipped)");
      return;
    }
    r->gateway = ip->text;
  }
  ic.routes.push_back(std::move(*r));
}

void v1_subnet(const YamlNode& s, const std::string& f, InterfaceConfig& ic, const YDoc& doc) {
  if (!s.is_mapping()) {
    doc.error(f, std::string("expected a mapping, got a ") + kind_name(s));
    return;
  }
  auto type = doc.str(s.get("type"), f + ".type");
  if (!type) {
    doc.error(f + ".type", "missing (skipped)");
    return;
  }
  const std::string& t = *type;
  if (t == "dhcp" || t == "dhcp4") ic.dhcp4 = true;
  else if (t == "dhcp6" || t == "ipv6_dhcpv6-stateful") ic.dhcp6 = true;
  else if (t == "ipv6_slaac") ic.slaac = true;
  else if (t == "ipv6_dhcpv6-stateless") ic.slaac = ic.dhcp6 = true;
  else if (t == "manual") {}
  else if (t == "static" || t == "static6") {
    auto addr_text = doc.str(s.get("address"), f + ".address");
    if (!addr_text) {
      doc.error(f + ".address", "missing for a static subnet (skipped)");
      return;
    }
    std::optional<Address> addr;
    if (addr_text->find('/') != std::string::npos) {
      addr = net::parse_cidr(*addr_text);
    } else {
      auto ip = net::parse_ip(*addr_text);
      std::optional<int> prefix;
      if (ip) {
        if (auto mask = doc.str(s.get("netmask"), f + ".netmask")) prefix = net::parse_netmask(*mask, ip->family);
        else if (auto p = doc.str(s.get("prefix"), f + ".prefix")) prefix = net::parse_prefix(*p, ip->family);
        else prefix = ip->family == Family::v6 ? 64 : 24;
        if (!prefix) {
          doc.error(f + ".netmask", "not a valid netmask (skipped)");
          return;
        }
        addr = Address{ip->family, ip->text, *prefix};
      }
    }
    if (!addr) {
      doc.error(f + ".address", "not an IP address or CIDR (skipped)");
      return;
    }
    ic.addresses.push_back(*addr);
    if (auto gw = doc.str(s.get("gateway"), f + ".gateway")) add_default_route(*gw, f + ".gateway", addr->family, ic, doc);
  } else {
    doc.error(f + ".type", "unsupported subnet type " + safe_name(t) + " (skipped)", Severity::warning);
    return;
  }
  add_nameservers(s.get("dns_nameservers"), f + ".dns_nameservers", ic.dns, doc);
  add_search(s.get("dns_search"), f + ".dns_search", ic.search, doc);
  if (const YamlNode* routes = doc.list(s.get("routes"), f + ".routes"))
    for (std::size_t i = 0; i < routes->items.size(); ++i) v1_route(routes->items[i], idx(f + ".routes", i), ic, doc);
}

void parse_v1(const YamlNode& root, SourceResult& r, const YDoc& doc) {
  const YamlNode* config = root.get("config");
  if (config && config->is_scalar() && config->value == "disabled") {
    doc.error("config", "disabled: lifeboat falls back to DHCP on links with a carrier", Severity::warning);
    return;
  }
  const YamlNode* list = doc.list(config, "config");
  if (!list) {
    if (!config) doc.error("config", "missing");
    return;
  }
  NetworkConfig net;
  for (std::size_t i = 0; i < list->items.size(); ++i) {
    const YamlNode& e = list->items[i];
    std::string f = idx("config", i);
    if (!e.is_mapping()) {
      doc.error(f, std::string("expected a mapping, got a ") + kind_name(e));
      continue;
    }
    auto type = doc.str(e.get("type"), f + ".type");
    if (!type) {
      doc.error(f + ".type", "missing (skipped)");
      continue;
    }
    if (*type == "nameserver") {
      add_nameservers(e.get("address"), f + ".address", r.config.dns, doc);
      add_search(e.get("search"), f + ".search", r.config.search, doc);
      continue;
    }
    if (*type != "physical") {
      doc.error(f, "type " + safe_name(*type) + " is unsupported (skipped)", Severity::warning);
      continue;
    }
    InterfaceConfig ic;
    if (auto mac = doc.str(e.get("mac_address"), f + ".mac_address")) {
      auto norm = net::normalize_mac(*mac);
      if (!norm) {
        doc.error(f + ".mac_address", "not a MAC address (skipped)");
        continue;
      }
      ic.match.mac = *norm;
      ic.origin = "network-config: " + f + ".mac_address";
    }
    if (auto name = doc.str(e.get("name"), f + ".name")) {
      if (!net::valid_ifname(*name)) {
        doc.error(f + ".name", "not an interface name (skipped)");
        continue;
      }
      ic.match.name = *name;
      if (ic.origin.empty()) ic.origin = "network-config: " + f + ".name";
    }
    if (ic.match.mac.empty() && ic.match.name.empty()) {
      doc.error(f, "needs mac_address or name (skipped)");
      continue;
    }
    ic.mtu = read_mtu(e.get("mtu"), f + ".mtu", doc);
    if (const YamlNode* subnets = doc.list(e.get("subnets"), f + ".subnets"))
      for (std::size_t k = 0; k < subnets->items.size(); ++k)
        v1_subnet(subnets->items[k], idx(f + ".subnets", k), ic, doc);
    net.interfaces.push_back(std::move(ic));
  }
  if (!net.interfaces.empty()) r.config.network = std::move(net);
}

// ---- v2 ------------------------------------------------------------------------------------

void v2_ethernet(const std::string& id, const YamlNode& e, const std::string& f, NetworkConfig& net, const YDoc& doc) {
  if (!e.is_mapping()) {
    doc.error(f, std::string("expected a mapping, got a ") + kind_name(e));
    return;
  }
  InterfaceConfig ic;
  if (const YamlNode* match = doc.map(e.get("match"), f + ".match")) {
    if (auto mac = doc.str(match->get("macaddress"), f + ".match.macaddress")) {
      auto norm = net::normalize_mac(*mac);
      if (!norm) {
        doc.error(f + ".match.macaddress", "not a MAC address (skipped)");
        return;
      }
      ic.match.mac = *norm;
      ic.origin = "network-config: " + f + ".match.macaddress";
    }
    if (auto name = doc.str(match->get("name"), f + ".match.name")) {
      if (name->empty() || name->size() > 15 || name->find('/') != std::string::npos) {
        doc.error(f + ".match.name", "not an interface name or pattern (skipped)");
        return;
      }
      ic.match.name = *name;  // may be a glob ("en*"): the planner understands * ? [...]
      if (ic.origin.empty()) ic.origin = "network-config: " + f + ".match.name";
    }
    if (ic.match.mac.empty() && ic.match.name.empty()) {
      doc.error(f + ".match", "needs macaddress or name (skipped)");
      return;
    }
  } else {
    if (!net::valid_ifname(id)) {
      doc.error(f, "the id is not an interface name and there is no match (skipped)");
      return;
    }
    ic.match.name = id;
    ic.origin = "network-config: " + f;
  }
  if (auto b = doc.boolean(e.get("dhcp4"), f + ".dhcp4")) ic.dhcp4 = *b;
  if (auto b = doc.boolean(e.get("dhcp6"), f + ".dhcp6")) ic.dhcp6 = *b;
  if (auto b = doc.boolean(e.get("accept-ra"), f + ".accept-ra")) ic.slaac = *b;
  ic.mtu = read_mtu(e.get("mtu"), f + ".mtu", doc);

  if (const YamlNode* addrs = doc.list(e.get("addresses"), f + ".addresses")) {
    for (std::size_t i = 0; i < addrs->items.size(); ++i) {
      const YamlNode& a = addrs->items[i];
      std::string af = idx(f + ".addresses", i);
      // An address may be "10.0.0.5/24" or a mapping {"10.0.0.5/24": {lifetime: 0}}.
      std::optional<std::string> text;
      if (a.is_mapping() && a.entries.size() == 1) text = a.entries[0].first;
      else text = doc.str(&a, af);
      if (!text) continue;
      auto addr = net::parse_cidr(*text);
      if (!addr) doc.error(af, "expected an address with a prefix length (10.0.0.5/24)");
      else ic.addresses.push_back(*addr);
    }
  }
  if (auto gw = doc.str(e.get("gateway4"), f + ".gateway4")) add_default_route(*gw, f + ".gateway4", Family::v4, ic, doc);
  if (auto gw = doc.str(e.get("gateway6"), f + ".gateway6")) add_default_route(*gw, f + ".gateway6", Family::v6, ic, doc);
  if (const YamlNode* routes = doc.list(e.get("routes"), f + ".routes")) {
    for (std::size_t i = 0; i < routes->items.size(); ++i) {
      std::string rf = idx(f + ".routes", i);
      const YamlNode* rt = doc.map(&routes->items[i], rf);
      if (!rt) continue;
      auto to = doc.str(rt->get("to"), rf + ".to");
      auto via = doc.str(rt->get("via"), rf + ".via");
      if (!to) {
        doc.error(rf + ".to", "missing (skipped)");
        continue;
      }
      std::optional<net::IpAddr> via_ip;
      if (via) {
        via_ip = net::parse_ip(*via);
        if (!via_ip) {
          doc.error(rf + ".via", "not an IP address (skipped)");
          continue;
        }
      }
      Family hint = via_ip ? via_ip->family : Family::v4;
      auto r = net::parse_route_destination(*to, hint);
      if (!r || (via_ip && via_ip->family != r->family)) {
        doc.error(rf + ".to", "not a destination (CIDR or default) of the gateway's family (skipped)");
        continue;
      }
      if (via_ip) r->gateway = via_ip->text;
      ic.routes.push_back(std::move(*r));
    }
  }
  if (const YamlNode* ns = doc.map(e.get("nameservers"), f + ".nameservers")) {
    add_nameservers(ns->get("addresses"), f + ".nameservers.addresses", ic.dns, doc);
    add_search(ns->get("search"), f + ".nameservers.search", ic.search, doc);
  }
  net.interfaces.push_back(std::move(ic));
}

void parse_v2(const YamlNode& root, SourceResult& r, const YDoc& doc) {
  for (const char* kind : {"bonds", "bridges", "vlans", "wifis", "tunnels", "vrfs", "modems"}) {
    const YamlNode* n = root.get(kind);
    if (n && !n->is_null()) doc.error(kind, "unsupported (skipped)", Severity::warning);
  }
  const YamlNode* eths = doc.map(root.get("ethernets"), "ethernets");
  if (!eths) return;
  NetworkConfig net;
  for (const auto& [id, e] : eths->entries) v2_ethernet(id, e, "ethernets." + safe_name(id), net, doc);
  if (!net.interfaces.empty()) r.config.network = std::move(net);
}

}  // namespace

SourceResult parse_nocloud_network_config(std::string_view text) {
  SourceResult r;
  r.config.source = Source::nocloud;
  YDoc doc{"network-config", r.errors};
  if (trim(text).empty()) return r;
  auto parsed = doc.parse(text);
  if (!parsed || parsed->is_null()) return r;
  const YamlNode* root = &*parsed;
  if (!root->is_mapping()) {
    doc.error("", std::string("expected a mapping, got a ") + kind_name(*root));
    return r;
  }
  if (const YamlNode* wrapped = root->get("network")) {
    if (!wrapped->is_mapping()) {
      doc.error("network", std::string("expected a mapping, got a ") + kind_name(*wrapped));
      return r;
    }
    root = wrapped;
  }
  long long version = 0;
  const YamlNode* v = root->get("version");
  if (v && !v->is_null()) {
    if (!yaml_int(*v, version) || (version != 1 && version != 2)) {
      doc.error("version", "expected 1 or 2");
      return r;
    }
  } else if (root->get("config")) {
    version = 1;
  } else if (root->get("ethernets")) {
    version = 2;
  } else {
    doc.error("version", "missing, and neither config (v1) nor ethernets (v2) found");
    return r;
  }
  if (version == 1) parse_v1(*root, r, doc);
  else parse_v2(*root, r, doc);
  return r;
}

}  // namespace lifeboat::meta
