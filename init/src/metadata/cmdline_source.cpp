#include "metadata/cmdline_source.h"

#include <algorithm>

#include "common/text.h"
#include "ssh/crypt_hash.h"
#include "metadata/ip_param.h"
#include "net/addr.h"
#include "ssh/base64.h"
#include "ssh/keys.h"

namespace lifeboat::meta {

namespace {

constexpr const char* kSrc = "cmdline";

void error(Errors& errors, std::string_view field, std::string message, Severity sev = Severity::error) {
  errors.push_back(Error{kSrc, std::string(field), std::move(message), sev});
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool printable_text(std::string_view s) noexcept {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\r' && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

// lifeboat.ssh_key: plain (quoted on the command line), URL-encoded, or base64 text.
std::optional<std::string> decode_ssh_key_value(std::string_view v) {
  std::string_view first = v.substr(0, v.find_first_of(" \t%"));
  if (v.find('%') != std::string_view::npos) return url_decode(v);
  if (ssh::is_supported_key_type(first) || v.find(' ') != std::string_view::npos) return std::string(v);
  std::string b(v);
  std::replace(b.begin(), b.end(), '-', '+');  // URL-safe alphabet too
  std::replace(b.begin(), b.end(), '_', '/');
  auto decoded = ssh::base64_decode_lenient(b);
  if (!decoded || decoded->empty() || !printable_text(*decoded)) return std::nullopt;
  return decoded;
}

void add_ssh_keys(const CmdlineParam& p, std::string_view field, PartialConfig& c, Errors& errors) {
  if (p.value.empty()) {
    error(errors, field, "expected authorized_keys line(s), got no value");
    return;
  }
  auto text = decode_ssh_key_value(p.value);
  if (!text) {
    error(errors, field, "expected URL-encoded or base64 authorized_keys line(s) (value not shown)");
    return;
  }
  std::size_t before = errors.size();
  auto lines = ssh::check_authorized_keys_text(*text, kSrc, field, errors);
  if (lines.empty() && errors.size() == before) error(errors, field, "no key found");
  for (auto& l : lines) ssh::append_unique_key(c.ssh_keys, AuthorizedKey{std::move(l), Source::cmdline});
}

void parse_datasources(const CmdlineParam& p, PartialConfig& c, Errors& errors) {
  std::vector<Source> list;
  bool ok = true;
  std::string_view rest = p.value;
  while (true) {
    std::size_t comma = rest.find(',');
    std::string_view name = trim(rest.substr(0, comma));
    if (!name.empty()) {
      auto s = source_from_name(name);
      if (!s) {
        error(errors, p.key, "unknown datasource " + quoted(name) + " (expected cmdline|configdrive|nocloud|imds)");
        ok = false;
      } else if (std::find(list.begin(), list.end(), *s) == list.end()) {
        list.push_back(*s);
      }
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (!ok) return;  // keep the default: a typo must not silently disable a source
  if (list.empty()) {
    error(errors, p.key, "expected a comma-separated list of cmdline|configdrive|nocloud|imds");
    return;
  }
  c.datasources = std::move(list);
}

void parse_ds(const CmdlineParam& p, PartialConfig& c, Errors& errors) {
  std::string_view v = p.value;
  std::size_t semi = v.find(';');
  std::string_view mode = v.substr(0, semi);
  if (mode != "nocloud" && mode != "nocloud-net") {
    error(errors, p.key, "only nocloud and nocloud-net are understood, got " + quoted(mode) + " (ignored)",
          Severity::warning);
    return;
  }
  NocloudSeed seed;
  seed.mode = std::string(mode);
  std::string_view rest = semi == std::string_view::npos ? std::string_view() : v.substr(semi + 1);
  while (!rest.empty()) {
    std::size_t next = rest.find(';');
    std::string_view kv = rest.substr(0, next);
    rest.remove_prefix(next == std::string_view::npos ? rest.size() : next + 1);
    std::size_t eq = kv.find('=');
    std::string_view k = kv.substr(0, eq);
    std::string_view val = eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1);
    if (k == "s" || k == "seedfrom") {
      if (val.rfind("file://", 0) == 0) val.remove_prefix(7);
      if (val.empty()) {
        error(errors, p.key, "empty seed location in " + quoted(v));
        return;
      }
      seed.url = std::string(val);
    }
    // i=, h= and other keys: ignored (meta-data supplies them).
  }
  c.nocloud_seed = std::move(seed);
}

void parse_ifname(const CmdlineParam& p, std::vector<std::pair<std::string, std::string>>& map, Errors& errors) {
  std::size_t colon = p.value.find(':');
  std::string_view name = std::string_view(p.value).substr(0, colon);
  auto mac = colon == std::string::npos ? std::nullopt : net::normalize_mac(std::string_view(p.value).substr(colon + 1));
  if (!net::valid_ifname(name) || !mac) {
    error(errors, p.key, "expected <interface>:<mac>, got " + quoted(p.value));
    return;
  }
  map.emplace_back(std::string(name), *mac);
}

// Folds ip= configs for the same device (e.g. one IPv4 and one IPv6 ip=) into one.
void add_interface(std::vector<InterfaceConfig>& list, InterfaceConfig&& ic) {
  for (auto& e : list) {
    if (e.match == ic.match) {
      e.dhcp4 |= ic.dhcp4;
      e.dhcp6 |= ic.dhcp6;
      e.slaac |= ic.slaac;
      e.addresses.insert(e.addresses.end(), ic.addresses.begin(), ic.addresses.end());
      e.routes.insert(e.routes.end(), ic.routes.begin(), ic.routes.end());
      e.dns.insert(e.dns.end(), ic.dns.begin(), ic.dns.end());
      if (ic.mtu) e.mtu = ic.mtu;
      return;
    }
  }
  list.push_back(std::move(ic));
}

}  // namespace

std::optional<std::string> url_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '%') {
      out += c;
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    char d = static_cast<char>(hi * 16 + lo);
    if (d == '\0') return std::nullopt;
    out += d;
    i += 2;
  }
  return out;
}

SourceResult config_from_cmdline(const Cmdline& cmdline) {
  SourceResult r;
  PartialConfig& c = r.config;
  c.source = Source::cmdline;
  Errors& errors = r.errors;

  std::size_t ip_count = 0, key_count = 0;
  for (const auto& p : cmdline.params) {
    if (p.key == "ip") ++ip_count;
    if (p.key == "lifeboat.ssh_key") ++key_count;
  }

  std::vector<InterfaceConfig> interfaces;
  bool have_ip = false, ip_off = false;
  std::string ip_hostname;
  std::vector<std::pair<std::string, std::string>> ifnames;
  std::optional<Password> hash_pw, plain_pw;
  std::size_t ip_index = 0, key_index = 0;

  for (const auto& p : cmdline.params) {
    const std::string& k = p.key;
    if (k == "ip") {
      std::string origin = ip_count > 1 ? "ip[" + std::to_string(ip_index) + "]" : "ip";
      ++ip_index;
      IpParam ip;
      if (!parse_ip_param(p.has_value ? std::string_view(p.value) : std::string_view(), origin, ip, errors)) continue;
      have_ip = true;
      if (ip.off) ip_off = true;
      if (ip.has_interface) add_interface(interfaces, std::move(ip.interface));
      if (!ip.hostname.empty()) ip_hostname = ip.hostname;
    } else if (k == "ifname") {
      parse_ifname(p, ifnames, errors);
    } else if (k == "nameserver") {
      auto ip = net::parse_ip(p.value);
      if (!ip) error(errors, k, "expected an IP address, got " + quoted(p.value));
      else if (std::find(c.dns.begin(), c.dns.end(), ip->text) == c.dns.end()) c.dns.push_back(ip->text);
    } else if (k == "lifeboat.password_hash") {
      if (!looks_like_crypt_hash(p.value)) {
        error(errors, k, "expected a crypt(3) hash like $6$salt$hash or $y$...$...$... (value not shown)");
        continue;
      }
      Password pw;
      pw.kind = PasswordKind::hash;
      pw.hash = p.value;
      pw.source = Source::cmdline;
      hash_pw = std::move(pw);
    } else if (k == "lifeboat.password") {
      if (p.value.empty()) {
        error(errors, k, "empty password refused");
        continue;
      }
      Password pw;
      pw.kind = PasswordKind::plaintext;
      pw.plaintext = Secret(p.value);
      pw.source = Source::cmdline;
      plain_pw = std::move(pw);
    } else if (k == "lifeboat.ssh_key") {
      std::string field = key_count > 1 ? k + "[" + std::to_string(key_index) + "]" : k;
      ++key_index;
      add_ssh_keys(p, field, c, errors);
    } else if (k == "lifeboat.hostname") {
      if (valid_hostname(p.value)) c.hostname = p.value;
    } else if (k == "lifeboat.datasource") {
      parse_datasources(p, c, errors);
    } else if (k == "ds") {
      parse_ds(p, c, errors);
    } else if (k == "lifeboat.ssh_port") {
      long long port = 0;
      if (!parse_int(p.value, port) || port < 1 || port > 65535) {
        error(errors, k, "expected a port number 1-65535, got " + quoted(p.value));
      } else {
        c.ssh_port = static_cast<int>(port);
      }
    }
  }

  if (hash_pw) {
    c.password = std::move(hash_pw);
    if (plain_pw) error(errors, "lifeboat.password", "ignored: lifeboat.password_hash is set", Severity::warning);
  } else if (plain_pw) {
    c.password = std::move(plain_pw);
    error(errors, "lifeboat.password",
          "plaintext password on the kernel command line (readable in /proc/cmdline); prefer lifeboat.password_hash",
          Severity::warning);
  }
  if (!c.hostname && !ip_hostname.empty() && valid_hostname(ip_hostname)) c.hostname = ip_hostname;

  if (have_ip) {
    for (auto& ic : interfaces) {
      if (!ic.match.mac.empty() || ic.match.name.empty()) continue;
      for (const auto& [name, mac] : ifnames)
        if (name == ic.match.name) ic.match.mac = mac;
    }
    NetworkConfig net;
    net.interfaces = std::move(interfaces);
    net.auto_dhcp4 = !ip_off;
    c.network = std::move(net);
  }
  if (c.datasources &&
      std::find(c.datasources->begin(), c.datasources->end(), Source::cmdline) == c.datasources->end() &&
      (c.password || !c.ssh_keys.empty() || c.network || c.hostname)) {
    error(errors, "lifeboat.datasource",
          "cmdline is not listed: password, keys, hostname and ip= from the command line are ignored",
          Severity::warning);
  }
  return r;
}

}  // namespace lifeboat::meta
