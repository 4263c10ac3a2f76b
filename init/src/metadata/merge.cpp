// Precedence: cmdline > config-2 > nocloud > imds. See merge.h for the rules per value;
// the network config of the highest source that has one wins as a whole.
#include "metadata/merge.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "ssh/keys.h"

namespace lifeboat::meta {

int precedence(Source s) noexcept {
  switch (s) {
    case Source::cmdline: return 0;
    case Source::config_drive: return 1;
    case Source::nocloud: return 2;
    case Source::imds: return 3;
  }
  return 4;
}

namespace {

void add_sourced(std::vector<Sourced<std::string>>& list, const std::string& v, Source s) {
  for (const auto& e : list)
    if (e.value == v) return;
  list.push_back(Sourced<std::string>{v, s});
}

}  // namespace

Config merge(std::vector<PartialConfig> partials) {
  Config out;
  out.datasources = default_datasources();

  // Command-line-only settings first: they decide which other partials count.
  for (auto& p : partials) {
    if (p.source != Source::cmdline) continue;
    if (p.datasources) out.datasources = *p.datasources;
    if (p.ssh_port) out.ssh_port = Sourced<int>{*p.ssh_port, Source::cmdline};
    if (p.nocloud_seed) out.nocloud_seed = p.nocloud_seed;
  }
  auto enabled = [&](Source s) {
    return std::find(out.datasources.begin(), out.datasources.end(), s) != out.datasources.end();
  };

  std::stable_sort(partials.begin(), partials.end(), [](const PartialConfig& a, const PartialConfig& b) {
    return precedence(a.source) < precedence(b.source);
  });

  for (auto& p : partials) {
    if (!enabled(p.source)) continue;
    if (!out.hostname && p.hostname) out.hostname = Sourced<std::string>{*p.hostname, p.source};
    if (!out.password && p.password) {
      out.password = std::move(p.password);
      out.password->source = p.source;
    }
    for (auto& k : p.ssh_keys) {
      k.source = p.source;
      ssh::append_unique_key(out.ssh_keys, std::move(k));
    }
    if (out.host_keys.empty() && !p.host_keys.empty()) {
      for (auto& h : p.host_keys) {
        h.source = p.source;
        out.host_keys.push_back(std::move(h));
      }
    }
    if (!out.network && p.network) out.network = Sourced<NetworkConfig>{std::move(*p.network), p.source};
    for (const auto& d : p.dns) add_sourced(out.dns, d, p.source);
    for (const auto& d : p.search) add_sourced(out.search, d, p.source);
    if (!out.instance_id && p.instance_id) out.instance_id = Sourced<std::string>{*p.instance_id, p.source};
    out.random_seed += p.random_seed;
  }
  return out;
}

std::string render_provenance_json(const Config& c) {
  using nlohmann::json;
  json j = json::object();
  if (c.hostname) j["hostname"] = {{"value", c.hostname->value}, {"source", to_string(c.hostname->source)}};
  if (c.password) {
    j["password"] = {{"source", to_string(c.password->source)},
                     {"kind", c.password->kind == PasswordKind::hash ? "hash" : "plaintext-hashed"}};
  }
  json keys = json::array();
  for (const auto& k : c.ssh_keys) {
    json e = {{"source", to_string(k.source)}};
    auto p = ssh::parse_public_key(k.line);
    if (p.key) {
      e["type"] = p.key->type;
      e["fingerprint"] = ssh::fingerprint_sha256(p.key->blob);
      if (!p.key->comment.empty()) e["comment"] = p.key->comment;
      if (!p.key->options.empty()) e["options"] = true;
    }
    keys.push_back(std::move(e));
  }
  j["ssh_keys"] = std::move(keys);
  json host_keys = json::array();
  for (const auto& h : c.host_keys) host_keys.push_back({{"type", h.type}, {"source", to_string(h.source)}});
  j["host_keys"] = std::move(host_keys);
  if (c.network) {
    j["network"] = {{"source", to_string(c.network->source)},
                    {"interfaces", c.network->value.interfaces.size()},
                    {"auto_dhcp4", c.network->value.auto_dhcp4}};
  } else {
    j["network"] = {{"source", "default"}, {"interfaces", 0}, {"auto_dhcp4", true}};
  }
  json dns = json::array();
  for (const auto& d : c.dns) dns.push_back({{"address", d.value}, {"source", to_string(d.source)}});
  j["dns"] = std::move(dns);
  json search = json::array();
  for (const auto& d : c.search) search.push_back({{"domain", d.value}, {"source", to_string(d.source)}});
  j["search"] = std::move(search);
  if (c.ssh_port) j["ssh_port"] = {{"value", c.ssh_port->value}, {"source", to_string(c.ssh_port->source)}};
  else j["ssh_port"] = {{"value", kDefaultSshPort}, {"source", "default"}};
  if (c.instance_id) j["instance_id"] = {{"value", c.instance_id->value}, {"source", to_string(c.instance_id->source)}};
  json ds = json::array();
  for (auto s : c.datasources) ds.push_back(to_string(s));
  j["datasources"] = std::move(ds);
  // Key comments and ids come from providers: replace invalid UTF-8 instead of throwing.
  try {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
  } catch (...) {
    return "{}";
  }
}

}  // namespace lifeboat::meta
