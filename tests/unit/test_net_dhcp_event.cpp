// udhcpc's event handler (net/dhcp_event.h): the lease checked as hostile input, applied
// with ioctls, recorded for PID 1.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sys/ioctl.h>

#include <cstring>

#include "fake_sys.h"
#include "net/apply.h"
#include "net/dhcp_event.h"

using namespace lifeboat;
using namespace lifeboat::net;

namespace {

std::map<std::string, std::string> lease_env() {
  return {{"interface", "eth0"}, {"ip", "10.0.2.15"}, {"mask", "24"}, {"router", "10.0.2.2"},
          {"dns", "10.0.2.3 10.0.2.4"}, {"domain", "example.org"}, {"lease", "86400"},
          {"serverid", "10.0.2.2"}, {"broadcast", "10.0.2.255"}};
}

std::string dotted_of(const struct sockaddr& sa) {
  struct sockaddr_in sin;
  std::memcpy(&sin, &sa, sizeof sin);
  char buf[INET_ADDRSTRLEN] = "";
  inet_ntop(AF_INET, &sin.sin_addr, buf, sizeof buf);
  return buf;
}

// Every ioctl as text: "SIOCSIFADDR eth0 10.0.2.15", "SIOCADDRT 0.0.0.0/0.0.0.0 via 10.0.2.2".
struct IoctlLog {
  std::vector<std::string> calls;
  explicit IoctlLog(test::FakeSys& sys) { attach(sys); }
  void attach(test::FakeSys& sys) {
    sys.on_ioctl = [this](unsigned long req, void* arg) {
      auto* ifr = static_cast<struct ifreq*>(arg);
      switch (req) {
        case SIOCSIFADDR: calls.push_back("addr " + dotted_of(ifr->ifr_addr)); break;
        case SIOCSIFNETMASK: calls.push_back("mask " + dotted_of(ifr->ifr_addr)); break;
        case SIOCSIFBRDADDR: calls.push_back("brd " + dotted_of(ifr->ifr_addr)); break;
        case SIOCSIFMTU: calls.push_back("mtu " + std::to_string(ifr->ifr_mtu)); break;
        case SIOCSIFFLAGS: calls.push_back("up"); break;
        case SIOCADDRT: {
          auto* rt = static_cast<struct rtentry*>(arg);
          calls.push_back("route " + dotted_of(rt->rt_dst) + "/" + dotted_of(rt->rt_genmask) +
                          ((rt->rt_flags & RTF_GATEWAY) ? " via " + dotted_of(rt->rt_gateway) : std::string()) +
                          " dev " + rt->rt_dev);
          break;
        }
        default: break;
      }
      return sys::ok_status();
    };
  }
};

}  // namespace

TEST_CASE("dhcp event: a lease parsed and recorded as PID 1 reads it") {
  auto l = parse_dhcp_env("bound", lease_env());
  CHECK(l.problems.empty());
  CHECK(l.iface == "eth0");
  CHECK(l.ip == "10.0.2.15");
  CHECK(l.prefix == 24);
  CHECK(l.broadcast == "10.0.2.255");
  CHECK(l.routers == std::vector<std::string>{"10.0.2.2"});
  CHECK(l.dns == std::vector<std::string>{"10.0.2.3", "10.0.2.4"});
  CHECK(render_dns_record(l) == "nameserver 10.0.2.3\nnameserver 10.0.2.4\nsearch example.org\n");
  auto kv = parse_lease(render_lease_record(l));
  CHECK(kv["interface"] == "eth0");
  CHECK(kv["ip"] == "10.0.2.15");
  CHECK(kv["prefix"] == "24");
  CHECK(kv["router"] == "10.0.2.2");
  CHECK(kv["dns"] == "10.0.2.3 10.0.2.4");
  CHECK(kv["lease"] == "86400");
}

TEST_CASE("dhcp event: hostile lease values are named and left out") {
  auto env = lease_env();
  env["router"] = "10.0.2.2 evil;reboot";
  env["dns"] = "1.1.1.1\nnameserver 6.6.6.6";
  env["domain"] = "ok.example bad\x1b[2Jdomain";
  env["mtu"] = "12";
  env["broadcast"] = "x";
  env["lease"] = "'; rm -rf /";
  auto l = parse_dhcp_env("bound", env);
  CHECK(l.routers == std::vector<std::string>{"10.0.2.2"});
  CHECK(l.dns == std::vector<std::string>{"1.1.1.1", "6.6.6.6"});  // whitespace separates, each checked
  CHECK(l.domains == std::vector<std::string>{"ok.example"});
  CHECK(l.mtu == 0);
  CHECK(l.broadcast == "10.0.2.255");  // computed
  CHECK(l.lease.empty());
  CHECK(l.problems.size() == 6);
  for (const auto& p : l.problems) CHECK(p.find('\x1b') == std::string::npos);
  const std::string rec = render_lease_record(l) + render_dns_record(l);
  CHECK(rec.find(';') == std::string::npos);
  CHECK(rec.find("rm") == std::string::npos);

  auto bad_if = lease_env();
  bad_if["interface"] = "../../etc";
  CHECK(parse_dhcp_env("bound", bad_if).iface.empty());
  auto bad_ip = lease_env();
  bad_ip["ip"] = "10.0.2";
  CHECK(parse_dhcp_env("bound", bad_ip).ip.empty());
  // A /32 lease has no broadcast address; a dotted mask is understood too.
  auto gce = lease_env();
  gce["mask"] = "255.255.255.255";
  gce.erase("broadcast");
  auto g = parse_dhcp_env("bound", gce);
  CHECK(g.prefix == 32);
  CHECK(g.broadcast.empty());
}

TEST_CASE("dhcp event: bound applies the lease with ioctls and writes the records") {
  test::FakeSys sys;
  IoctlLog log(sys);
  auto env = lease_env();
  env["mtu"] = "1460";
  CHECK(run_dhcp_event(sys, {"bound"}, env, "/run/lifeboat/dhcp") == 0);
  CHECK(log.calls == std::vector<std::string>{"addr 10.0.2.15", "mask 255.255.255.0", "brd 10.0.2.255",
                                              "mtu 1460", "up", "route 0.0.0.0/0.0.0.0 via 10.0.2.2 dev eth0"});
  CHECK(sys.spawns.empty());
  CHECK(sys.files.at("/run/lifeboat/dhcp/eth0.dns") == "nameserver 10.0.2.3\nnameserver 10.0.2.4\nsearch example.org\n");
  CHECK(parse_lease(sys.files.at("/run/lifeboat/dhcp/eth0.lease"))["ip"] == "10.0.2.15");
}

TEST_CASE("dhcp event: a router outside a /32 lease is reached through a host route first") {
  test::FakeSys sys;
  IoctlLog log(sys);
  auto env = lease_env();
  env["ip"] = "10.128.0.7";
  env["mask"] = "32";
  env["router"] = "10.128.0.1";
  env.erase("broadcast");
  CHECK(run_dhcp_event(sys, {"bound"}, env, "/d") == 0);
  CHECK(log.calls == std::vector<std::string>{"addr 10.128.0.7", "mask 255.255.255.255",
                                              "route 10.128.0.1/255.255.255.255 dev eth0",
                                              "route 0.0.0.0/0.0.0.0 via 10.128.0.1 dev eth0"});
}

TEST_CASE("dhcp event: deconfig drops the address and the records; a failure is reported") {
  test::FakeSys sys;
  sys.add_file("/d/eth0.lease", "ip='10.0.2.15'\n");
  sys.add_file("/d/eth0.dns", "nameserver 10.0.2.3\n");
  IoctlLog log(sys);
  CHECK(run_dhcp_event(sys, {"deconfig"}, {{"interface", "eth0"}}, "/d") == 0);
  CHECK(log.calls.front() == "addr 0.0.0.0");
  CHECK_FALSE(sys.files.count("/d/eth0.lease"));
  CHECK_FALSE(sys.files.count("/d/eth0.dns"));

  test::FakeSys failing;
  failing.on_ioctl = [](unsigned long req, void*) {
    return req == SIOCSIFADDR ? sys::Status{-1, EPERM} : sys::ok_status();
  };
  CHECK(run_dhcp_event(failing, {"bound"}, lease_env(), "/d") == 1);
  CHECK(failing.console_text().find("dhcp-event: SIOCSIFADDR eth0 10.0.2.15: Operation not permitted") !=
        std::string::npos);
  CHECK_FALSE(failing.files.count("/d/eth0.lease"));  // PID 1 then reports "no lease"
  CHECK(run_dhcp_event(failing, {"bound"}, {{"interface", "a/b"}}, "/d") == 1);
}
