// The network planner: matching by MAC, fallbacks, action order, ip argv vectors.
#include <doctest/doctest.h>

#include <algorithm>

#include "common/error.h"
#include "net/plan.h"

using namespace lifeboat;
using namespace lifeboat::net;
using meta::Family;

namespace {

std::vector<Link> links() {
  return {{"lo", "00:00:00:00:00:00", true, true},
          {"eth0", "52:54:00:12:34:56", true, false},
          {"eth1", "52:54:00:AB:CD:EF", false, false},
          {"eth2", "52:54:00:00:00:02", true, false}};
}

meta::Config with_network(std::vector<meta::InterfaceConfig> ifs, meta::Source s = meta::Source::config_drive) {
  meta::Config c;
  meta::NetworkConfig n;
  n.interfaces = std::move(ifs);
  c.network = meta::Sourced<meta::NetworkConfig>{std::move(n), s};
  return c;
}

using Argv = std::vector<std::string>;

bool has_argv(const NetPlan& p, const Argv& argv) {
  return std::any_of(p.actions.begin(), p.actions.end(), [&](const Action& a) { return a.argv == argv; });
}
std::size_t index_of(const NetPlan& p, const Argv& argv) {
  for (std::size_t i = 0; i < p.actions.size(); ++i)
    if (p.actions[i].argv == argv) return i;
  return 9999;
}
std::vector<std::string> dhcp4_ifaces(const NetPlan& p) {
  std::vector<std::string> out;
  for (const auto& a : p.actions)
    if (a.kind == ActionKind::dhcp4) out.push_back(a.iface);
  return out;
}

}  // namespace

TEST_CASE("net plan: no network config -> DHCPv4 on every non-loopback link, lo up") {
  meta::Config c;
  auto p = plan_network(c, links());
  CHECK(p.errors.empty());
  CHECK(has_argv(p, {"ip", "link", "set", "dev", "lo", "up"}));
  CHECK(dhcp4_ifaces(p) == std::vector<std::string>{"eth0", "eth1", "eth2"});  // carrier or not
  CHECK(has_argv(p, {"udhcpc", "-t", "3", "-T", "1", "-A", "2", "-n", "-q", "-f", "-i", "eth1", "-s",
                     "/usr/lib/lifeboat/dhcp-event"}));
  // No static nameservers: resolv.conf is left to the DHCP script.
  CHECK(std::none_of(p.actions.begin(), p.actions.end(),
                     [](const Action& a) { return a.kind == ActionKind::write_resolv_conf; }));
}

TEST_CASE("net plan: static config matched by MAC (case-insensitive), fallback DHCP on carrier links") {
  meta::InterfaceConfig ic;
  ic.match.mac = "52:54:00:ab:cd:ef";  // eth1, whose sysfs MAC is upper case here
  ic.origin = "network_data.json: links[0].ethernet_mac_address";
  ic.mtu = 1450;
  ic.addresses = {{Family::v4, "10.0.0.5", 24}, {Family::v6, "2001:db8::5", 64}};
  ic.routes = {{Family::v4, "0.0.0.0", 0, "10.0.0.1"}, {Family::v6, "::", 0, "fe80::1"},
               {Family::v4, "192.168.0.0", 16, "10.0.0.254"}};
  ic.dns = {"10.0.0.2"};
  auto c = with_network({ic});
  c.hostname = meta::Sourced<std::string>{"vm1", meta::Source::config_drive};
  auto p = plan_network(c, links());
  CHECK(p.errors.empty());
  CHECK(p.actions.front().kind == ActionKind::set_hostname);
  CHECK(p.actions.front().content == "vm1");
  CHECK(has_argv(p, {"ip", "link", "set", "dev", "eth1", "mtu", "1450", "up"}));
  CHECK(has_argv(p, {"ip", "addr", "add", "10.0.0.5/24", "dev", "eth1"}));
  CHECK(has_argv(p, {"ip", "-6", "addr", "add", "2001:db8::5/64", "dev", "eth1"}));
  CHECK(has_argv(p, {"ip", "route", "add", "default", "via", "10.0.0.1", "dev", "eth1"}));
  CHECK(has_argv(p, {"ip", "-6", "route", "add", "default", "via", "fe80::1", "dev", "eth1"}));
  CHECK(has_argv(p, {"ip", "route", "add", "192.168.0.0/16", "via", "10.0.0.254", "dev", "eth1"}));
  // Order: link up < address < route.
  CHECK(index_of(p, {"ip", "link", "set", "dev", "eth1", "mtu", "1450", "up"}) <
        index_of(p, {"ip", "addr", "add", "10.0.0.5/24", "dev", "eth1"}));
  CHECK(index_of(p, {"ip", "addr", "add", "10.0.0.5/24", "dev", "eth1"}) <
        index_of(p, {"ip", "route", "add", "default", "via", "10.0.0.1", "dev", "eth1"}));
  // eth0 and eth2 have a carrier and no config: DHCP; eth1 is static.
  CHECK(dhcp4_ifaces(p) == std::vector<std::string>{"eth0", "eth2"});
  // resolv.conf last, with the static nameserver.
  REQUIRE(p.actions.back().kind == ActionKind::write_resolv_conf);
  CHECK(p.actions.back().path == "/etc/resolv.conf");
  CHECK(p.actions.back().content == "# written by lifeboat\nnameserver 10.0.0.2\n");
}

TEST_CASE("net plan: a MAC no link has -> named error, boot continues") {
  meta::InterfaceConfig ic;
  ic.match.mac = "52:54:00:99:99:99";
  ic.origin = "network_data.json: links[0].ethernet_mac_address";
  ic.dhcp4 = true;
  auto p = plan_network(with_network({ic}), links());
  REQUIRE(p.errors.size() == 1);
  CHECK(describe(p.errors[0]) ==
        "config-2: network_data.json: links[0].ethernet_mac_address: no interface with MAC 52:54:00:99:99:99");
  // The links with a carrier still get DHCP.
  CHECK(dhcp4_ifaces(p) == std::vector<std::string>{"eth0", "eth2"});
}

TEST_CASE("net plan: MAC wins over name; name matching; globs") {
  meta::InterfaceConfig by_mac;
  by_mac.match.mac = "52:54:00:00:00:02";  // eth2
  by_mac.match.name = "eth0";              // a stale name: ignored
  by_mac.addresses = {{Family::v4, "10.0.2.5", 24}};
  meta::InterfaceConfig by_name;
  by_name.match.name = "eth0";
  by_name.dhcp6 = true;
  by_name.slaac = true;
  auto p = plan_network(with_network({by_mac, by_name}), links());
  CHECK(p.errors.empty());
  CHECK(has_argv(p, {"ip", "addr", "add", "10.0.2.5/24", "dev", "eth2"}));
  bool dhcp6_eth0 = false, slaac_eth0 = false;
  for (const auto& a : p.actions) {
    if (a.kind == ActionKind::dhcp6 && a.iface == "eth0") dhcp6_eth0 = a.argv.front() == "udhcpc6";
    if (a.kind == ActionKind::slaac && a.iface == "eth0")
      slaac_eth0 = a.path == "/proc/sys/net/ipv6/conf/eth0/accept_ra" && a.content == "1\n";
  }
  CHECK(dhcp6_eth0);
  CHECK(slaac_eth0);
  CHECK(dhcp4_ifaces(p).empty());  // eth1 has no carrier; eth0/eth2 are configured

  meta::InterfaceConfig glob;
  glob.match.name = "eth*";
  glob.dhcp4 = true;
  auto g = plan_network(with_network({glob}, meta::Source::nocloud), links());
  CHECK(dhcp4_ifaces(g) == std::vector<std::string>{"eth0", "eth1", "eth2"});

  meta::InterfaceConfig missing;
  missing.match.name = "ens3";
  missing.origin = "ip";
  auto m = plan_network(with_network({missing}, meta::Source::cmdline), links());
  REQUIRE(m.errors.size() == 1);
  CHECK(describe(m.errors[0]) == "cmdline: ip: no interface named ens3");
}

TEST_CASE("net plan: one link, two configs -> warning, first wins") {
  meta::InterfaceConfig a, b;
  a.match.mac = "52:54:00:12:34:56";
  a.origin = "A";
  a.dhcp4 = true;
  b.match.name = "eth0";
  b.origin = "B";
  b.addresses = {{Family::v4, "10.9.9.9", 24}};
  auto p = plan_network(with_network({a, b}), links());
  REQUIRE(p.errors.size() == 1);
  CHECK(p.errors[0].severity == Severity::warning);
  CHECK(p.errors[0].field == "B");
  CHECK_FALSE(has_argv(p, {"ip", "addr", "add", "10.9.9.9/24", "dev", "eth0"}));
}

TEST_CASE("net plan: scope first / all (kernel ip= without a device); ip=off") {
  meta::InterfaceConfig first;
  first.match.scope = meta::MatchScope::first;
  first.addresses = {{Family::v4, "192.168.1.10", 24}};
  auto links2 = links();
  links2[1].has_carrier = false;  // eth0 without carrier: eth2 is the first with one
  auto p = plan_network(with_network({first}, meta::Source::cmdline), links2);
  CHECK(has_argv(p, {"ip", "addr", "add", "192.168.1.10/24", "dev", "eth2"}));

  meta::InterfaceConfig all;
  all.match.scope = meta::MatchScope::all;
  all.dhcp4 = true;
  auto q = plan_network(with_network({all}, meta::Source::cmdline), links());
  CHECK(dhcp4_ifaces(q) == std::vector<std::string>{"eth0", "eth1", "eth2"});

  auto off = with_network({}, meta::Source::cmdline);
  off.network->value.auto_dhcp4 = false;
  auto r = plan_network(off, links());
  CHECK(dhcp4_ifaces(r).empty());
  CHECK(has_argv(r, {"ip", "link", "set", "dev", "lo", "up"}));
}

TEST_CASE("net plan: gateway outside the prefix gets an on-link host route first") {
  meta::InterfaceConfig ic;
  ic.match.name = "eth0";
  ic.addresses = {{Family::v4, "203.0.113.7", 32}};
  ic.routes = {{Family::v4, "0.0.0.0", 0, "172.31.1.1"}};
  auto p = plan_network(with_network({ic}), links());
  std::size_t host = index_of(p, {"ip", "route", "add", "172.31.1.1", "dev", "eth0"});
  std::size_t def = index_of(p, {"ip", "route", "add", "default", "via", "172.31.1.1", "dev", "eth0"});
  CHECK(host < def);
  CHECK(def != 9999);
}

TEST_CASE("net plan: resolv.conf merges interface and global DNS, capped") {
  meta::InterfaceConfig ic;
  ic.match.name = "eth0";
  ic.dhcp4 = true;
  ic.dns = {"10.0.0.2", "10.0.0.3"};
  ic.search = {"example.com"};
  auto c = with_network({ic});
  c.dns = {{"10.0.0.3", meta::Source::config_drive}, {"1.1.1.1", meta::Source::cmdline}, {"8.8.8.8", meta::Source::imds}};
  c.search = {{"corp.example", meta::Source::cmdline}};
  auto p = plan_network(c, links());
  REQUIRE(p.actions.back().kind == ActionKind::write_resolv_conf);
  CHECK(p.actions.back().content ==
        "# written by lifeboat\nnameserver 10.0.0.2\nnameserver 10.0.0.3\nnameserver 1.1.1.1\n"
        "search example.com corp.example\n");
  CHECK(render_resolv_conf({"bad\nnameserver 6.6.6.6"}, {"a b"}) == "# written by lifeboat\n");
}
