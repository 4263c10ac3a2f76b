#pragma once
// The provider configuration model (pure data).
//
// Every source (kernel command line, OpenStack config drive, NoCloud seed, EC2 IMDSv2)
// produces a PartialConfig: only what that source said. merge() (metadata/merge.h) turns
// the partials into one Config in which every value keeps the Source it came from, so
// status.json can say where the root password, each SSH key or the network setup came from.
//
// Secrets (plaintext passwords, private host keys) are held in meta::Secret and never
// copied into an Error or into the provenance JSON.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "model/secret.h"

namespace lifeboat::meta {

enum class Source { cmdline, config_drive, nocloud, imds };

// "cmdline", "config-2", "nocloud", "imds" (also the Error::source of each parser).
const char* to_string(Source s) noexcept;
// Accepts the names above plus the aliases "configdrive", "config_drive", "ec2";
// used by lifeboat.datasource=.
std::optional<Source> source_from_name(std::string_view name) noexcept;

template <class T>
struct Sourced {
  T value{};
  Source source = Source::cmdline;
};

// ---- credentials ---------------------------------------------------------------------------

enum class PasswordKind { hash, plaintext };

struct Password {
  PasswordKind kind = PasswordKind::hash;
  std::string hash;  // kind == hash: a crypt(3) string ("$6$...", "$y$...") kept as given
  Secret plaintext;  // kind == plaintext: to be hashed before it is written anywhere
  Source source = Source::cmdline;
};

struct AuthorizedKey {
  std::string line;  // canonical authorized_keys line (validated)
  Source source = Source::cmdline;
};

struct HostKey {
  std::string type;    // "ed25519", "ecdsa", "rsa"
  Secret private_key;  // the provider's text (OpenSSH/PEM), converted later
  Source source = Source::cmdline;
};

// ---- network -------------------------------------------------------------------------------

enum class Family { v4, v6 };
const char* to_string(Family f) noexcept;  // "ipv4" | "ipv6"

struct Address {
  Family family = Family::v4;
  std::string address;  // canonical text, no prefix: "10.0.0.5", "2001:db8::5"
  int prefix = 32;

  bool operator==(const Address&) const = default;
};

struct Route {
  Family family = Family::v4;
  std::string destination;  // network address; "0.0.0.0"/"::" with prefix 0 = default route
  int prefix = 0;
  std::string gateway;  // may be empty: an on-link route

  bool is_default() const noexcept { return prefix == 0; }
  bool operator==(const Route&) const = default;
};

// How a config finds its link. specific: by MAC (preferred) and/or name.
// all:   every non-loopback link no specific config names (ip=dhcp).
// first: the first non-loopback link with a carrier no specific config names
//        (kernel ip= with a static address and no device).
enum class MatchScope { specific, all, first };

struct InterfaceMatch {
  std::string mac;   // lowercase "52:54:00:12:34:56", "" = not by MAC
  std::string name;  // "eth0", "" = not by name
  MatchScope scope = MatchScope::specific;

  bool operator==(const InterfaceMatch&) const = default;
};

struct InterfaceConfig {
  InterfaceMatch match;
  // Where this config was written, for errors about it, e.g.
  // "network_data.json: links[0].ethernet_mac_address" or "ip[1]".
  std::string origin;
  bool dhcp4 = false;
  bool dhcp6 = false;
  bool slaac = false;
  std::vector<Address> addresses;
  std::vector<Route> routes;
  std::optional<int> mtu;
  std::vector<std::string> dns;     // nameservers learned with this interface
  std::vector<std::string> search;  // search domains learned with this interface
};

struct NetworkConfig {
  std::vector<InterfaceConfig> interfaces;
  // Links no config names and that have a carrier get DHCPv4. `ip=off|none` turns it off.
  bool auto_dhcp4 = true;
};

// ---- what a source produced -----------------------------------------------------------------

// ds=nocloud;s=/path/  or  ds=nocloud-net;s=http://host/path/
struct NocloudSeed {
  std::string mode;  // "nocloud" or "nocloud-net"
  std::string url;   // the s= / seedfrom= value, "" = search by filesystem label
  bool is_remote() const noexcept;  // http(s):// or nocloud-net: not supported yet
};

struct PartialConfig {
  Source source = Source::cmdline;
  std::optional<std::string> hostname;
  std::optional<Password> password;
  std::vector<AuthorizedKey> ssh_keys;
  std::vector<HostKey> host_keys;
  // Present when the source said anything about interfaces (even "off"): the highest
  // source with a network config wins it as a whole.
  std::optional<NetworkConfig> network;
  std::vector<std::string> dns;     // global nameservers
  std::vector<std::string> search;  // global search domains
  std::optional<std::string> instance_id;
  std::string random_seed;  // raw bytes (config-2 random_seed), "" if none
  // Command line only:
  std::optional<std::vector<Source>> datasources;  // lifeboat.datasource=
  std::optional<NocloudSeed> nocloud_seed;         // ds=
  std::optional<int> ssh_port;                     // lifeboat.ssh_port=
};

struct SourceResult {
  PartialConfig config;
  Errors errors;  // Error::source is to_string(config.source)
};

// ---- the merged result ------------------------------------------------------------------------

inline constexpr int kDefaultSshPort = 22;

struct Config {
  std::optional<Sourced<std::string>> hostname;
  std::optional<Password> password;
  std::vector<AuthorizedKey> ssh_keys;  // deduplicated by key blob, first source kept
  std::vector<HostKey> host_keys;       // from the highest source that gave any
  std::optional<Sourced<NetworkConfig>> network;
  std::vector<Sourced<std::string>> dns;     // union, in precedence order
  std::vector<Sourced<std::string>> search;  // union, in precedence order
  std::optional<Sourced<int>> ssh_port;
  std::optional<Sourced<std::string>> instance_id;
  std::optional<NocloudSeed> nocloud_seed;
  std::vector<Source> datasources;  // what the sources list allowed (default: all four)
  std::string random_seed;          // concatenation of every source's seed bytes

  int port() const noexcept { return ssh_port ? ssh_port->value : kDefaultSshPort; }
};

// A hostname usable as is (see config/boot_options valid_hostname), else the first label of
// an FQDN if that is usable ("ip-10-0-0-5.ec2.internal" stays; a 100-byte FQDN gives its
// first label), else nullopt.
std::optional<std::string> usable_hostname(std::string_view name);

// The default probing order and the merge precedence: cmdline, config-2, nocloud, imds.
std::vector<Source> default_datasources();

}  // namespace lifeboat::meta
