#include "metadata/imds.h"

#include "common/text.h"
#include "metadata/json_guard.h"
#include "ssh/keys.h"

namespace lifeboat::meta {

namespace {

constexpr const char* kSrc = "imds";

bool header_safe(std::string_view v) noexcept {
  if (v.empty()) return false;
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
  }
  return true;
}

}  // namespace

std::string imds_token_request(int ttl_seconds) {
  if (ttl_seconds < 1 || ttl_seconds > 21600) ttl_seconds = kImdsTokenTtl;
  std::string r = "PUT ";
  r += kTokenPath;
  r += " HTTP/1.1\r\nHost: ";
  r += kImdsAddress;
  r += "\r\nUser-Agent: lifeboat\r\nX-aws-ec2-metadata-token-ttl-seconds: ";
  r += std::to_string(ttl_seconds);
  r += "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  return r;
}

std::optional<Secret> imds_get_request(std::string_view path, const Secret& token) {
  if (path.empty() || path.front() != '/' || path.size() > 1024 || !header_safe(path)) return std::nullopt;
  if (token.size() > 4096 || !header_safe(token.reveal())) return std::nullopt;
  std::string r = "GET ";
  r.reserve(200 + path.size() + token.size());
  r += path;
  r += " HTTP/1.1\r\nHost: ";
  r += kImdsAddress;
  r += "\r\nUser-Agent: lifeboat\r\nX-aws-ec2-metadata-token: ";
  r += token.reveal();
  r += "\r\nConnection: close\r\n\r\n";
  Secret out(r);
  wipe(r);
  return out;
}

TokenResult imds_token_from(const HttpResponse& response) {
  TokenResult t;
  int s = response.status;
  if (s == 401 || s == 403 || s == 404 || s == 405) {
    t.outcome = TokenOutcome::not_imds;
    t.detail = "HTTP " + std::to_string(s);
    return t;
  }
  if (s != 200) {
    t.detail = "HTTP " + std::to_string(s);
    return t;
  }
  std::string_view body = trim(response.body);
  if (body.empty()) {
    t.detail = "empty token";
    return t;
  }
  if (body.size() > 4096 || !header_safe(body)) {
    t.detail = "malformed token";
    return t;
  }
  t.outcome = TokenOutcome::token;
  t.token = Secret(body);
  return t;
}

std::vector<ImdsKeyIndex> parse_public_keys_index(std::string_view body, Errors& errors) {
  std::vector<ImdsKeyIndex> out;
  std::size_t n = 0;
  for (auto raw : split_lines(body)) {
    std::string_view line = trim(raw);
    if (line.empty()) continue;
    std::string field = std::string(kPublicKeysPath) + " line " + std::to_string(++n);
    std::size_t eq = line.find('=');
    long long idx = 0;
    if (eq == std::string_view::npos || !parse_int(line.substr(0, eq), idx) || idx < 0 || idx > 9999) {
      errors.push_back(Error{kSrc, field, "expected <index>=<name>"});
      continue;
    }
    if (out.size() >= 100) {
      errors.push_back(Error{kSrc, kPublicKeysPath, "more than 100 keys, the rest ignored", Severity::warning});
      break;
    }
    out.push_back(ImdsKeyIndex{static_cast<int>(idx), safe_name(line.substr(eq + 1))});
  }
  return out;
}

std::string imds_public_key_path(int index) {
  return std::string(kPublicKeysPath) + std::to_string(index) + "/openssh-key";
}

SourceResult imds_config(const ImdsData& data) {
  SourceResult r;
  PartialConfig& c = r.config;
  c.source = Source::imds;
  if (data.instance_id) {
    std::string_view id = trim(*data.instance_id);
    if (!id.empty() && id.size() <= 256) c.instance_id = std::string(id);
  }
  if (data.local_hostname) {
    std::string_view h = trim(*data.local_hostname);
    if (auto ok = usable_hostname(h)) c.hostname = *ok;
    else if (!h.empty())
      r.errors.push_back(Error{kSrc, kLocalHostnamePath, "not a valid hostname (ignored)", Severity::warning});
  }
  for (const auto& k : data.keys) {
    std::string field = imds_public_key_path(k.index.index);
    auto lines = ssh::check_authorized_keys_text(k.body, kSrc, field, r.errors);
    for (auto& l : lines) ssh::append_unique_key(c.ssh_keys, AuthorizedKey{std::move(l), Source::imds});
  }
  return r;
}

}  // namespace lifeboat::meta
