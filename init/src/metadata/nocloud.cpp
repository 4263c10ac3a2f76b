#include "metadata/nocloud.h"

#include "common/text.h"
#include "ssh/crypt_hash.h"
#include "metadata/json_guard.h"
#include "metadata/nocloud_doc.h"
#include "ssh/keys.h"

namespace lifeboat::meta {

using nocloud_detail::dot;
using nocloud_detail::idx;
using nocloud_detail::YDoc;

namespace {

constexpr const char* kSrc = "nocloud";

void add_key_line(PartialConfig& c, const std::string& line, const std::string& field, const YDoc& doc) {
  Errors key_errors;
  auto lines = ssh::check_authorized_keys_text(line, kSrc, field, key_errors);
  for (auto& e : key_errors) doc.error(e.field, e.message);
  for (auto& l : lines) ssh::append_unique_key(c.ssh_keys, AuthorizedKey{std::move(l), Source::nocloud});
}

// A string, or a list of strings: each an authorized_keys line (or several lines).
void add_keys_node(PartialConfig& c, const YamlNode* n, const std::string& field, const YDoc& doc) {
  if (!n || n->is_null()) return;
  if (n->is_scalar()) {
    add_key_line(c, n->value, field, doc);
  } else if (n->is_sequence()) {
    for (std::size_t i = 0; i < n->items.size(); ++i) {
      if (auto s = doc.str(&n->items[i], idx(field, i))) add_key_line(c, *s, idx(field, i), doc);
    }
  } else {
    doc.error(field, "expected a list, got a mapping");
  }
}

Password make_password(const std::string& value, bool is_hash) {
  Password pw;
  pw.source = Source::nocloud;
  if (is_hash) {
    pw.kind = PasswordKind::hash;
    pw.hash = value;
  } else {
    pw.kind = PasswordKind::plaintext;
    pw.plaintext = Secret(value);
  }
  return pw;
}

// Password fields are read without doc.str() so that no message can mention the value.
std::optional<std::string> secret_scalar(const YamlNode* n, const std::string& field, const YDoc& doc) {
  if (!n || n->is_null()) return std::nullopt;
  if (!n->is_scalar()) {
    doc.error(field, std::string("expected a string, got a ") + kind_name(*n));
    return std::nullopt;
  }
  if (n->value.empty() || n->value.size() > 4096) {
    doc.error(field, "empty or longer than 4 KiB (value not shown)");
    return std::nullopt;
  }
  return n->value;
}

bool is_root_or_default(const std::string& name) { return name == "root" || name == "default"; }

// chpasswd.users[] and chpasswd.list; the first root entry wins.
std::optional<Password> chpasswd_root(const YamlNode& ch, const YDoc& doc) {
  std::optional<Password> found;
  if (const YamlNode* users = doc.list(ch.get("users"), "chpasswd.users")) {
    for (std::size_t i = 0; i < users->items.size(); ++i) {
      std::string f = idx("chpasswd.users", i);
      const YamlNode* u = doc.map(&users->items[i], f);
      if (!u) continue;
      auto name = doc.str(u->get("name"), f + ".name");
      if (!name || *name != "root" || found) continue;
      auto type = doc.str(u->get("type"), f + ".type");
      if (type && *type == "RANDOM") {
        doc.error(f + ".type", "RANDOM passwords are not supported (ignored)", Severity::warning);
        continue;
      }
      auto pw = secret_scalar(u->get("password"), f + ".password", doc);
      if (!pw) continue;
      bool is_hash = type ? *type == "hash" : looks_like_crypt_hash(*pw);
      if (type && *type != "hash" && *type != "text") {
        doc.error(f + ".type", "expected hash or text (entry ignored)");
        continue;
      }
      if (is_hash && !looks_like_crypt_hash(*pw)) {
        doc.error(f + ".password", "type is hash but the value is not a crypt(3) hash (value not shown)");
        continue;
      }
      found = make_password(*pw, is_hash);
    }
  }
  if (found) return found;

  const YamlNode* list = ch.get("list");
  if (!list || list->is_null()) return std::nullopt;
  std::vector<std::string> entries;
  if (list->is_scalar()) {
    for (auto l : split_lines(list->value))
      if (!trim(l).empty()) entries.emplace_back(trim(l));
  } else if (list->is_sequence()) {
    for (const auto& item : list->items) {
      if (item.is_scalar()) entries.push_back(item.value);
      else doc.error("chpasswd.list", "expected strings \"user:password\"");
    }
  } else {
    doc.error("chpasswd.list", "expected a string or a list, got a mapping");
    return std::nullopt;
  }
  for (const auto& e : entries) {
    std::size_t colon = e.find(':');
    if (colon == std::string::npos) {
      doc.error("chpasswd.list", "expected \"user:password\" entries (value not shown)");
      continue;
    }
    if (e.substr(0, colon) != "root") continue;
    std::string pw = e.substr(colon + 1);
    if (pw == "R" || pw == "RANDOM") {
      doc.error("chpasswd.list", "RANDOM passwords are not supported (ignored)", Severity::warning);
      continue;
    }
    if (pw.empty()) continue;
    return make_password(pw, looks_like_crypt_hash(pw));
  }
  return std::nullopt;
}

void read_users(const YamlNode* users_node, PartialConfig& c, std::optional<Password>& user_pw, const YDoc& doc) {
  const YamlNode* users = doc.list(users_node, "users");
  if (!users) return;
  for (std::size_t i = 0; i < users->items.size(); ++i) {
    const YamlNode& u = users->items[i];
    std::string f = idx("users", i);
    if (u.is_scalar()) {
      if (u.value != "default")
        doc.error(f, "only root and default are used (ignored)", Severity::warning);
      continue;
    }
    if (!u.is_mapping()) {
      doc.error(f, "expected a mapping or \"default\"");
      continue;
    }
    auto name = doc.str(u.get("name"), f + ".name");
    if (!name || !is_root_or_default(*name)) {
      doc.error(f, "only root and default are used (ignored)", Severity::warning);
      continue;
    }
    add_keys_node(c, u.get("ssh_authorized_keys"), f + ".ssh_authorized_keys", doc);
    if (*name != "root" || user_pw) continue;
    for (const char* key : {"hashed_passwd", "passwd"}) {
      if (auto h = secret_scalar(u.get(key), f + "." + key, doc)) {
        if (looks_like_crypt_hash(*h)) {
          user_pw = make_password(*h, true);
          break;
        }
        doc.error(f + "." + key, "not a crypt(3) hash (value not shown)");
      }
    }
    if (!user_pw) {
      if (auto p = secret_scalar(u.get("plain_text_passwd"), f + ".plain_text_passwd", doc))
        user_pw = make_password(*p, false);
    }
  }
}

void read_host_keys(const YamlNode* n, PartialConfig& c, const YDoc& doc) {
  const YamlNode* keys = doc.map(n, "ssh_keys");
  if (!keys) return;
  for (const char* type : {"ed25519", "ecdsa", "rsa"}) {
    std::string key = std::string(type) + "_private";
    std::string field = "ssh_keys." + key;
    auto text = secret_scalar(keys->get(key), field, doc);
    if (!text) continue;
    if (text->find("-----BEGIN ") == std::string::npos || text->find("PRIVATE KEY-----") == std::string::npos) {
      doc.error(field, "not a PEM/OpenSSH private key (ignored, value not shown)");
      continue;
    }
    c.host_keys.push_back(HostKey{type, Secret(*text), Source::nocloud});
  }
}

}  // namespace

SourceResult parse_nocloud_meta_data(std::string_view text) {
  SourceResult r;
  r.config.source = Source::nocloud;
  YDoc doc{"meta-data", r.errors};
  if (trim(text).empty()) return r;
  auto root = doc.parse(text);
  if (!root || root->is_null()) return r;
  if (!root->is_mapping()) {
    doc.error("", std::string("expected a mapping, got a ") + kind_name(*root));
    return r;
  }
  PartialConfig& c = r.config;
  if (auto id = doc.str(root->get("instance-id"), "instance-id")) c.instance_id = *id;
  for (const char* key : {"local-hostname", "hostname"}) {
    if (c.hostname) break;
    if (auto h = doc.str(root->get(key), key)) {
      if (auto ok = usable_hostname(*h)) c.hostname = *ok;
      else doc.error(key, "not a valid hostname (ignored)", Severity::warning);
    }
  }
  const YamlNode* pk = root->get("public-keys");
  if (pk && pk->is_mapping()) {
    for (const auto& [name, value] : pk->entries) {
      std::string field = "public-keys." + safe_name(name);
      if (value.is_mapping()) add_keys_node(c, value.get("openssh-key"), field + ".openssh-key", doc);
      else add_keys_node(c, &value, field, doc);
    }
  } else {
    add_keys_node(c, pk, "public-keys", doc);
  }
  return r;
}

SourceResult parse_nocloud_user_data(std::string_view text) {
  SourceResult r;
  r.config.source = Source::nocloud;
  YDoc doc{"user-data", r.errors};
  if (trim(text).empty()) return r;
  // "#cloud-config" exactly (then whitespace or the end): not "#cloud-config-archive".
  std::string_view first_line = trim(text.substr(0, text.find('\n')));
  if (first_line.rfind("#cloud-config", 0) != 0 ||
      (first_line.size() > 13 && first_line[13] != ' ' && first_line[13] != '\t')) {
    r.errors.push_back(Error{kSrc, "user-data", "not #cloud-config, ignored", Severity::warning});
    return r;
  }
  auto root = doc.parse(text);
  if (!root || root->is_null()) return r;
  if (!root->is_mapping()) {
    doc.error("", std::string("expected a mapping, got a ") + kind_name(*root));
    return r;
  }
  PartialConfig& c = r.config;

  add_keys_node(c, root->get("ssh_authorized_keys"), "ssh_authorized_keys", doc);

  std::optional<Password> users_pw;
  read_users(root->get("users"), c, users_pw, doc);

  std::optional<Password> chpasswd_pw;
  if (const YamlNode* ch = doc.map(root->get("chpasswd"), "chpasswd")) chpasswd_pw = chpasswd_root(*ch, doc);

  std::optional<Password> plain_pw;
  if (auto pw = secret_scalar(root->get("password"), "password", doc)) plain_pw = make_password(*pw, looks_like_crypt_hash(*pw));

  if (chpasswd_pw) c.password = std::move(chpasswd_pw);
  else if (users_pw) c.password = std::move(users_pw);
  else if (plain_pw) c.password = std::move(plain_pw);

  for (const char* key : {"hostname", "fqdn"}) {
    if (c.hostname) break;
    if (auto h = doc.str(root->get(key), key)) {
      if (auto ok = usable_hostname(*h)) c.hostname = *ok;
      else doc.error(key, "not a valid hostname (ignored)", Severity::warning);
    }
  }
  read_host_keys(root->get("ssh_keys"), c, doc);
  return r;
}

SourceResult nocloud_config(std::string_view meta_data, std::string_view user_data,
                            std::optional<std::string_view> network_config) {
  SourceResult r = parse_nocloud_meta_data(meta_data);
  SourceResult u = parse_nocloud_user_data(user_data);
  PartialConfig& c = r.config;
  if (!c.hostname) c.hostname = std::move(u.config.hostname);
  c.password = std::move(u.config.password);
  for (auto& k : u.config.ssh_keys) ssh::append_unique_key(c.ssh_keys, std::move(k));
  for (auto& h : u.config.host_keys) c.host_keys.push_back(std::move(h));
  for (auto& e : u.errors) r.errors.push_back(std::move(e));
  if (network_config) {
    SourceResult n = parse_nocloud_network_config(*network_config);
    c.network = std::move(n.config.network);
    c.dns = std::move(n.config.dns);
    c.search = std::move(n.config.search);
    for (auto& e : n.errors) r.errors.push_back(std::move(e));
  }
  return r;
}

}  // namespace lifeboat::meta
