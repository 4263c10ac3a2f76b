// The kernel command line as a metadata source: ip= forms, keys, passwords, datasources.
#include <doctest/doctest.h>

#include "config/cmdline.h"
#include "common/error.h"
#include "config/boot_options.h"
#include "metadata/cmdline_source.h"
#include "metadata/ip_param.h"
#include "ssh/base64.h"

using namespace lifeboat;
using namespace lifeboat::meta;

namespace {

const char* kKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIq73hjYIxxnNxmJp21V+WSOvsznh88K+7a6XWmqhNJo test@lifeboat";
const char* kHash = "$6$rounds=5000$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/";

IpParam ip_ok(std::string_view v) {
  IpParam p;
  Errors e;
  bool ok = parse_ip_param(v, "ip", p, e);
  CHECK_MESSAGE(ok, v);
  CHECK_MESSAGE(e.empty(), v);
  return p;
}

Error ip_bad(std::string_view v) {
  IpParam p;
  Errors e;
  CHECK_FALSE_MESSAGE(parse_ip_param(v, "ip", p, e), v);
  REQUIRE(e.size() == 1);
  return e[0];
}

SourceResult from(std::string_view line) { return config_from_cmdline(parse_cmdline(line)); }

bool any_error_contains(const Errors& errors, std::string_view needle) {
  for (const auto& e : errors)
    if (describe(e).find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("meta cmdline ip=: 1. dhcp / on / any for every link") {
  for (auto v : {"dhcp", "on", "any"}) {
    auto p = ip_ok(v);
    CHECK(p.has_interface);
    CHECK(p.interface.match.scope == MatchScope::all);
    CHECK(p.interface.dhcp4);
  }
}

TEST_CASE("meta cmdline ip=: 2. dhcp6, auto6, either6") {
  CHECK(ip_ok("dhcp6").interface.dhcp6);
  CHECK(ip_ok("auto6").interface.slaac);
  auto e = ip_ok("either6").interface;
  CHECK((e.slaac && e.dhcp6));
}

TEST_CASE("meta cmdline ip=: 3. off / none") {
  CHECK(ip_ok("off").off);
  CHECK(ip_ok("none").off);
  CHECK_FALSE(ip_ok("none").has_interface);
}

TEST_CASE("meta cmdline ip=: 4. full kernel form with dotted netmask, gateway, hostname, DNS") {
  auto p = ip_ok("10.0.0.5:10.0.0.9:10.0.0.1:255.255.255.0:vm1:eth0:off:10.0.0.2:10.0.0.3:10.0.0.4");
  const auto& ic = p.interface;
  CHECK(ic.match.name == "eth0");
  CHECK(ic.match.scope == MatchScope::specific);
  REQUIRE(ic.addresses.size() == 1);
  CHECK(ic.addresses[0] == Address{Family::v4, "10.0.0.5", 24});
  REQUIRE(ic.routes.size() == 1);
  CHECK(ic.routes[0] == Route{Family::v4, "0.0.0.0", 0, "10.0.0.1"});
  CHECK(ic.dns == std::vector<std::string>{"10.0.0.2", "10.0.0.3"});
  CHECK_FALSE(ic.dhcp4);
  CHECK(p.hostname == "vm1");
}

TEST_CASE("meta cmdline ip=: 5. netmask as a prefix length, empty fields everywhere") {
  auto p = ip_ok("192.168.1.10:::16::eth1:none");
  CHECK(p.interface.addresses[0].prefix == 16);
  CHECK(p.interface.routes.empty());
  auto q = ip_ok("192.168.1.10::::::");
  CHECK(q.interface.addresses[0].prefix == 24);  // classful C
  CHECK(q.interface.match.scope == MatchScope::first);
  CHECK(ip_ok("10.1.2.3").interface.addresses[0].prefix == 8);  // classful A, no device
}

TEST_CASE("meta cmdline ip=: 6. device-only kernel form  ip=:::::eth0:dhcp") {
  auto p = ip_ok(":::::eth0:dhcp");
  CHECK(p.interface.match.name == "eth0");
  CHECK(p.interface.dhcp4);
  CHECK(p.interface.addresses.empty());
  // Empty autoconf without a client address means DHCP (the kernel's "any").
  CHECK(ip_ok(":::::eth0:").interface.dhcp4);
}

TEST_CASE("meta cmdline ip=: 7. dracut  ip=<iface>:<autoconf>[:[mtu][:mac]]") {
  auto a = ip_ok("eth0:dhcp");
  CHECK(a.interface.match.name == "eth0");
  CHECK(a.interface.dhcp4);
  auto b = ip_ok("ens3:dhcp6:9000");
  CHECK(b.interface.dhcp6);
  CHECK(b.interface.mtu == 9000);
  auto c = ip_ok("eth0:dhcp:1500:52:54:00:12:34:56");
  CHECK(c.interface.mtu == 1500);
  CHECK(c.interface.match.mac == "52:54:00:12:34:56");
  auto d = ip_ok("eth0:auto6::52:54:00:AB:CD:EF");
  CHECK_FALSE(d.interface.mtu);
  CHECK(d.interface.match.mac == "52:54:00:ab:cd:ef");
  auto e = ip_ok("eth0:dhcp,dhcp6");
  CHECK((e.interface.dhcp4 && e.interface.dhcp6));
}

TEST_CASE("meta cmdline ip=: 8. IPv6 in brackets with a prefix length or a mask") {
  auto p = ip_ok("[2001:db8::5]::[2001:db8::1]:64:host6:eth0:none");
  REQUIRE(p.interface.addresses.size() == 1);
  CHECK(p.interface.addresses[0] == Address{Family::v6, "2001:db8::5", 64});
  CHECK(p.interface.routes[0] == Route{Family::v6, "::", 0, "2001:db8::1"});
  auto q = ip_ok("[2001:db8::5]:::[ffff:ffff:ffff:ff00::]::eth0:off:[2001:db8::53]");
  CHECK(q.interface.addresses[0].prefix == 56);
  CHECK(q.interface.dns == std::vector<std::string>{"2001:db8::53"});
  CHECK(ip_ok("[2001:db8::7]").interface.addresses[0].prefix == 64);
}

TEST_CASE("meta cmdline ip=: 9. kernel form with dracut's mtu and mac after autoconf") {
  auto p = ip_ok("10.0.0.5::10.0.0.1:255.255.255.0::eth0:none:1450:52:54:00:12:34:56");
  CHECK(p.interface.mtu == 1450);
  CHECK(p.interface.match.mac == "52:54:00:12:34:56");
  CHECK(p.interface.addresses[0].address == "10.0.0.5");
}

TEST_CASE("meta cmdline ip=: 10. static address plus DHCP  ip=<client>:...:<dev>:dhcp") {
  auto p = ip_ok("10.0.0.5:::255.0.0.0::eth0:dhcp");
  CHECK(p.interface.dhcp4);
  CHECK(p.interface.addresses[0].prefix == 8);
}

TEST_CASE("meta cmdline ip=: 11. unrecognised and malformed forms are named errors") {
  CHECK(describe(ip_bad("banana")) == "cmdline: ip: unrecognised form \"banana\"");
  CHECK(describe(ip_bad("eth0:sometimes")) == "cmdline: ip: unrecognised form \"eth0:sometimes\"");
  CHECK(describe(ip_bad("")) == "cmdline: ip: unrecognised form \"\"");
  CHECK(describe(ip_bad("2001:db8::5::::eth0:none")).find("bad client address \"2001\" in \"2001:db8::5") != std::string::npos);
  CHECK(describe(ip_bad("[2001:db8::5:::::eth0:none")).find("unrecognised form") != std::string::npos);
  CHECK(describe(ip_bad("10.0.0.300::::::")).find("bad client address") != std::string::npos);
  CHECK(describe(ip_bad("10.0.0.5:::255.0.255.0::eth0:none")).find("bad netmask \"255.0.255.0\"") != std::string::npos);
  CHECK(describe(ip_bad("10.0.0.5::gw::::")).find("bad gateway") != std::string::npos);
  CHECK(describe(ip_bad("10.0.0.5:::::eth0:bootp")).find("unsupported autoconf \"bootp\"") != std::string::npos);
  CHECK(describe(ip_bad("eth0:dhcp:12")).find("bad mtu") != std::string::npos);
  CHECK(describe(ip_bad("eth0:dhcp:1500:52:54")).find("bad MAC") != std::string::npos);
  CHECK(describe(ip_bad(":::::../../x:dhcp")).find("bad interface name") != std::string::npos);
  CHECK(describe(ip_bad("10.0.0.5::::::off:a:b:c:d")).find("unrecognised form") != std::string::npos);
  CHECK(describe(ip_bad(std::string(600, '1'))).find("unrecognised form") != std::string::npos);
  CHECK(describe(ip_bad("eth0:dhcp\x01")).find("\\x01") != std::string::npos);  // quoted, escaped
}

TEST_CASE("meta cmdline: several ip= with ifname= and nameserver=") {
  auto r = from("ip=10.0.0.5::10.0.0.1:24::eth0:none ip=[2001:db8::5]::[2001:db8::1]:64::eth0:none "
                "ip=eth1:dhcp ifname=eth0:52:54:00:12:34:56 nameserver=1.1.1.1 nameserver=2606:4700::1111 "
                "nameserver=1.1.1.1");
  CHECK(r.errors.empty());
  REQUIRE(r.config.network);
  const auto& ifs = r.config.network->interfaces;
  REQUIRE(ifs.size() == 2);  // both eth0 lines folded into one config
  CHECK(ifs[0].match.name == "eth0");
  CHECK(ifs[0].match.mac == "52:54:00:12:34:56");  // from ifname=
  CHECK(ifs[0].addresses.size() == 2);
  CHECK(ifs[0].routes.size() == 2);
  CHECK(ifs[0].origin == "ip[0]");
  CHECK(ifs[1].match.name == "eth1");
  CHECK(ifs[1].match.mac.empty());
  CHECK(r.config.network->auto_dhcp4);
  CHECK(r.config.dns == std::vector<std::string>{"1.1.1.1", "2606:4700::1111"});
}

TEST_CASE("meta cmdline: ip=off disables the DHCP fallback; bad ip= keeps the rest") {
  auto r = from("ip=off");
  REQUIRE(r.config.network);
  CHECK(r.config.network->interfaces.empty());
  CHECK_FALSE(r.config.network->auto_dhcp4);

  auto bad = from("ip=nonsense lifeboat.ssh_port=2222");
  CHECK_FALSE(bad.config.network);
  CHECK(bad.config.ssh_port == 2222);
  CHECK(any_error_contains(bad.errors, "cmdline: ip: unrecognised form \"nonsense\""));
  CHECK(any_error_contains(from("ifname=eth0").errors, "ifname: expected <interface>:<mac>"));
  CHECK(any_error_contains(from("nameserver=dns.google").errors, "nameserver: expected an IP address"));
}

TEST_CASE("meta cmdline: password hash and plaintext") {
  auto r = from(std::string("lifeboat.password_hash=") + kHash);
  REQUIRE(r.config.password);
  CHECK(r.config.password->kind == PasswordKind::hash);
  CHECK(r.config.password->hash == kHash);
  CHECK(r.errors.empty());

  auto p = from("lifeboat.password=hunter2-Secret!");
  REQUIRE(p.config.password);
  CHECK(p.config.password->kind == PasswordKind::plaintext);
  CHECK(p.config.password->plaintext.reveal() == "hunter2-Secret!");
  REQUIRE(p.errors.size() == 1);
  CHECK(p.errors[0].severity == Severity::warning);
  CHECK(p.errors[0].field == "lifeboat.password");

  auto both = from(std::string("lifeboat.password=hunter2-Secret! lifeboat.password_hash=") + kHash);
  CHECK(both.config.password->kind == PasswordKind::hash);

  for (const auto& res : {p, both})
    for (const auto& e : res.errors) CHECK(describe(e).find("hunter2") == std::string::npos);
}

TEST_CASE("meta cmdline: a malformed hash is refused without echoing it") {
  for (std::string bad : {"hunter2-Secret!", "$6$hunter2-Secret!", "$6$salt$short", "$6$$hunter2-Secretxxxxxxxxxxxx",
                          "$6$salt$hunter2:Secretxxxxxxxxxxxxxx", "$$hunter2-Secretxxxxxxxxxxxxxxxxxxxx"}) {
    auto r = from("lifeboat.password_hash=\"" + bad + "\"");
    CHECK_FALSE(r.config.password);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].field == "lifeboat.password_hash");
    CHECK(describe(r.errors[0]).find("hunter2") == std::string::npos);
  }
  auto empty = from("lifeboat.password=");
  CHECK_FALSE(empty.config.password);
  CHECK(any_error_contains(empty.errors, "empty password refused"));
}

TEST_CASE("meta cmdline: lifeboat.ssh_key plain (quoted), URL-encoded, base64, several") {
  auto quoted_key = from(std::string("lifeboat.ssh_key=\"") + kKey + "\"");
  CHECK(quoted_key.errors.empty());
  REQUIRE(quoted_key.config.ssh_keys.size() == 1);
  CHECK(quoted_key.config.ssh_keys[0].line == kKey);

  auto url = from("lifeboat.ssh_key=ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIIq73hjYIxxnNxmJp21V%2BWSOvsznh88K+7a6XWmqhNJo%20test@lifeboat");
  CHECK(url.errors.empty());
  REQUIRE(url.config.ssh_keys.size() == 1);
  CHECK(url.config.ssh_keys[0].line == kKey);

  std::string rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDFdYlF+5ZI2JTjJYTM46xNMsk0ODAqOb/th/aifbZmFvzlsF4mK8dNPtR5GZDtB1uigsLKoD0Ioc8wc3bSHU0/0OkzHz7KFutMwnCwlBP7RoTtMwc9QmfDha9RD8pKYPpMYDN73d2R8r6LT4LJgXi5ZBiasX3kIfz9q1Ot5RncPw== rsa";
  std::string b64 = ssh::base64_encode(std::string(kKey) + "\n" + rsa + "\n");
  auto multi = from("lifeboat.ssh_key=" + b64);
  CHECK(multi.errors.empty());
  CHECK(multi.config.ssh_keys.size() == 2);

  // Several parameters, with a duplicate key: deduplicated.
  auto several = from("lifeboat.ssh_key=" + b64 + std::string(" lifeboat.ssh_key=\"") + kKey + " again\"");
  CHECK(several.config.ssh_keys.size() == 2);
}

TEST_CASE("meta cmdline: bad lifeboat.ssh_key values are named, not echoed") {
  auto r = from("lifeboat.ssh_key=TopSecretPassw0rd");
  CHECK(r.config.ssh_keys.empty());
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].field == "lifeboat.ssh_key");
  CHECK(describe(r.errors[0]).find("TopSecret") == std::string::npos);

  auto bad_pct = from("lifeboat.ssh_key=ssh-ed25519%2");
  CHECK(any_error_contains(bad_pct.errors, "lifeboat.ssh_key: expected URL-encoded or base64"));

  auto two = from(std::string("lifeboat.ssh_key=\"") + kKey + "\" lifeboat.ssh_key=\"ssh-rsa TopSecret\"");
  CHECK(two.config.ssh_keys.size() == 1);
  REQUIRE(two.errors.size() == 1);
  CHECK(two.errors[0].field == "lifeboat.ssh_key[1]");
  CHECK(describe(two.errors[0]).find("TopSecret") == std::string::npos);
}

TEST_CASE("meta cmdline: url_decode") {
  CHECK(url_decode("a%20b%0Ac").value() == "a b\nc");
  CHECK(url_decode("a+b").value() == "a+b");
  CHECK_FALSE(url_decode("%"));
  CHECK_FALSE(url_decode("%4"));
  CHECK_FALSE(url_decode("%zz"));
  CHECK_FALSE(url_decode("%00"));
}

TEST_CASE("meta cmdline: hostname, datasource, ds=, ssh_port") {
  auto r = from("lifeboat.hostname=rescue1 lifeboat.datasource=cmdline,imds,configdrive,imds ds=nocloud;s=/mnt/seed/ "
                "lifeboat.ssh_port=2222");
  CHECK(r.errors.empty());
  CHECK(r.config.hostname == "rescue1");
  REQUIRE(r.config.datasources);
  CHECK(*r.config.datasources == std::vector<Source>{Source::cmdline, Source::imds, Source::config_drive});
  REQUIRE(r.config.nocloud_seed);
  CHECK(r.config.nocloud_seed->mode == "nocloud");
  CHECK(r.config.nocloud_seed->url == "/mnt/seed/");
  CHECK_FALSE(r.config.nocloud_seed->is_remote());
  CHECK(r.config.ssh_port == 2222);

  auto net = from("ds=nocloud-net;s=http://10.0.0.1/seed/");
  REQUIRE(net.config.nocloud_seed);
  CHECK(net.config.nocloud_seed->is_remote());
  CHECK(from("ds=nocloud;s=file:///seed").config.nocloud_seed->url == "/seed");
  CHECK(from("ds=nocloud").config.nocloud_seed->url.empty());

  auto bad = from("lifeboat.datasource=cmdline,openstack lifeboat.ssh_port=70000 lifeboat.hostname=-bad-");
  CHECK_FALSE(bad.config.datasources);  // a typo keeps the default
  CHECK_FALSE(bad.config.ssh_port);
  CHECK_FALSE(bad.config.hostname);     // reported by boot_options, not twice
  CHECK(any_error_contains(bad.errors, "lifeboat.datasource: unknown datasource \"openstack\""));
  CHECK(any_error_contains(bad.errors, "lifeboat.ssh_port: expected a port number 1-65535, got \"70000\""));
  CHECK(bad.errors.size() == 2);

  // The kernel form's hostname is used when lifeboat.hostname is absent.
  CHECK(from("ip=10.0.0.5:::24:fromip:eth0:none").config.hostname == "fromip");
  CHECK(from("ip=10.0.0.5:::24:fromip:eth0:none lifeboat.hostname=explicit").config.hostname == "explicit");

  // cmdline left out of the datasource list: warned.
  CHECK(any_error_contains(from(std::string("lifeboat.datasource=imds lifeboat.ssh_key=\"") + kKey + "\"").errors,
                           "cmdline is not listed"));
}

TEST_CASE("meta cmdline: keys owned here") {
  CHECK(lifeboat::is_metadata_cmdline_key("lifeboat.password"));
  CHECK(lifeboat::is_metadata_cmdline_key("lifeboat.ssh_key"));
  CHECK_FALSE(lifeboat::is_metadata_cmdline_key("lifeboat.hostname"));
  CHECK_FALSE(lifeboat::is_metadata_cmdline_key("lifeboat.fsck"));
}
