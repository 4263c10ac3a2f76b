// NoCloud: the YAML DOM, meta-data, user-data (#cloud-config only), network-config v1/v2.
// Needs libyaml: built without LIFEBOAT_HAVE_LIBYAML, only the "not built in" case runs.
#include <doctest/doctest.h>

#include "common/error.h"
#include "metadata/merge.h"
#include "metadata/nocloud.h"
#include "metadata/yaml_dom.h"

using namespace lifeboat;
using namespace lifeboat::meta;

#ifndef LIFEBOAT_HAVE_LIBYAML

TEST_CASE("meta nocloud: without libyaml the parsers say so") {
  CHECK(parse_yaml("a: 1").error == "YAML support not built in");
  auto r = parse_nocloud_meta_data("instance-id: x\n");
  REQUIRE(r.errors.size() == 1);
  CHECK(describe(r.errors[0]) == "nocloud: meta-data: not valid YAML: YAML support not built in");
}

#else

namespace {

const char* kEd = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIq73hjYIxxnNxmJp21V+WSOvsznh88K+7a6XWmqhNJo test@lifeboat";
const char* kRsa =
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDFdYlF+5ZI2JTjJYTM46xNMsk0ODAqOb/th/aifbZmFvzlsF4mK8dNPtR5GZDtB1uigsLKoD0Io"
    "c8wc3bSHU0/0OkzHz7KFutMwnCwlBP7RoTtMwc9QmfDha9RD8pKYPpMYDN73d2R8r6LT4LJgXi5ZBiasX3kIfz9q1Ot5RncPw== rsa@lifeboat";
const char* kHash = "$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/";

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

}  // namespace

TEST_CASE("meta yaml: DOM of mappings, lists, scalars") {
  auto r = parse_yaml("a: 1\nb: [x, 'y', \"z\"]\nc:\n  d: ~\n  e:\n    - f: true\nc2: null\n");
  REQUIRE(r.ok);
  const YamlNode& root = r.root;
  REQUIRE(root.is_mapping());
  CHECK(root.get("a")->value == "1");
  REQUIRE(root.get("b")->is_sequence());
  CHECK(root.get("b")->items.size() == 3);
  CHECK(root.get("b")->items[0].plain);
  CHECK_FALSE(root.get("b")->items[1].plain);
  CHECK(root.get("c")->get("d")->is_null());
  bool t = false;
  CHECK(yaml_bool(*root.get("c")->get("e")->items[0].get("f"), t));
  CHECK(t);
  CHECK(root.get("c2")->is_null());
  CHECK(root.get("nope") == nullptr);
  CHECK(parse_yaml("").ok);
  CHECK(parse_yaml("").root.is_null());
  // Duplicate keys: the last wins, like PyYAML.
  CHECK(parse_yaml("k: 1\nk: 2\n").root.get("k")->value == "2");
  // Only the first document.
  CHECK(parse_yaml("a: 1\n---\nb: 2\n").root.get("b") == nullptr);
}

TEST_CASE("meta yaml: hostile input") {
  // Alias bomb ("billion laughs"): refused at the first alias.
  std::string bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
                     "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                     "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n";
  auto r = parse_yaml(bomb);
  CHECK_FALSE(r.ok);
  CHECK(r.error == "line 2: aliases (*name) are not supported");
  // Merge keys use aliases too.
  CHECK_FALSE(parse_yaml("base: &b {x: 1}\nother:\n  <<: *b\n").ok);
  // Anchors alone are fine.
  CHECK(parse_yaml("a: &anchor 1\n").ok);

  std::string deep = std::string(10000, '[') + std::string(10000, ']');
  auto d = parse_yaml(deep);
  CHECK_FALSE(d.ok);
  CHECK(d.error == "line 1: nested deeper than the limit");
  std::string deep_block;
  for (int i = 0; i < 100; ++i) deep_block += std::string(static_cast<std::size_t>(i) * 2, ' ') + "k:\n";
  CHECK_FALSE(parse_yaml(deep_block).ok);

  YamlLimits small;
  small.max_scalar = 100;
  CHECK(parse_yaml("a: " + std::string(101, 'x') + "\n", small).error == "line 1: scalar longer than the limit");
  CHECK_FALSE(parse_yaml(std::string(2 * 1024 * 1024, '#')).ok);
  small.max_nodes = 10;
  CHECK_FALSE(parse_yaml("[1,2,3,4,5,6,7,8,9,10,11,12]", small).ok);

  CHECK(parse_yaml("? [complex]\n: value\n").error.find("complex mapping keys") != std::string::npos);
  auto syntax = parse_yaml("a: b: c\n");
  CHECK_FALSE(syntax.ok);
  CHECK(syntax.error.rfind("line 1: ", 0) == 0);
  CHECK_FALSE(parse_yaml("a: \"unterminated\n").ok);
  CHECK_FALSE(parse_yaml(std::string("a: \xff\xfe\n")).ok);  // invalid UTF-8
  CHECK_FALSE(parse_yaml(std::string("a: b\0c", 6)).ok);     // NUL
}

TEST_CASE("meta nocloud: meta-data") {
  auto r = parse_nocloud_meta_data("instance-id: iid-local01\nlocal-hostname: cloudimg\n"
                                   "public-keys:\n  - " + std::string(kEd) + "\n  - " + kRsa + "\n");
  CHECK(r.errors.empty());
  CHECK(r.config.instance_id == "iid-local01");
  CHECK(r.config.hostname == "cloudimg");
  CHECK(r.config.ssh_keys.size() == 2);
  CHECK(r.config.ssh_keys[0].source == Source::nocloud);

  // public-keys as a map (EC2 style and name: key) and as a string.
  auto m = parse_nocloud_meta_data("public-keys:\n  0:\n    openssh-key: " + std::string(kEd) +
                                   "\n  laptop: " + kRsa + "\n");
  CHECK(m.errors.empty());
  CHECK(m.config.ssh_keys.size() == 2);
  auto s = parse_nocloud_meta_data("public-keys: " + std::string(kEd) + "\n");
  CHECK(s.config.ssh_keys.size() == 1);

  // JSON is YAML.
  CHECK(parse_nocloud_meta_data(R"({"instance-id": "j1", "local-hostname": "jhost"})").config.hostname == "jhost");
  // Empty meta-data is valid.
  CHECK(parse_nocloud_meta_data("").errors.empty());
}

TEST_CASE("meta nocloud: meta-data errors") {
  auto r = parse_nocloud_meta_data("- a list\n");
  CHECK(any_error(r.errors, "nocloud: meta-data: expected a mapping, got a list"));
  auto k = parse_nocloud_meta_data("public-keys:\n  - Hunter2-Secret\n  - {a: b}\n");
  CHECK(any_error(k.errors, "nocloud: meta-data: public-keys[0]: not a valid OpenSSH public key"));
  CHECK(any_error(k.errors, "public-keys[1]: expected a string, got a mapping"));
  CHECK(no_error_mentions(k.errors, "Hunter2"));
  auto h = parse_nocloud_meta_data("local-hostname: [a]\ninstance-id: {x: 1}\n");
  CHECK(any_error(h.errors, "meta-data: local-hostname: expected a string, got a list"));
  CHECK(any_error(h.errors, "meta-data: instance-id: expected a string, got a mapping"));
  auto bad = parse_nocloud_meta_data("a: [unclosed\n");
  CHECK(any_error(bad.errors, "nocloud: meta-data: not valid YAML: line"));
}

TEST_CASE("meta nocloud: user-data that is not #cloud-config is ignored, never run") {
  for (const char* text : {"#!/bin/sh\nrm -rf /\n", "Content-Type: multipart/mixed; boundary=x\n\n--x\n",
                           "#cloud-config-archive\n- type: text/x-shellscript\n", "## template: jinja\n#cloud-config\n",
                           "\x1f\x8b\x08\x00gzip"}) {
    auto r = parse_nocloud_user_data(text);
    REQUIRE(r.errors.size() == 1);
    CHECK(describe(r.errors[0]) == "nocloud: user-data: not #cloud-config, ignored");
    CHECK(r.errors[0].severity == Severity::warning);
    CHECK(r.config.ssh_keys.empty());
  }
  CHECK(parse_nocloud_user_data("").errors.empty());
  CHECK(parse_nocloud_user_data("  \n").errors.empty());
}

TEST_CASE("meta nocloud: #cloud-config keys, users, password") {
  std::string ud = "#cloud-config\n"
                   "hostname: rescue-vm\n"
                   "password: Hunter2-Secret\n"
                   "chpasswd: {expire: false}\n"
                   "ssh_pwauth: true\n"
                   "ssh_authorized_keys:\n  - " + std::string(kEd) + "\n"
                   "users:\n"
                   "  - default\n"
                   "  - name: root\n    ssh_authorized_keys:\n      - " + kRsa + "\n"
                   "  - name: alice\n    ssh_authorized_keys: [\"" + kRsa + "\"]\n"
                   "runcmd:\n  - [sh, -c, 'echo pwned']\n";
  auto r = parse_nocloud_user_data(ud);
  CHECK(r.config.hostname == "rescue-vm");
  REQUIRE(r.config.password);
  CHECK(r.config.password->kind == PasswordKind::plaintext);
  CHECK(r.config.password->plaintext.reveal() == "Hunter2-Secret");
  CHECK(r.config.ssh_keys.size() == 2);
  REQUIRE(r.errors.size() == 1);  // alice
  CHECK(describe(r.errors[0]) == "nocloud: user-data: users[2]: only root and default are used (ignored)");
}

TEST_CASE("meta nocloud: chpasswd users/list and password precedence") {
  auto users = parse_nocloud_user_data("#cloud-config\npassword: Lower-Secret\nchpasswd:\n  users:\n"
                                       "    - {name: alice, password: x, type: text}\n"
                                       "    - {name: root, password: '" + std::string(kHash) + "', type: hash}\n");
  REQUIRE(users.config.password);
  CHECK(users.config.password->kind == PasswordKind::hash);
  CHECK(users.config.password->hash == kHash);
  CHECK(users.errors.empty());

  auto text = parse_nocloud_user_data("#cloud-config\nchpasswd:\n  users:\n    - name: root\n"
                                      "      password: Hunter2-Secret\n      type: text\n");
  CHECK(text.config.password->kind == PasswordKind::plaintext);

  auto list = parse_nocloud_user_data("#cloud-config\nchpasswd:\n  list: |\n    alice:x\n    root:Hunter2-Secret\n");
  REQUIRE(list.config.password);
  CHECK(list.config.password->plaintext.reveal() == "Hunter2-Secret");
  auto list2 = parse_nocloud_user_data("#cloud-config\nchpasswd:\n  list:\n    - root:" + std::string(kHash) + "\n");
  CHECK(list2.config.password->kind == PasswordKind::hash);

  auto users_pw = parse_nocloud_user_data("#cloud-config\npassword: Lower-Secret\nusers:\n  - name: root\n"
                                          "    hashed_passwd: " + std::string(kHash) + "\n");
  CHECK(users_pw.config.password->kind == PasswordKind::hash);

  // A "hash" that is not one: an error that does not show it.
  auto bad = parse_nocloud_user_data("#cloud-config\nchpasswd:\n  users:\n"
                                     "    - {name: root, password: Hunter2-Secret, type: hash}\n"
                                     "  list: [\"rootHunter2-Secret\"]\n");
  CHECK_FALSE(bad.config.password);
  CHECK(any_error(bad.errors, "user-data: chpasswd.users[0].password: type is hash but the value is not"));
  CHECK(any_error(bad.errors, "user-data: chpasswd.list: expected \"user:password\" entries"));
  CHECK(no_error_mentions(bad.errors, "Hunter2"));

  auto random = parse_nocloud_user_data("#cloud-config\nchpasswd:\n  users: [{name: root, type: RANDOM}]\n");
  CHECK_FALSE(random.config.password);
  CHECK(any_error(random.errors, "RANDOM passwords are not supported"));

  auto wrong = parse_nocloud_user_data("#cloud-config\npassword: [Hunter2-Secret]\nchpasswd: [1]\nusers: {a: b}\n"
                                       "ssh_authorized_keys: {a: b}\nhostname: [x]\n");
  CHECK(any_error(wrong.errors, "user-data: password: expected a string, got a list"));
  CHECK(any_error(wrong.errors, "user-data: chpasswd: expected a mapping, got a list"));
  CHECK(any_error(wrong.errors, "user-data: users: expected a list, got a mapping"));
  CHECK(any_error(wrong.errors, "user-data: ssh_authorized_keys: expected a list, got a mapping"));
  CHECK(any_error(wrong.errors, "user-data: hostname: expected a string, got a list"));
  CHECK(no_error_mentions(wrong.errors, "Hunter2"));
}

TEST_CASE("meta nocloud: provider host keys from ssh_keys") {
  auto r = parse_nocloud_user_data("#cloud-config\nssh_keys:\n  ed25519_private: |\n"
                                   "    -----BEGIN OPENSSH PRIVATE KEY-----\n    SecretMaterial\n"
                                   "    -----END OPENSSH PRIVATE KEY-----\n"
                                   "  rsa_private: SecretMaterialNotPem\n");
  REQUIRE(r.config.host_keys.size() == 1);
  CHECK(r.config.host_keys[0].type == "ed25519");
  CHECK(r.config.host_keys[0].private_key.reveal().find("SecretMaterial") != std::string::npos);
  CHECK(any_error(r.errors, "user-data: ssh_keys.rsa_private: not a PEM/OpenSSH private key"));
  CHECK(no_error_mentions(r.errors, "SecretMaterial"));
  Config c = merge({r.config});
  CHECK(render_provenance_json(c).find("SecretMaterial") == std::string::npos);
}

TEST_CASE("meta nocloud: network-config v1") {
  auto r = parse_nocloud_network_config(
      "version: 1\n"
      "config:\n"
      "  - type: physical\n    name: eth0\n    mac_address: '52:54:00:12:34:56'\n    mtu: 1450\n"
      "    subnets:\n"
      "      - type: static\n        address: 192.168.1.10/24\n        gateway: 192.168.1.1\n"
      "        dns_nameservers: [192.168.1.2]\n        dns_search: [lan]\n"
      "        routes:\n          - {network: 10.0.0.0, netmask: 255.0.0.0, gateway: 192.168.1.254}\n"
      "      - type: static6\n        address: 2001:db8::10\n        netmask: 64\n        gateway: 2001:db8::1\n"
      "      - type: dhcp6\n"
      "  - type: physical\n    name: eth1\n    subnets: [{type: dhcp}]\n"
      "  - type: nameserver\n    address: [8.8.8.8, 8.8.4.4]\n    search: [example.com]\n"
      "  - type: bond\n    name: bond0\n");
  REQUIRE(r.config.network);
  const auto& ifs = r.config.network->interfaces;
  REQUIRE(ifs.size() == 2);
  CHECK(ifs[0].match.mac == "52:54:00:12:34:56");
  CHECK(ifs[0].match.name == "eth0");
  CHECK(ifs[0].origin == "network-config: config[0].mac_address");
  CHECK(ifs[0].mtu == 1450);
  CHECK(ifs[0].addresses == std::vector<Address>{{Family::v4, "192.168.1.10", 24}, {Family::v6, "2001:db8::10", 64}});
  CHECK(ifs[0].routes == std::vector<Route>{{Family::v4, "0.0.0.0", 0, "192.168.1.1"},
                                            {Family::v4, "10.0.0.0", 8, "192.168.1.254"},
                                            {Family::v6, "::", 0, "2001:db8::1"}});
  CHECK(ifs[0].dns == std::vector<std::string>{"192.168.1.2"});
  CHECK(ifs[0].search == std::vector<std::string>{"lan"});
  CHECK(ifs[0].dhcp6);
  CHECK(ifs[1].dhcp4);
  CHECK(ifs[1].origin == "network-config: config[1].name");
  CHECK(r.config.dns == std::vector<std::string>{"8.8.8.8", "8.8.4.4"});
  CHECK(r.config.search == std::vector<std::string>{"example.com"});
  REQUIRE(r.errors.size() == 1);
  CHECK(describe(r.errors[0]) == "nocloud: network-config: config[3]: type bond is unsupported (skipped)");
}

TEST_CASE("meta nocloud: network-config v2, with and without the network: wrapper") {
  std::string v2 = "version: 2\n"
                   "ethernets:\n"
                   "  id0:\n    match:\n      macaddress: '52:54:00:AB:CD:EF'\n    set-name: eth0\n"
                   "    dhcp4: false\n    addresses: [10.0.0.5/24, '2001:db8::5/64']\n"
                   "    gateway4: 10.0.0.1\n    gateway6: 2001:db8::1\n"
                   "    routes:\n      - to: 172.16.0.0/12\n        via: 10.0.0.254\n      - {to: default, via: '2001:db8::2'}\n"
                   "    nameservers:\n      addresses: [10.0.0.2]\n      search: [corp.example]\n    mtu: 9000\n"
                   "  eth1:\n    dhcp4: yes\n    dhcp6: true\n    accept-ra: on\n"
                   "  all-en:\n    match: {name: 'en*'}\n    dhcp4: true\n";
  for (const std::string& text : {v2, "network:\n" + [&] {
         std::string indented;
         for (std::size_t i = 0, start = 0; i <= v2.size(); ++i)
           if (i == v2.size() || v2[i] == '\n') {
             if (i > start) indented += "  " + v2.substr(start, i - start) + "\n";
             start = i + 1;
           }
         return indented;
       }()}) {
    auto r = parse_nocloud_network_config(text);
    CHECK(r.errors.empty());
    REQUIRE(r.config.network);
    const auto& ifs = r.config.network->interfaces;
    REQUIRE(ifs.size() == 3);
    CHECK(ifs[0].match.mac == "52:54:00:ab:cd:ef");
    CHECK(ifs[0].origin == "network-config: ethernets.id0.match.macaddress");
    CHECK_FALSE(ifs[0].dhcp4);
    CHECK(ifs[0].addresses == std::vector<Address>{{Family::v4, "10.0.0.5", 24}, {Family::v6, "2001:db8::5", 64}});
    CHECK(ifs[0].routes == std::vector<Route>{{Family::v4, "0.0.0.0", 0, "10.0.0.1"},
                                              {Family::v6, "::", 0, "2001:db8::1"},
                                              {Family::v4, "172.16.0.0", 12, "10.0.0.254"},
                                              {Family::v6, "::", 0, "2001:db8::2"}});
    CHECK(ifs[0].dns == std::vector<std::string>{"10.0.0.2"});
    CHECK(ifs[0].search == std::vector<std::string>{"corp.example"});
    CHECK(ifs[0].mtu == 9000);
    CHECK(ifs[1].match.name == "eth1");
    CHECK((ifs[1].dhcp4 && ifs[1].dhcp6 && ifs[1].slaac));
    CHECK(ifs[2].match.name == "en*");
  }
}

TEST_CASE("meta nocloud: network-config errors name the path") {
  auto r = parse_nocloud_network_config(
      "version: 2\nethernets:\n  eth0:\n    addresses: 10.0.0.5/24\n    dhcp4: maybe\n    mtu: huge\n"
      "    gateway4: 2001:db8::1\n    routes: [{via: 10.0.0.1}, {to: 10.0.0.0/8, via: 'fe80::1'}]\n"
      "    nameservers: {addresses: [not-an-ip]}\n"
      "  eth1:\n    addresses: [10.0.0.6]\n  id2:\n    match: {macaddress: zz}\n"
      "  bad/name: {dhcp4: true}\n  eth3: [1]\n"
      "bonds:\n  bond0: {interfaces: [eth0]}\n");
  CHECK(any_error(r.errors, "nocloud: network-config: ethernets.eth0.addresses: expected a list, got a string"));
  CHECK(any_error(r.errors, "ethernets.eth0.dhcp4: expected true or false"));
  CHECK(any_error(r.errors, "ethernets.eth0.mtu: expected an integer 68-65535"));
  CHECK(any_error(r.errors, "ethernets.eth0.gateway4: not an ipv4 address"));
  CHECK(any_error(r.errors, "ethernets.eth0.routes[0].to: missing"));
  CHECK(any_error(r.errors, "ethernets.eth0.routes[1].to: not a destination"));
  CHECK(any_error(r.errors, "ethernets.eth0.nameservers.addresses[0]: not an IP address"));
  CHECK(any_error(r.errors, "ethernets.eth1.addresses[0]: expected an address with a prefix length"));
  CHECK(any_error(r.errors, "ethernets.id2.match.macaddress: not a MAC address"));
  CHECK(any_error(r.errors, "ethernets.bad?name: the id is not an interface name"));
  CHECK(any_error(r.errors, "ethernets.eth3: expected a mapping, got a list"));
  CHECK(any_error(r.errors, "network-config: bonds: unsupported (skipped)"));

  CHECK(any_error(parse_nocloud_network_config("version: 3\n").errors, "network-config: version: expected 1 or 2"));
  CHECK(any_error(parse_nocloud_network_config("foo: bar\n").errors, "version: missing"));
  CHECK(any_error(parse_nocloud_network_config("[1, 2]\n").errors, "network-config: expected a mapping, got a list"));
  CHECK(any_error(parse_nocloud_network_config("network: 5\n").errors, "network-config: network: expected a mapping"));
  CHECK(any_error(parse_nocloud_network_config("version: 1\nconfig: {a: b}\n").errors, "config: expected a list"));
  auto disabled = parse_nocloud_network_config("network: {config: disabled}\n");
  CHECK_FALSE(disabled.config.network);
  CHECK(any_error(disabled.errors, "config: disabled"));
  auto v1 = parse_nocloud_network_config(
      "version: 1\nconfig:\n  - {type: physical}\n  - {type: physical, name: eth0, subnets: [{type: static}, "
      "{type: static, address: 'x'}, {type: wat}, {type: static, address: 10.0.0.1, netmask: 255.0.255.0}]}\n");
  CHECK(any_error(v1.errors, "config[0]: needs mac_address or name"));
  CHECK(any_error(v1.errors, "config[1].subnets[0].address: missing for a static subnet"));
  CHECK(any_error(v1.errors, "config[1].subnets[1].address: not an IP address or CIDR"));
  CHECK(any_error(v1.errors, "config[1].subnets[2].type: unsupported subnet type wat"));
  CHECK(any_error(v1.errors, "config[1].subnets[3].netmask: not a valid netmask"));
}

TEST_CASE("meta nocloud: the three documents combined") {
  auto r = nocloud_config("instance-id: i1\nlocal-hostname: meta-host\npublic-keys: [\"" + std::string(kEd) + "\"]\n",
                          "#cloud-config\nhostname: user-host\nssh_authorized_keys:\n  - " + std::string(kEd) +
                              " dup\n  - " + kRsa + "\npassword: Hunter2-Secret\n",
                          std::string_view("version: 2\nethernets:\n  eth0: {dhcp4: true}\n"));
  CHECK(r.config.hostname == "meta-host");  // meta-data first
  CHECK(r.config.ssh_keys.size() == 2);
  CHECK(r.config.password);
  REQUIRE(r.config.network);
  CHECK(r.config.network->interfaces.size() == 1);
  CHECK(r.errors.empty());
}

#endif
