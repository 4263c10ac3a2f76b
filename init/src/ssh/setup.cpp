#include "ssh/setup.h"

#include <fcntl.h>
#include <unistd.h>

#if !defined(__GLIBC__)
#include <crypt.h>  // musl: crypt() is in libc
#endif

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/text.h"
#include "ssh/crypt_hash.h"
#include "ssh/keys.h"
#include "ssh/shadow.h"

namespace lifeboat::ssh {

namespace {

constexpr const char* kSaltAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

std::string describe_run(const std::vector<std::string>& argv, const RunResult& r) {
  std::string s(path_basename(argv.empty() ? std::string_view() : std::string_view(argv[0])));
  s += ": " + r.describe();
  for (auto line : split_lines(r.output)) {
    auto t = trim(line);
    if (!t.empty()) {
      s += ": " + std::string(t.substr(0, 120));
      break;
    }
  }
  return s;
}

RunResult run_captured(Supervisor& sup, std::vector<std::string> argv, int timeout_ms) {
  RunSpec rs;
  rs.argv = std::move(argv);
  rs.timeout_ms = timeout_ms;
  rs.capture = Capture::string;
  rs.capture_limit = 16 * 1024;
  return sup.run(rs);
}

const meta::HostKey* provider_key(const meta::Config& c, std::string_view type) {
  for (const auto& h : c.host_keys)
    if (h.type == type) return &h;
  return nullptr;
}

// Converts a provider's OpenSSH private key into Dropbear's format at `path`.
bool convert_provider_key(sys::Sys& sys, Supervisor& sup, const meta::HostKey& key, const std::string& path,
                          const SshSetupOptions& o, SshSetup& s) {
  const std::string field = "host_keys." + key.type;
  if (!sys.exists(o.dropbearconvert)) {
    s.errors.push_back(Error{"ssh", field,
                             std::string("provided by ") + meta::to_string(key.source) +
                                 ", but this image has no dropbearconvert: a generated key is used",
                             Severity::warning});
    return false;
  }
  auto st = sys.mkdir_p(o.scratch_dir, 0700);
  const std::string tmp = o.scratch_dir + "/provider-host-key." + key.type;
  if (st.ok()) st = sys.write_file(tmp, key.private_key.reveal(), 0600);
  if (!st.ok()) {
    s.errors.push_back(Error{"ssh", field, std::string("cannot stage the key: ") + sys::error_text(st.err)});
    (void)sys.unlink(tmp);
    return false;
  }
  (void)sys.unlink(path);  // dropbearconvert will not overwrite; ENOENT is the usual answer
  auto argv = dropbearconvert_argv(tmp, path, o.dropbearconvert);
  RunResult r = run_captured(sup, argv, o.key_timeout_ms);
  auto un = sys.unlink(tmp);
  if (!un.ok()) s.failures.push_back(tmp + ": " + sys::error_text(un.err));
  if (!r.ok()) {
    s.errors.push_back(Error{"ssh", field, "dropbearconvert failed (" + r.describe() + "): a generated key is used"});
    (void)sys.unlink(path);
    return false;
  }
  return true;
}

std::string ahead_output_path(const SshSetupOptions& o, const std::string& type) {
  return o.scratch_dir + "/host-key-" + type + ".out";
}

void host_keys(sys::Sys& sys, Supervisor& sup, const meta::Config& config, const SshSetupOptions& o, SshSetup& s,
               HostKeyJobs* ahead) {
  auto st = sys.mkdir_p(o.key_dir, 0700);
  if (!st.ok()) s.failures.push_back(o.key_dir + ": " + sys::error_text(st.err));
  std::vector<std::string> types = o.key_types;
  for (const auto& h : config.host_keys)
    if (std::find(types.begin(), types.end(), h.type) == types.end()) types.push_back(h.type);

  for (const auto& type : types) {
    HostKeyInfo k;
    k.type = type;
    k.path = dropbear_host_key_path(type, o.key_dir);
    std::string output;
    bool made_ahead = false;
    if (auto job = ahead ? ahead->find(type) : HostKeyJobs::iterator{}; ahead && job != ahead->end()) {
      RunResult r = sup.finish(job->second);
      const std::string out_path = ahead_output_path(o, type);
      if (r.ok()) {
        auto text = sys.read_file(out_path, 16 * 1024);
        made_ahead = true;
        if (text.ok()) output = std::move(text.value);
      } else if (sys.exists(k.path)) {
        // Dropbear (-R) made this key for a connection first and dropbearkey lost the race
        // to link it into place: the file is whole (both link a finished temporary file)
        // and is the key being served. Its public half is read below.
        made_ahead = true;
      } else {
        s.failures.push_back(type + " host key made ahead: " + describe_run(job->second.spec.argv, r) + "; trying again");
      }
      (void)sys.unlink(out_path);
      ahead->erase(job);
    }
    const meta::HostKey* given = provider_key(config, type);
    if (given && convert_provider_key(sys, sup, *given, k.path, o, s)) {
      k.origin = meta::to_string(given->source);
      output.clear();  // the public half is read from the converted key below
    } else if (made_ahead) {
      k.origin = "generated";
    } else if (sys.exists(k.path)) {
      k.origin = "existing";
    } else if (std::find(o.key_types.begin(), o.key_types.end(), type) != o.key_types.end()) {
      auto argv = dropbearkey_generate_argv(type, k.path, o.dropbearkey);
      RunResult r = run_captured(sup, argv, o.key_timeout_ms);
      // dropbearkey links a finished file into place: a failure leaves no half-written key.
      // If the key is there anyway, Dropbear (-R) made it for a client meanwhile: it stays.
      if (!r.ok() && !sys.exists(k.path)) {
        s.failures.push_back(type + " host key: " + describe_run(argv, r));
        continue;
      }
      k.origin = "generated";
      if (r.ok()) output = std::move(r.output);
    } else {
      continue;  // a provider-only type (rsa) that could not be converted
    }
    auto pub = public_key_from_dropbearkey_output(output);
    if (!pub) {
      auto argv = dropbearkey_public_argv(k.path, o.dropbearkey);
      RunResult r = run_captured(sup, argv, o.key_timeout_ms);
      if (r.ok()) pub = public_key_from_dropbearkey_output(r.output);
      if (!pub) {
        s.failures.push_back(type + " host key: no public key from " + describe_run(argv, r));
        continue;
      }
    }
    auto parsed = parse_public_key(*pub);
    if (!parsed.key) continue;
    k.public_line = parsed.key->type + " " + parsed.key->base64;
    k.fingerprint = fingerprint_sha256(parsed.key->blob);
    s.host_keys.push_back(std::move(k));
  }
}

void root_password(sys::Sys& sys, meta::Config& config, const SshSetupOptions& o, SshSetup& s) {
  std::string hash;
  if (config.password) {
    meta::Password& p = *config.password;
    const char* src = meta::to_string(p.source);
    if (p.kind == meta::PasswordKind::hash) {
      if (meta::looks_like_crypt_hash(p.hash) && valid_shadow_field(p.hash)) {
        hash = p.hash;
        s.password_kind = "hash";
      } else {
        s.errors.push_back(Error{"ssh", std::string("password (from ") + src + ")",
                                 "not a usable crypt(3) hash: password login stays off"});
      }
    } else {
      std::string why;
      if (auto h = hash_password(sys, p.plaintext, why)) {
        hash = std::move(*h);
        s.password_kind = "plaintext-hashed";
      } else {
        s.errors.push_back(Error{"ssh", std::string("password (from ") + src + ")", why + ": password login stays off"});
      }
      p.plaintext.clear();  // hashed (or unusable): the clear text is gone from here on
    }
    if (!hash.empty()) s.password_source = src;
  }

  auto existing = sys.read_file(o.shadow, 1 << 20);
  if (!existing.ok() && existing.err != ENOENT) {
    s.failures.push_back(o.shadow + ": " + sys::error_text(existing.err));
    return;
  }
  std::string text = render_shadow(existing.ok() ? existing.value : std::string(), "root",
                                   hash.empty() ? kLockedPassword : std::string_view(hash));
  auto st = sys.write_file_atomic(o.shadow, text, 0600);
  if (!st.ok()) {
    s.failures.push_back(o.shadow + ": " + sys::error_text(st.err));
    return;
  }
  s.password = !hash.empty();
}

}  // namespace

void write_authorized_keys(sys::Sys& sys, const meta::Config& config, const SshSetupOptions& o, SshSetup& s) {
  auto st = sys.mkdir_p(o.root_ssh_dir, 0700);
  if (st.ok()) st = sys.write_file_atomic(o.root_ssh_dir + "/authorized_keys", render_authorized_keys(config.ssh_keys), 0600);
  if (!st.ok()) {
    s.failures.push_back(o.root_ssh_dir + "/authorized_keys: " + sys::error_text(st.err));
    return;
  }
  s.authorized_keys = config.ssh_keys.size();
}

HostKeyJobs start_host_keys(sys::Sys& sys, Supervisor& sup, const SshSetupOptions& o) {
  HostKeyJobs jobs;
  if (!sys.mkdir_p(o.key_dir, 0700).ok() || !sys.mkdir_p(o.scratch_dir, 0755).ok()) return jobs;
  for (const auto& type : o.key_types) {
    const std::string path = dropbear_host_key_path(type, o.key_dir);
    if (sys.exists(path)) continue;
    RunSpec rs;
    rs.argv = dropbearkey_generate_argv(type, path, o.dropbearkey);
    rs.timeout_ms = o.key_timeout_ms;
    rs.capture = Capture::file;
    rs.capture_path = ahead_output_path(o, type);
    rs.nice = kHostKeyNice;
    auto p = sup.start(rs);
    if (p.pid > 0) jobs.emplace(type, std::move(p));
  }
  return jobs;
}

SshSetup setup_ssh_access(sys::Sys& sys, meta::Config& config, const SshSetupOptions& o) {
  SshSetup s;
  s.port = config.port();
  root_password(sys, config, o, s);  // first: the plaintext is wiped before anything slow runs
  write_authorized_keys(sys, config, o, s);
  s.dropbear.binary = o.dropbear;
  s.dropbear.port = s.port;
  s.dropbear.password_login = s.password;
  return s;
}

bool listen_before_keys(const meta::Config& config, const HostKeyJobs& ahead) {
  return config.host_keys.empty() && !ahead.empty();
}

void listen_with_keys_to_come(SshSetup& s, const SshSetupOptions& o) {
  s.dropbear.host_key_paths.clear();
  for (const auto& type : o.key_types) s.dropbear.host_key_paths.push_back(dropbear_host_key_path(type, o.key_dir));
  s.dropbear.make_missing_keys = true;
}

void collect_host_keys(sys::Sys& sys, Supervisor& sup, const meta::Config& config, const SshSetupOptions& o,
                       SshSetup& s, HostKeyJobs* ahead) {
  host_keys(sys, sup, config, o, s, ahead);
  s.dropbear.host_key_paths.clear();
  s.dropbear.make_missing_keys = false;
  for (const auto& k : s.host_keys) s.dropbear.host_key_paths.push_back(k.path);
}

SshSetup setup_ssh(sys::Sys& sys, Supervisor& sup, meta::Config& config, const SshSetupOptions& o,
                   HostKeyJobs* ahead) {
  SshSetup s = setup_ssh_access(sys, config, o);
  collect_host_keys(sys, sup, config, o, s, ahead);
  return s;
}

SshInputs ssh_inputs(const meta::Config& config) {
  SshInputs in;
  in.port = config.port();
  if (config.password)
    in.password = std::string(meta::to_string(config.password->source)) +
                  (config.password->kind == meta::PasswordKind::hash ? " hash" : " plaintext");
  in.authorized_keys = render_authorized_keys(config.ssh_keys);
  for (const auto& h : config.host_keys) in.host_keys.push_back(h.type + " " + meta::to_string(h.source));
  return in;
}

ServiceSpec dropbear_service(const SshSetup& setup, int log_fd) {
  ServiceSpec spec;
  spec.name = "dropbear";
  spec.spawn.argv = dropbear_argv(setup.dropbear);
  spec.spawn.env = sys::base_environment();
  spec.spawn.new_session = true;
  spec.spawn.cwd = "/";
  spec.spawn.stderr_fd = log_fd;
  return spec;
}

std::optional<std::string> hash_password(sys::Sys& sys, const meta::Secret& plaintext, std::string& why) {
  unsigned char bytes[16];
  if (auto st = sys.random_bytes(bytes, sizeof bytes); !st.ok()) {
    why = std::string("no random bytes for a salt (") + sys::error_text(st.err) + ")";
    return std::nullopt;
  }
  auto h = sha512_crypt(plaintext, salt_from_bytes(bytes, sizeof bytes));
  std::memset(bytes, 0, sizeof bytes);
  if (!h) why = "crypt() failed";
  return h;
}

// ---- pure helpers ---------------------------------------------------------------------

std::string salt_from_bytes(const unsigned char* bytes, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n && out.size() < 16; ++i) out += kSaltAlphabet[bytes[i] & 63];
  return out;
}

std::optional<std::string> sha512_crypt(const meta::Secret& plaintext, std::string_view salt) {
#if defined(__GLIBC__)
  (void)plaintext;
  (void)salt;
  return std::nullopt;  // host builds: glibc keeps crypt() in libcrypt, not linked here
#else
  if (salt.empty() || salt.size() > 16 || salt.find_first_of("$:\n") != std::string_view::npos) return std::nullopt;
  std::string setting = "$6$" + std::string(salt) + "$";
  std::string key(plaintext.reveal());  // crypt() wants a NUL-terminated copy
  errno = 0;
  const char* h = ::crypt(key.c_str(), setting.c_str());
  meta::wipe(key);
  if (!h) return std::nullopt;
  std::string out(h);
  if (out.rfind(setting, 0) != 0 || out.size() < setting.size() + 80) return std::nullopt;
  return out;
#endif
}

std::string key_type_label(std::string_view t) {
  if (t == "ssh-ed25519") return "ED25519";
  if (t.rfind("ecdsa-sha2-", 0) == 0) return "ECDSA";
  if (t == "ssh-rsa") return "RSA";
  if (t == "sk-ssh-ed25519@openssh.com") return "ED25519-SK";
  if (t == "sk-ecdsa-sha2-nistp256@openssh.com") return "ECDSA-SK";
  std::string up(t);
  for (auto& c : up) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return up;
}

std::string host_key_line(const HostKeyInfo& k) {
  std::string_view type = std::string_view(k.public_line).substr(0, k.public_line.find(' '));
  return "host key " + key_type_label(type) + " " + k.fingerprint;
}

std::string ssh_json(const SshSetup& s) {
  using nlohmann::json;
  json keys = json::array();
  for (const auto& k : s.host_keys) {
    std::string_view type = std::string_view(k.public_line).substr(0, k.public_line.find(' '));
    keys.push_back({{"type", key_type_label(type)}, {"fingerprint", k.fingerprint}, {"origin", k.origin},
                    {"public_key", k.public_line}});
  }
  json pw = {{"set", s.password}};
  if (s.password) {
    pw["source"] = s.password_source;
    pw["kind"] = s.password_kind;
  }
  json doc = {{"port", s.port},
              {"host_keys", keys},
              {"authorized_keys", s.authorized_keys},
              {"password", pw},
              {"password_login", s.dropbear.password_login},
              {"failures", s.failures}};
  try {
    return doc.dump(-1, ' ', false, json::error_handler_t::replace);
  } catch (...) {
    return "{}";
  }
}

std::string listening_line(const SshSetup& s) {
  return strformat("listening on port %d (keys: %zu, password: %s)", s.port, s.authorized_keys,
                   s.password ? "yes" : "no");
}

}  // namespace lifeboat::ssh
