#pragma once
// Command lines for Dropbear (pure): the server, host key generation and conversion of a
// provider's OpenSSH host key, and reading dropbearkey's output.
//
//   dropbear -F -E -p PORT -r KEY... [-s -g]
//     -F foreground (supervised by PID 1), -E log to stderr (the console),
//     -r one per host key, -s no password logins at all, -g no password login for root.
//   -R (make a missing key on a connection, into the same file dropbearkey writes) when
//   asked (make_missing_keys: Dropbear listens before the boot's keys are made) or when
//   there is no host key path at all. Our Dropbear is patched to offer (and so make) an
//   RSA or DSS key only when one was loaded (recipes/patches/dropbear).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lifeboat::ssh {

struct DropbearOptions {
  std::string binary = "/usr/sbin/dropbear";
  int port = 22;
  std::vector<std::string> host_key_paths;
  bool password_login = false;  // true only when a root password was configured
  bool make_missing_keys = false;  // -R
};

std::vector<std::string> dropbear_argv(const DropbearOptions& o);

// Key types lifeboat generates, strongest first: "ed25519", "ecdsa", "rsa".
const std::vector<std::string>& host_key_types();
// "/etc/dropbear/dropbear_ed25519_host_key"
std::string dropbear_host_key_path(std::string_view type, std::string_view dir = "/etc/dropbear");

// dropbearkey -t TYPE -f PATH   (rsa adds -s 3072)
std::vector<std::string> dropbearkey_generate_argv(std::string_view type, std::string_view path,
                                                   std::string_view binary = "/usr/bin/dropbearkey");
// dropbearkey -y -f PATH   (prints the public key line)
std::vector<std::string> dropbearkey_public_argv(std::string_view path,
                                                 std::string_view binary = "/usr/bin/dropbearkey");
// dropbearconvert openssh dropbear IN OUT   (a provider's OpenSSH private key -> Dropbear)
std::vector<std::string> dropbearconvert_argv(std::string_view in, std::string_view out,
                                              std::string_view binary = "/usr/bin/dropbearconvert");

// The "ssh-ed25519 AAAA... comment" line in `dropbearkey -y` output, if any.
std::optional<std::string> public_key_from_dropbearkey_output(std::string_view text);

// Whether /proc/net/tcp (or tcp6) text lists a socket listening on `port` (state 0A).
bool tcp_port_listening(std::string_view proc_net_tcp, int port);

}  // namespace lifeboat::ssh
