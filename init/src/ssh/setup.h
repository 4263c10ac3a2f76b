#pragma once
// SSH at boot: host keys, the root password, authorized_keys, the Dropbear service.
//
//   SshSetup s = setup_ssh(sys, sup, config);   // config's plaintext password is wiped
//   sup.add_service(dropbear_service(s, log_fd));
//
// - host keys: /etc/dropbear/dropbear_{ed25519,ecdsa}_host_key, generated with dropbearkey
//   unless present (a provider's OpenSSH host keys are converted with dropbearconvert when the
//   image has it; otherwise a warning and generated keys); the public halves give the
//   fingerprints printed on the console ("SHA256:...", as `ssh-keygen -l`).
// - password: a crypt(3) hash goes into /etc/shadow as is; a plaintext one is hashed at once
//   with crypt() SHA-512 ("$6$" + 16 salt characters from getrandom) and the plaintext wiped.
//   None: shadow keeps "*" and Dropbear runs with -s -g (no password logins at all).
// - /root/.ssh (0700) and authorized_keys (0600), one "# source: X" comment per key.
// Never logs or writes a password, a hash or a private key anywhere but where it belongs.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "model/model.h"
#include "ssh/dropbear.h"
#include "supervise/supervisor.h"
#include "sys/sys.h"

namespace lifeboat::ssh {

struct SshSetupOptions {
  std::string key_dir = "/etc/dropbear";
  std::vector<std::string> key_types = {"ed25519", "ecdsa"};
  std::string dropbearkey = "/usr/bin/dropbearkey";
  std::string dropbearconvert = "/usr/bin/dropbearconvert";
  std::string dropbear = "/usr/sbin/dropbear";
  std::string shadow = "/etc/shadow";
  std::string root_ssh_dir = "/root/.ssh";
  std::string scratch_dir = "/run/lifeboat";  // tmpfs, for a provider key being converted
  int key_timeout_ms = 20000;
};

struct HostKeyInfo {
  std::string type;         // "ed25519"
  std::string path;         // /etc/dropbear/dropbear_ed25519_host_key
  std::string public_line;  // "ssh-ed25519 AAAA..."
  std::string fingerprint;  // "SHA256:..."
  std::string origin;       // "generated", "existing", or the provider source ("config-2")
};

struct SshSetup {
  int port = meta::kDefaultSshPort;
  std::vector<HostKeyInfo> host_keys;
  std::size_t authorized_keys = 0;
  bool password = false;
  std::string password_source;  // "config-2", ... ("" when none)
  std::string password_kind;    // "hash" | "plaintext-hashed" | ""
  DropbearOptions dropbear;
  std::vector<std::string> failures;  // for the step line
  Errors errors;                      // source "ssh"
};

// Needs a mutable config: the plaintext password is wiped as soon as it is hashed.
// Host keys made ahead: dropbearkey for each default type whose key is missing, started
// now (Supervisor::start) so that the keys are made while the DHCP client waits;
// setup_ssh collects them (a provider's key of the same type still wins). At kHostKeyNice:
// on one vCPU the DHCP client and its event handler go first (the address, not the keys,
// is what the first login waits for), and the keys take the idle time between packets.
inline constexpr int kHostKeyNice = 10;
using HostKeyJobs = std::map<std::string, Supervisor::Pending>;
HostKeyJobs start_host_keys(sys::Sys& sys, Supervisor& sup, const SshSetupOptions& options = {});

SshSetup setup_ssh(sys::Sys& sys, Supervisor& sup, meta::Config& config, const SshSetupOptions& options = {},
                   HostKeyJobs* ahead = nullptr);

// setup_ssh in two halves, so that Dropbear can listen between them:
//   SshSetup s = setup_ssh_access(sys, config);          // password, authorized_keys
//   if (listen_before_keys(config, jobs)) { listen_with_keys_to_come(s); start Dropbear }
//   collect_host_keys(sys, sup, config, {}, s, &jobs);  // fingerprints; Dropbear's options
// Listening before the keys: Dropbear starts with -R and the default key paths, so a
// client that comes before the keys made ahead are ready has Dropbear make the key.
// Measured under TCG, 1 vCPU: the two dropbearkey runs, cold, end 20-50 ms after the DHCP
// address; the first login comes 0.11 s sooner (medians of 10 interleaved boots).
// One key either way: Dropbear and dropbearkey each link a finished temporary file into
// place, the loser reads the winner's, and collect_host_keys takes a key whose job lost
// that race as made. Only when every key comes from those jobs: a provider's host key
// replaces a generated one, which a client may already have seen.
SshSetup setup_ssh_access(sys::Sys& sys, meta::Config& config, const SshSetupOptions& options = {});
bool listen_before_keys(const meta::Config& config, const HostKeyJobs& ahead);
void listen_with_keys_to_come(SshSetup& s, const SshSetupOptions& options = {});
void collect_host_keys(sys::Sys& sys, Supervisor& sup, const meta::Config& config, const SshSetupOptions& options,
                       SshSetup& s, HostKeyJobs* ahead);

// setup_ssh's authorized_keys part alone (0600, its directory 0700): sets s.authorized_keys,
// or adds to s.failures.
void write_authorized_keys(sys::Sys& sys, const meta::Config& config, const SshSetupOptions& options, SshSetup& s);

// What Dropbear's start takes from a config: Dropbear listens early with the config read
// before the network (command line, drives) and the final one (after IMDS) is compared with
// it. Holds no secret: a password is known by its source and kind (each source gives one
// value for the whole boot), a provider's host key by its type and source.
struct SshInputs {
  int port = meta::kDefaultSshPort;
  std::string password;                // "" or "<source> <kind>"
  std::string authorized_keys;         // the file's text
  std::vector<std::string> host_keys;  // "<type> <source>"
  bool operator==(const SshInputs&) const = default;
};
SshInputs ssh_inputs(const meta::Config& config);

// The supervised Dropbear: its own session, stderr (-E) to log_fd (-1: /dev/null).
ServiceSpec dropbear_service(const SshSetup& setup, int log_fd);

// A SHA-512 crypt(3) hash ("$6$<16 salt chars>$...") of `plaintext`, the salt from
// sys.random_bytes(). nullopt with `why` ("no random bytes for a salt (...)", "crypt() failed").
// The one way lifeboat hashes a password (the boot's provider password, `rescue passwd`).
std::optional<std::string> hash_password(sys::Sys& sys, const meta::Secret& plaintext, std::string& why);

// ---- pure helpers ---------------------------------------------------------------------

// 16 characters of [./0-9A-Za-z] from 16 random bytes (64 symbols: no modulo bias).
std::string salt_from_bytes(const unsigned char* bytes, std::size_t n);

// crypt(plaintext, "$6$<salt>$"). nullopt when crypt() fails or gives no "$6$" hash.
std::optional<std::string> sha512_crypt(const meta::Secret& plaintext, std::string_view salt);

// "ED25519", "ECDSA", "RSA", ... from "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa".
std::string key_type_label(std::string_view ssh_type);

// "host key ED25519 SHA256:..." (the console line without "lifeboat: ssh: ").
std::string host_key_line(const HostKeyInfo& k);

// status.json "ssh": {"port":22,"host_keys":[{"type":"ED25519","fingerprint":"SHA256:..",
// "origin":"generated"}],"authorized_keys":N,"password":{"set":true,"source":..,"kind":..},
// "password_login":bool} — never a secret.
std::string ssh_json(const SshSetup& s);

// "listening on port 22 (keys: 2, password: yes)"
std::string listening_line(const SshSetup& s);

}  // namespace lifeboat::ssh
