// Address helpers: netmask <-> prefix (v4, v6), CIDR, MAC, interface names, udhcpc argv.
#include <doctest/doctest.h>

#include "net/addr.h"
#include "net/udhcpc.h"

using namespace lifeboat;
using namespace lifeboat::net;

TEST_CASE("net addr: IPv4 netmask <-> prefix") {
  CHECK(netmask_to_prefix_v4("255.255.255.0") == 24);
  CHECK(netmask_to_prefix_v4("255.255.255.255") == 32);
  CHECK(netmask_to_prefix_v4("0.0.0.0") == 0);
  CHECK(netmask_to_prefix_v4("255.255.240.0") == 20);
  CHECK(netmask_to_prefix_v4("255.128.0.0") == 9);
  CHECK_FALSE(netmask_to_prefix_v4("255.0.255.0"));  // not contiguous
  CHECK_FALSE(netmask_to_prefix_v4("255.255.255"));
  CHECK_FALSE(netmask_to_prefix_v4("banana"));
  for (int p = 0; p <= 32; ++p) CHECK(netmask_to_prefix_v4(prefix_to_netmask_v4(p)) == p);
  CHECK(prefix_to_netmask_v4(24) == "255.255.255.0");
  CHECK(prefix_to_netmask_v4(33).empty());
}

TEST_CASE("net addr: IPv6 mask <-> prefix") {
  CHECK(netmask_to_prefix_v6("ffff:ffff:ffff:ffff::") == 64);
  CHECK(netmask_to_prefix_v6("ffff:ffff:ffff:ff80::") == 57);
  CHECK(netmask_to_prefix_v6("::") == 0);
  CHECK_FALSE(netmask_to_prefix_v6("ffff::ffff"));
  for (int p = 0; p <= 128; ++p) CHECK(netmask_to_prefix_v6(prefix_to_netmask_v6(p)) == p);
  CHECK(prefix_to_netmask_v6(64) == "ffff:ffff:ffff:ffff::");
  CHECK(prefix_to_netmask_v6(129).empty());
}

TEST_CASE("net addr: parse_netmask accepts every form the sources use") {
  CHECK(parse_netmask("24", Family::v4) == 24);
  CHECK(parse_netmask("/24", Family::v4) == 24);
  CHECK(parse_netmask("255.255.0.0", Family::v4) == 16);
  CHECK(parse_netmask("64", Family::v6) == 64);
  CHECK(parse_netmask("ffff:ffff:ffff:ffff::", Family::v6) == 64);
  CHECK_FALSE(parse_netmask("33", Family::v4));
  CHECK_FALSE(parse_netmask("129", Family::v6));
  CHECK_FALSE(parse_netmask("-1", Family::v4));
  CHECK_FALSE(parse_netmask("", Family::v4));
}

TEST_CASE("net addr: parse_ip canonicalises and refuses junk") {
  auto v4 = parse_ip("10.0.0.5");
  REQUIRE(v4);
  CHECK(v4->family == Family::v4);
  CHECK(v4->text == "10.0.0.5");
  auto v6 = parse_ip("2001:DB8:0:0::5");
  REQUIRE(v6);
  CHECK(v6->family == Family::v6);
  CHECK(v6->text == "2001:db8::5");
  CHECK(parse_ip("[2001:db8::1]")->text == "2001:db8::1");
  CHECK_FALSE(parse_ip("10.0.0"));
  CHECK_FALSE(parse_ip("10.0.0.256"));
  CHECK_FALSE(parse_ip("010.0.0.1"));
  CHECK_FALSE(parse_ip("fe80::1%eth0"));
  CHECK_FALSE(parse_ip(" 10.0.0.1"));
  CHECK_FALSE(parse_ip(""));
  CHECK_FALSE(parse_ip("10.0.0.1", Family::v6));
  CHECK_FALSE(parse_ip(std::string(5000, '1')));
}

TEST_CASE("net addr: CIDR, route destinations, subnets") {
  auto a = parse_cidr("10.0.0.5/24");
  REQUIRE(a);
  CHECK(*a == meta::Address{Family::v4, "10.0.0.5", 24});
  CHECK(parse_cidr("2001:db8::5/64")->prefix == 64);
  CHECK_FALSE(parse_cidr("10.0.0.5"));
  CHECK(parse_cidr("10.0.0.5", 32)->prefix == 32);
  CHECK_FALSE(parse_cidr("10.0.0.5/33"));
  CHECK_FALSE(parse_cidr("10.0.0.5/"));
  CHECK_FALSE(parse_cidr("x/24"));

  auto r = parse_route_destination("10.1.2.3/16");
  REQUIRE(r);
  CHECK(r->destination == "10.1.0.0");
  CHECK(r->prefix == 16);
  CHECK(parse_route_destination("default")->is_default());
  CHECK(parse_route_destination("default", Family::v6)->destination == "::");
  CHECK(parse_route_destination("0.0.0.0/0")->is_default());
  CHECK(parse_route_destination("192.168.1.1")->prefix == 32);

  meta::Address net{Family::v4, "10.0.0.5", 24};
  CHECK(in_subnet(net, *parse_ip("10.0.0.1")));
  CHECK_FALSE(in_subnet(net, *parse_ip("10.0.1.1")));
  CHECK_FALSE(in_subnet(net, *parse_ip("::1")));
  CHECK(in_subnet(meta::Address{Family::v6, "2001:db8::5", 64}, *parse_ip("2001:db8::1")));
}

TEST_CASE("net addr: MAC normalisation") {
  CHECK(normalize_mac("52:54:00:AB:cd:EF") == "52:54:00:ab:cd:ef");
  CHECK(normalize_mac("52-54-00-ab-cd-ef") == "52:54:00:ab:cd:ef");
  CHECK(normalize_mac("5254.00ab.cdef") == "52:54:00:ab:cd:ef");
  CHECK(normalize_mac("525400abcdef") == "52:54:00:ab:cd:ef");
  CHECK_FALSE(normalize_mac("52:54:00:ab:cd"));
  CHECK_FALSE(normalize_mac("52:54:00:ab:cd:ef:01"));
  CHECK_FALSE(normalize_mac("52:54:00:ab:cd:eg"));
  CHECK_FALSE(normalize_mac("5:254:00:ab:cd:ef"));
  CHECK_FALSE(normalize_mac("52:54-00:ab:cd:ef"));
  CHECK_FALSE(normalize_mac(""));
}

TEST_CASE("net addr: interface names") {
  CHECK(valid_ifname("eth0"));
  CHECK(valid_ifname("enp0s3"));
  CHECK(valid_ifname("a23456789012345"));
  CHECK_FALSE(valid_ifname("a234567890123456"));
  CHECK_FALSE(valid_ifname(""));
  CHECK_FALSE(valid_ifname(".."));
  CHECK_FALSE(valid_ifname("../etc"));
  CHECK_FALSE(valid_ifname("eth 0"));
  CHECK_FALSE(valid_ifname("eth0:1"));
}

TEST_CASE("net udhcpc: argv with short timings") {
  std::vector<std::string> want = {"udhcpc", "-t", "3", "-T", "1", "-A", "2", "-n", "-q", "-f",
                                   "-i", "eth0", "-s", "/usr/lib/lifeboat/dhcp-event"};
  CHECK(udhcpc_argv("eth0") == want);
  auto v6 = udhcpc6_argv("eth1", "/s6");
  CHECK(v6.front() == "udhcpc6");
  CHECK(v6[11] == "eth1");
  CHECK(v6.back() == "/s6");
}
