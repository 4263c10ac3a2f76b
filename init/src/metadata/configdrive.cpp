#include "metadata/configdrive.h"

#include <algorithm>
#include <map>

#include "metadata/json_guard.h"
#include "net/addr.h"
#include "ssh/base64.h"
#include "ssh/keys.h"

namespace lifeboat::meta {

namespace {

using nlohmann::json;

constexpr const char* kSrc = "config-2";

const char* type_name(const json& j) noexcept {
  switch (j.type()) {
    case json::value_t::object: return "object";
    case json::value_t::array: return "array";
    case json::value_t::string: return "string";
    case json::value_t::boolean: return "boolean";
    case json::value_t::null: return "null";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return "number";
    default: return "value";
  }
}

// Error helper bound to one document.
struct Doc {
  std::string name;  // "openstack/latest/meta_data.json"
  Errors& errors;

  void error(const std::string& field, std::string message, Severity sev = Severity::error) {
    errors.push_back(Error{kSrc, field.empty() ? name : name + ": " + field, std::move(message), sev});
  }
  // The string at obj[key]; errors when present with another type or too long.
  std::optional<std::string> string(const json& obj, const char* key, const std::string& field) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) {
      error(field, std::string("expected string, got ") + type_name(*it));
      return std::nullopt;
    }
    const auto& s = it->get_ref<const std::string&>();
    if (s.size() > kMaxJsonString) {
      error(field, "longer than 64 KiB, ignored");
      return std::nullopt;
    }
    return s;
  }
  // The whole document, when it parses (parse_json_guarded's limits) and is an object.
  std::optional<json> object(std::string_view text) {
    auto parsed = parse_json_guarded(text, kSrc, name, errors);
    if (parsed && !parsed->is_object()) {
      error("", std::string("expected object, got ") + type_name(*parsed));
      parsed.reset();
    }
    return parsed;
  }
  const json* array(const json& obj, const char* key, const std::string& field) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    if (!it->is_array()) {
      error(field, std::string("expected array, got ") + type_name(*it));
      return nullptr;
    }
    return &*it;
  }
};

std::string idx(const std::string& base, std::size_t i) { return base + "[" + std::to_string(i) + "]"; }

void add_key(PartialConfig& c, const ssh::PublicKey& k) {
  ssh::append_unique_key(c.ssh_keys, AuthorizedKey{ssh::canonical_line(k), c.source});
}

}  // namespace

SourceResult parse_meta_data(std::string_view text) {
  SourceResult r;
  r.config.source = Source::config_drive;
  Doc doc{kMetaDataJson, r.errors};
  auto parsed = doc.object(text);
  if (!parsed) return r;
  const json& root = *parsed;
  PartialConfig& c = r.config;

  if (auto uuid = doc.string(root, "uuid", "uuid")) c.instance_id = *uuid;
  for (const char* key : {"hostname", "name"}) {
    if (c.hostname) break;
    if (auto h = doc.string(root, key, key)) {
      if (auto ok = usable_hostname(*h)) c.hostname = *ok;
      else doc.error(key, "not a valid hostname (ignored)", Severity::warning);
    }
  }

  // admin_pass: plaintext by definition. Never echoed, whatever its type.
  if (auto it = root.find("admin_pass"); it != root.end() && !it->is_null()) {
    if (!it->is_string()) {
      doc.error("admin_pass", std::string("expected string, got ") + type_name(*it));
    } else if (it->get_ref<const std::string&>().size() > 4096) {
      doc.error("admin_pass", "longer than 4 KiB, ignored");
    } else if (!it->get_ref<const std::string&>().empty()) {
      Password pw;
      pw.kind = PasswordKind::plaintext;
      pw.plaintext = Secret(it->get_ref<const std::string&>());
      pw.source = Source::config_drive;
      c.password = std::move(pw);
    }
  }

  if (auto it = root.find("public_keys"); it != root.end() && !it->is_null()) {
    if (!it->is_object()) {
      doc.error("public_keys", std::string("expected object, got ") + type_name(*it));
    } else {
      for (auto kv = it->begin(); kv != it->end(); ++kv) {
        std::string field = "public_keys." + safe_name(kv.key());
        if (!kv.value().is_string()) {
          doc.error(field, std::string("expected string, got ") + type_name(kv.value()));
          continue;
        }
        Errors key_errors;
        if (auto k = ssh::check_authorized_key(kv.value().get_ref<const std::string&>(), kSrc, field, key_errors)) {
          add_key(c, *k);
        }
        for (auto& e : key_errors) doc.error(field, e.message);
      }
    }
  }

  if (const json* keys = doc.array(root, "keys", "keys")) {
    for (std::size_t i = 0; i < keys->size(); ++i) {
      const json& k = (*keys)[i];
      std::string field = idx("keys", i);
      if (!k.is_object()) {
        doc.error(field, std::string("expected object, got ") + type_name(k));
        continue;
      }
      auto type = doc.string(k, "type", field + ".type");
      if (type && *type != "ssh") continue;  // x509 keypairs are not SSH keys
      auto data = doc.string(k, "data", field + ".data");
      if (!data) continue;
      auto name = doc.string(k, "name", field + ".name");
      std::string kfield = name ? "keys." + safe_name(*name) : field;
      Errors key_errors;
      if (auto pk = ssh::check_authorized_key(*data, kSrc, kfield, key_errors)) add_key(c, *pk);
      for (auto& e : key_errors) doc.error(kfield, e.message);
    }
  }

  if (auto seed = doc.string(root, "random_seed", "random_seed")) {
    auto bytes = ssh::base64_decode_lenient(*seed);
    if (!bytes) doc.error("random_seed", "not valid base64 (ignored)", Severity::warning);
    else c.random_seed = std::move(*bytes);
  }
  return r;
}

namespace {

struct LinkInfo {
  std::string type;
  std::string mac;  // normalized, "" when missing/invalid
  std::optional<int> mtu;
  std::size_t index = 0;
  bool unsupported = false;
  bool usable = false;
};

bool is_unsupported_link_type(const std::string& t) { return t == "bond" || t == "vlan"; }

void parse_route(const json& rt, const std::string& field, Family family, InterfaceConfig& ic, Doc& doc) {
  if (!rt.is_object()) {
    doc.error(field, std::string("expected object, got ") + type_name(rt));
    return;
  }
  auto network = doc.string(rt, "network", field + ".network");
  auto netmask = doc.string(rt, "netmask", field + ".netmask");
  auto gateway = doc.string(rt, "gateway", field + ".gateway");
  if (!network) {
    doc.error(field + ".network", "missing");
    return;
  }
  auto net_ip = net::parse_ip(*network);
  if (!net_ip) {
    doc.error(field + ".network", "not an IP address");
    return;
  }
  std::optional<int> prefix;
  if (netmask) prefix = net::parse_netmask(*netmask, net_ip->family);
  else if (family == net_ip->family) prefix = net_ip->family == Family::v6 ? 128 : 32;
  if (!prefix) {
    doc.error(field + ".netmask", "not a valid netmask");
    return;
  }
  Route r{net_ip->family, net::network_of(*net_ip, *prefix), *prefix, ""};
  if (gateway) {
    auto gw = net::parse_ip(*gateway, net_ip->family);
    if (!gw) {
      doc.error(field + ".gateway", std::string("not an ") + to_string(net_ip->family) + " address");
      return;
    }
    r.gateway = gw->text;
  }
  ic.routes.push_back(std::move(r));
}

void parse_dns_services(const json& services, const std::string& field, std::vector<std::string>& out, Doc& doc) {
  for (std::size_t i = 0; i < services.size(); ++i) {
    const json& s = services[i];
    std::string f = idx(field, i);
    if (!s.is_object()) {
      doc.error(f, std::string("expected object, got ") + type_name(s));
      continue;
    }
    auto type = doc.string(s, "type", f + ".type");
    if (!type || *type != "dns") continue;
    auto addr = doc.string(s, "address", f + ".address");
    if (!addr) continue;
    auto ip = net::parse_ip(*addr);
    if (!ip) {
      doc.error(f + ".address", "not an IP address");
      continue;
    }
    if (std::find(out.begin(), out.end(), ip->text) == out.end()) out.push_back(ip->text);
  }
}

}  // namespace

SourceResult parse_network_data(std::string_view text) {
  SourceResult r;
  r.config.source = Source::config_drive;
  Doc doc{kNetworkDataJson, r.errors};
  auto parsed = doc.object(text);
  if (!parsed) return r;
  const json& root = *parsed;

  std::map<std::string, LinkInfo> links;
  if (const json* arr = doc.array(root, "links", "links")) {
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const json& l = (*arr)[i];
      std::string field = idx("links", i);
      if (!l.is_object()) {
        doc.error(field, std::string("expected object, got ") + type_name(l));
        continue;
      }
      auto id = doc.string(l, "id", field + ".id");
      if (!id) {
        doc.error(field + ".id", "missing");
        continue;
      }
      LinkInfo info;
      info.index = i;
      info.type = doc.string(l, "type", field + ".type").value_or("phy");
      if (is_unsupported_link_type(info.type)) {
        doc.error(field, "link type " + safe_name(info.type) + " is unsupported (skipped)", Severity::warning);
        info.unsupported = true;
      } else {
        auto mac = doc.string(l, "ethernet_mac_address", field + ".ethernet_mac_address");
        if (!mac) {
          doc.error(field + ".ethernet_mac_address", "missing: links are matched by MAC only (skipped)");
        } else if (auto norm = net::normalize_mac(*mac)) {
          info.mac = *norm;
          info.usable = true;
        } else {
          doc.error(field + ".ethernet_mac_address", "not a MAC address (skipped)");
        }
        if (auto it = l.find("mtu"); it != l.end() && !it->is_null()) {
          if (!it->is_number_integer() || it->get<long long>() < 68 || it->get<long long>() > 65535) {
            doc.error(field + ".mtu", "expected an integer 68-65535 (ignored)");
          } else {
            info.mtu = static_cast<int>(it->get<long long>());
          }
        }
      }
      if (links.count(*id)) {
        doc.error(field + ".id", "duplicate link id (skipped)");
        continue;
      }
      links.emplace(*id, std::move(info));
    }
  }

  std::vector<InterfaceConfig> interfaces;
  std::map<std::string, std::size_t> iface_of_link;
  if (const json* arr = doc.array(root, "networks", "networks")) {
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const json& n = (*arr)[i];
      std::string field = idx("networks", i);
      if (!n.is_object()) {
        doc.error(field, std::string("expected object, got ") + type_name(n));
        continue;
      }
      auto link_id = doc.string(n, "link", field + ".link");
      auto type = doc.string(n, "type", field + ".type");
      if (!link_id || !type) {
        doc.error(field, "needs link and type (skipped)");
        continue;
      }
      auto lit = links.find(*link_id);
      if (lit == links.end()) {
        doc.error(field + ".link", "no link with this id (skipped)");
        continue;
      }
      const LinkInfo& link = lit->second;
      if (link.unsupported) {
        doc.error(field, "on an unsupported " + safe_name(link.type) + " link (skipped)", Severity::warning);
        continue;
      }
      if (!link.usable) continue;  // already reported on the link

      InterfaceConfig scratch;
      const std::string& t = *type;
      Family family = t.rfind("ipv6", 0) == 0 ? Family::v6 : Family::v4;
      if (t == "ipv4" || t == "ipv6") {
        auto ip_text = doc.string(n, "ip_address", field + ".ip_address");
        if (!ip_text) {
          doc.error(field + ".ip_address", "missing for a static network (skipped)");
          continue;
        }
        auto mask = doc.string(n, "netmask", field + ".netmask");
        std::optional<Address> addr;
        if (ip_text->find('/') != std::string::npos) {
          addr = net::parse_cidr(*ip_text);
        } else if (mask) {
          auto ip = net::parse_ip(*ip_text, family);
          auto prefix = net::parse_netmask(*mask, family);
          if (ip && !prefix) {
            doc.error(field + ".netmask", "not a valid netmask (skipped)");
            continue;
          }
          if (ip) addr = Address{ip->family, ip->text, *prefix};
        } else {
          doc.error(field + ".netmask", "missing (skipped)");
          continue;
        }
        if (!addr || addr->family != family) {
          doc.error(field + ".ip_address", std::string("not an ") + to_string(family) + " address (skipped)");
          continue;
        }
        scratch.addresses.push_back(*addr);
      } else if (t == "ipv4_dhcp") {
        scratch.dhcp4 = true;
      } else if (t == "ipv6_dhcp" || t == "ipv6_dhcpv6-stateful") {
        scratch.dhcp6 = true;
      } else if (t == "ipv6_slaac") {
        scratch.slaac = true;
      } else if (t == "ipv6_dhcpv6-stateless") {
        scratch.slaac = true;
        scratch.dhcp6 = true;
      } else {
        doc.error(field + ".type", "unsupported network type " + safe_name(t) + " (skipped)", Severity::warning);
        continue;
      }
      if (const json* routes = doc.array(n, "routes", field + ".routes")) {
        for (std::size_t k = 0; k < routes->size(); ++k)
          parse_route((*routes)[k], idx(field + ".routes", k), family, scratch, doc);
      }
      if (const json* services = doc.array(n, "services", field + ".services"))
        parse_dns_services(*services, field + ".services", scratch.dns, doc);

      auto [pos, inserted] = iface_of_link.emplace(*link_id, interfaces.size());
      if (inserted) {
        InterfaceConfig ic;
        ic.match.mac = link.mac;
        ic.origin = "network_data.json: links[" + std::to_string(link.index) + "].ethernet_mac_address";
        ic.mtu = link.mtu;
        interfaces.push_back(std::move(ic));
      }
      InterfaceConfig& ic = interfaces[pos->second];
      ic.dhcp4 |= scratch.dhcp4;
      ic.dhcp6 |= scratch.dhcp6;
      ic.slaac |= scratch.slaac;
      for (auto& a : scratch.addresses) ic.addresses.push_back(std::move(a));
      for (auto& rt : scratch.routes) ic.routes.push_back(std::move(rt));
      for (auto& d : scratch.dns)
        if (std::find(ic.dns.begin(), ic.dns.end(), d) == ic.dns.end()) ic.dns.push_back(d);
    }
  }

  if (const json* services = doc.array(root, "services", "services"))
    parse_dns_services(*services, "services", r.config.dns, doc);

  if (!interfaces.empty()) {
    NetworkConfig net;
    net.interfaces = std::move(interfaces);
    r.config.network = std::move(net);
  }
  return r;
}

SourceResult config_drive_config(std::optional<std::string_view> meta_data,
                                 std::optional<std::string_view> network_data) {
  SourceResult r;
  r.config.source = Source::config_drive;
  if (meta_data) r = parse_meta_data(*meta_data);
  if (network_data) {
    SourceResult n = parse_network_data(*network_data);
    r.config.network = std::move(n.config.network);
    r.config.dns = std::move(n.config.dns);
    for (auto& e : n.errors) r.errors.push_back(std::move(e));
  }
  return r;
}

}  // namespace lifeboat::meta
