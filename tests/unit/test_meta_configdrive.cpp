// OpenStack config drive: meta_data.json and network_data.json, valid and hostile.
#include <doctest/doctest.h>

#include "common/error.h"
#include "metadata/configdrive.h"
#include "metadata/json_guard.h"

using namespace lifeboat;
using namespace lifeboat::meta;

namespace {

const char* kKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIq73hjYIxxnNxmJp21V+WSOvsznh88K+7a6XWmqhNJo test@lifeboat";

bool any_error(const Errors& errors, std::string_view needle) {
  for (const auto& e : errors)
    if (describe(e).find(needle) != std::string::npos) return true;
  return false;
}
bool no_error_mentions(const Errors& errors, std::string_view secret) {
  for (const auto& e : errors)
    if (describe(e).find(secret) != std::string::npos) return false;
  return true;
}

// A realistic nova meta_data.json.
const char* kMetaData = R"({
  "uuid": "83679162-1378-4288-a2d4-70e13ec132aa",
  "admin_pass": "Hunter2-Secret",
  "hostname": "test-vm.novalocal",
  "name": "test-vm",
  "launch_index": 0,
  "availability_zone": "nova",
  "random_seed": "c2VlZGJ5dGVz",
  "public_keys": {"mykey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIq73hjYIxxnNxmJp21V+WSOvsznh88K+7a6XWmqhNJo test@lifeboat"},
  "keys": [{"name": "mykey", "type": "ssh",
            "data": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIq73hjYIxxnNxmJp21V+WSOvsznh88K+7a6XWmqhNJo test@lifeboat"},
           {"name": "cert", "type": "x509", "data": "-----BEGIN CERTIFICATE-----"}],
  "meta": {"role": "webserver"},
  "files": [{"path": "/etc/passwd", "content_path": "/content/0000"}],
  "project_id": "f7ac731cc11f40efbc03a9f9e1d1d21f"
})";

const char* kNetworkData = R"({
  "links": [
    {"id": "tap1", "type": "ovs", "ethernet_mac_address": "FA:16:3E:9C:BF:3D", "mtu": 1450, "vif_id": "x"},
    {"id": "tap2", "type": "phy", "ethernet_mac_address": "fa:16:3e:00:00:02", "mtu": null},
    {"id": "bond0", "type": "bond", "bond_links": ["tap1", "tap2"], "bond_mode": "802.3ad",
     "ethernet_mac_address": "fa:16:3e:00:00:03"}
  ],
  "networks": [
    {"id": "n1", "link": "tap1", "network_id": "u1", "type": "ipv4", "ip_address": "10.0.0.5",
     "netmask": "255.255.255.0",
     "routes": [{"network": "0.0.0.0", "netmask": "0.0.0.0", "gateway": "10.0.0.1"},
                {"network": "192.168.0.0", "netmask": "255.255.0.0", "gateway": "10.0.0.254"}],
     "services": [{"type": "dns", "address": "10.0.0.2"}]},
    {"id": "n2", "link": "tap1", "type": "ipv6", "ip_address": "2001:db8::5",
     "netmask": "ffff:ffff:ffff:ffff::",
     "routes": [{"network": "::", "netmask": "::", "gateway": "2001:db8::1"}]},
    {"id": "n3", "link": "tap2", "type": "ipv4_dhcp"},
    {"id": "n4", "link": "tap2", "type": "ipv6_dhcpv6-stateless"},
    {"id": "n5", "link": "bond0", "type": "ipv4_dhcp"}
  ],
  "services": [{"type": "dns", "address": "8.8.8.8"}, {"type": "ntp", "address": "10.0.0.9"}]
})";

}  // namespace

TEST_CASE("meta configdrive: meta_data.json") {
  auto r = parse_meta_data(kMetaData);
  CHECK(r.errors.empty());
  const auto& c = r.config;
  CHECK(c.source == Source::config_drive);
  CHECK(c.instance_id == "83679162-1378-4288-a2d4-70e13ec132aa");
  CHECK(c.hostname == "test-vm.novalocal");
  REQUIRE(c.password);
  CHECK(c.password->kind == PasswordKind::plaintext);
  CHECK(c.password->plaintext.reveal() == "Hunter2-Secret");
  REQUIRE(c.ssh_keys.size() == 1);  // public_keys and keys[] hold the same key
  CHECK(c.ssh_keys[0].line == kKey);
  CHECK(c.random_seed == "seedbytes");
}

TEST_CASE("meta configdrive: wrong types are named errors, nothing crashes") {
  auto r = parse_meta_data(R"({"public_keys": ["a"], "admin_pass": 12345, "hostname": {"x": 1},
                               "keys": {"a": 1}, "uuid": [], "random_seed": "!!!"})");
  CHECK(any_error(r.errors, "config-2: openstack/latest/meta_data.json: public_keys: expected object, got array"));
  CHECK(any_error(r.errors, "config-2: openstack/latest/meta_data.json: admin_pass: expected string, got number"));
  CHECK(any_error(r.errors, "meta_data.json: hostname: expected string, got object"));
  CHECK(any_error(r.errors, "meta_data.json: keys: expected array, got object"));
  CHECK(any_error(r.errors, "meta_data.json: uuid: expected string, got array"));
  CHECK(any_error(r.errors, "meta_data.json: random_seed: not valid base64"));
  CHECK_FALSE(r.config.password);
  CHECK(r.config.ssh_keys.empty());

  for (const char* doc : {"[]", "42", "\"str\"", "null", "true"}) {
    auto x = parse_meta_data(doc);
    REQUIRE(x.errors.size() == 1);
    CHECK(describe(x.errors[0]).rfind("config-2: openstack/latest/meta_data.json: expected object, got", 0) == 0);
    auto n = parse_network_data(doc);
    REQUIRE(n.errors.size() == 1);
    CHECK(describe(n.errors[0]).rfind("config-2: openstack/latest/network_data.json: expected object, got", 0) == 0);
    CHECK_FALSE(n.config.network);
  }
}

TEST_CASE("meta configdrive: invalid public keys name the key, never echo it") {
  auto r = parse_meta_data(R"({"public_keys": {"mykey": "Hunter2-Secret", "ok": ")" + std::string(kKey) +
                           R"(", "n": 5, "../../etc/shadow\n": "ssh-rsa junk"},
                               "keys": [{"name": "k2", "type": "ssh", "data": "Hunter2-Secret"}, 7]})");
  CHECK(r.config.ssh_keys.size() == 1);
  CHECK(any_error(r.errors,
                  "config-2: openstack/latest/meta_data.json: public_keys.mykey: not a valid OpenSSH public key"));
  CHECK(any_error(r.errors, "public_keys.n: expected string, got number"));
  CHECK(any_error(r.errors, "public_keys...?..?etc?shadow?: not a valid OpenSSH public key"));  // sanitized name
  CHECK(any_error(r.errors, "keys.k2: not a valid OpenSSH public key"));
  CHECK(any_error(r.errors, "keys[1]: expected object, got number"));
  CHECK(no_error_mentions(r.errors, "Hunter2"));
}

TEST_CASE("meta configdrive: invalid JSON reports a byte offset, not the input") {
  auto r = parse_meta_data(R"({"admin_pass": "Hunter2-Secret" "oops"})");
  REQUIRE(r.errors.size() == 1);
  CHECK(describe(r.errors[0]).find("not valid JSON (at byte") != std::string::npos);
  CHECK(no_error_mentions(r.errors, "Hunter2"));
  CHECK_FALSE(parse_meta_data("").errors.empty());
  CHECK_FALSE(parse_meta_data("{\"a\": \"\xff\xfe\"}").errors.empty());  // invalid UTF-8
}

TEST_CASE("meta configdrive: hostile documents: depth, size, huge strings") {
  std::string deep(100000, '[');
  auto r = parse_meta_data(deep);
  REQUIRE(r.errors.size() == 1);
  CHECK(describe(r.errors[0]).find("nested deeper than 64 levels") != std::string::npos);

  std::string ok_depth = std::string(63, '[') + std::string(63, ']');
  CHECK(json_nesting_depth(ok_depth) == 63);
  // Brackets inside strings do not count.
  CHECK(json_nesting_depth(R"({"a": "[[[[[[\"[[[["})") == 1);

  std::string big = "{\"x\": \"" + std::string(kMaxJsonDocument, 'a') + "\"}";
  CHECK(any_error(parse_meta_data(big).errors, "larger than 1 MiB"));

  std::string long_host = "{\"hostname\": \"" + std::string(70000, 'a') + "\"}";
  CHECK(any_error(parse_meta_data(long_host).errors, "hostname: longer than 64 KiB"));

  auto bad_host = parse_meta_data(R"({"hostname": "bad host!"})");
  CHECK_FALSE(bad_host.config.hostname);
  CHECK(any_error(bad_host.errors, "hostname: not a valid hostname"));
  // An over-long FQDN keeps its first label.
  auto fqdn = parse_meta_data("{\"hostname\": \"vm1." + std::string(80, 'd') + ".example\"}");
  CHECK(fqdn.config.hostname == "vm1");
}

TEST_CASE("meta configdrive: network_data.json") {
  auto r = parse_network_data(kNetworkData);
  REQUIRE(r.config.network);
  const auto& ifs = r.config.network->interfaces;
  REQUIRE(ifs.size() == 2);
  const auto& a = ifs[0];
  CHECK(a.match.mac == "fa:16:3e:9c:bf:3d");
  CHECK(a.match.name.empty());
  CHECK(a.origin == "network_data.json: links[0].ethernet_mac_address");
  CHECK(a.mtu == 1450);
  REQUIRE(a.addresses.size() == 2);
  CHECK(a.addresses[0] == Address{Family::v4, "10.0.0.5", 24});
  CHECK(a.addresses[1] == Address{Family::v6, "2001:db8::5", 64});
  REQUIRE(a.routes.size() == 3);
  CHECK(a.routes[0] == Route{Family::v4, "0.0.0.0", 0, "10.0.0.1"});
  CHECK(a.routes[1] == Route{Family::v4, "192.168.0.0", 16, "10.0.0.254"});
  CHECK(a.routes[2] == Route{Family::v6, "::", 0, "2001:db8::1"});
  CHECK(a.dns == std::vector<std::string>{"10.0.0.2"});
  CHECK_FALSE(a.dhcp4);
  const auto& b = ifs[1];
  CHECK(b.match.mac == "fa:16:3e:00:00:02");
  CHECK_FALSE(b.mtu);
  CHECK(b.dhcp4);
  CHECK(b.dhcp6);
  CHECK(b.slaac);
  CHECK(r.config.dns == std::vector<std::string>{"8.8.8.8"});
  // The bond: warnings, not errors, and not a crash.
  REQUIRE(r.errors.size() == 2);
  for (const auto& e : r.errors) CHECK(e.severity == Severity::warning);
  CHECK(any_error(r.errors, "links[2]: link type bond is unsupported"));
  CHECK(any_error(r.errors, "networks[4]: on an unsupported bond link"));
}

TEST_CASE("meta configdrive: network_data.json with broken entries") {
  auto r = parse_network_data(R"({
    "links": [{"id": "l0", "ethernet_mac_address": "not-a-mac"},
              {"id": "l1", "ethernet_mac_address": "fa:16:3e:00:00:01", "mtu": "big"},
              {"type": "phy"}, 5, {"id": "l1", "ethernet_mac_address": "fa:16:3e:00:00:09"},
              {"id": "l2"}],
    "networks": [{"id": "n0", "link": "l0", "type": "ipv4_dhcp"},
                 {"id": "n1", "link": "nope", "type": "ipv4_dhcp"},
                 {"id": "n2", "link": "l1", "type": "ipv4", "ip_address": "10.0.0.5"},
                 {"id": "n3", "link": "l1", "type": "ipv4", "ip_address": "10.0.0.5", "netmask": "255.0.255.0"},
                 {"id": "n4", "link": "l1", "type": "ipv4", "ip_address": "2001:db8::1", "netmask": "64"},
                 {"id": "n5", "link": "l1", "type": "ipv6", "ip_address": "2001:db8::9/64",
                  "routes": [{"network": "::", "netmask": "::", "gateway": "10.0.0.1"}, "x"]},
                 {"id": "n6", "link": "l1", "type": "ipv4_magic"},
                 {"link": "l1"}],
    "services": {"type": "dns"}
  })");
  CHECK(any_error(r.errors, "links[0].ethernet_mac_address: not a MAC address"));
  CHECK(any_error(r.errors, "links[1].mtu: expected an integer 68-65535"));
  CHECK(any_error(r.errors, "links[2].id: missing"));
  CHECK(any_error(r.errors, "links[3]: expected object, got number"));
  CHECK(any_error(r.errors, "links[4].id: duplicate link id"));
  CHECK(any_error(r.errors, "links[5].ethernet_mac_address: missing"));
  CHECK(any_error(r.errors, "networks[1].link: no link with this id"));
  CHECK(any_error(r.errors, "networks[2].netmask: missing"));
  CHECK(any_error(r.errors, "networks[3].netmask: not a valid netmask"));
  CHECK(any_error(r.errors, "networks[4].ip_address: not an ipv4 address"));
  CHECK(any_error(r.errors, "networks[5].routes[0].gateway: not an ipv6 address"));
  CHECK(any_error(r.errors, "networks[5].routes[1]: expected object, got string"));
  CHECK(any_error(r.errors, "networks[6].type: unsupported network type ipv4_magic"));
  CHECK(any_error(r.errors, "networks[7]: needs link and type"));
  CHECK(any_error(r.errors, "config-2: openstack/latest/network_data.json: services: expected array, got object"));
  REQUIRE(r.config.network);
  REQUIRE(r.config.network->interfaces.size() == 1);
  CHECK(r.config.network->interfaces[0].addresses == std::vector<Address>{{Family::v6, "2001:db8::9", 64}});
}

TEST_CASE("meta configdrive: network_data.json without usable links leaves network unset") {
  auto r = parse_network_data(R"({"links": [], "networks": [], "services": []})");
  CHECK(r.errors.empty());
  CHECK_FALSE(r.config.network);
}

TEST_CASE("meta configdrive: both documents combined") {
  auto r = config_drive_config(std::string_view(kMetaData), std::string_view(kNetworkData));
  CHECK(r.config.hostname == "test-vm.novalocal");
  REQUIRE(r.config.network);
  CHECK(r.config.network->interfaces.size() == 2);
  CHECK(r.config.dns == std::vector<std::string>{"8.8.8.8"});
  auto only_meta = config_drive_config(std::string_view(kMetaData), std::nullopt);
  CHECK_FALSE(only_meta.config.network);
  CHECK(only_meta.config.password);
}
