// The network applier: links from sysfs, the order of effects, parallel DHCP, reports.
#include <doctest/doctest.h>

#include <sys/ioctl.h>

#include "fake_sys.h"
#include "net/apply.h"

using namespace lifeboat;
using namespace lifeboat::net;

namespace {

void add_link(test::FakeSys& sys, const std::string& name, const std::string& mac, int type, int index,
              const char* carrier) {
  const std::string d = "/sys/class/net/" + name;
  sys.add_file(d + "/type", std::to_string(type) + "\n");
  sys.add_file(d + "/address", mac + "\n");
  sys.add_file(d + "/ifindex", std::to_string(index) + "\n");
  if (carrier) sys.add_file(d + "/carrier", carrier);
}

// Every one-shot exits 0 as soon as PID 1 waits; `on_child` may act first (e.g. the DHCP
// script writing its lease).
// The usual VM: a loopback and one ethernet link with a carrier.
void lo_and_eth0(test::FakeSys& sys) {
  add_link(sys, "lo", "00:00:00:00:00:00", 772, 1, "1");
  add_link(sys, "eth0", "52:54:00:12:34:56", 1, 2, "1");
}

void auto_exit(test::FakeSys& sys, std::function<void(const sys::SpawnSpec&)> on_child = {}) {
  for (int i = 0; i < 200; ++i) {
    sys.script.push_back([&sys, on_child] {
      if (sys.live.empty()) return;
      pid_t p = *sys.live.rbegin();
      if (on_child) on_child(sys.spawn_of(p));
      sys.exit_child(p, 0);
    });
  }
}

meta::Config static_eth0() {
  meta::Config c;
  meta::NetworkConfig n;
  meta::InterfaceConfig ic;
  ic.match.mac = "52:54:00:12:34:56";
  ic.origin = "network_data.json: links[0]";
  ic.addresses.push_back(meta::Address{meta::Family::v4, "10.0.2.15", 24});
  ic.routes.push_back(meta::Route{meta::Family::v4, "0.0.0.0", 0, "10.0.2.2"});
  ic.dns.push_back("10.0.2.3");
  n.interfaces.push_back(ic);
  c.network = meta::Sourced<meta::NetworkConfig>{n, meta::Source::config_drive};
  return c;
}

}  // namespace

TEST_CASE("net apply: links from sysfs, ethernet and loopback only, by ifindex") {
  test::FakeSys sys;
  add_link(sys, "lo", "00:00:00:00:00:00", 772, 1, "1");
  add_link(sys, "eth1", "52:54:00:00:00:02", 1, 3, nullptr);  // down: carrier unreadable
  add_link(sys, "eth0", "52:54:00:12:34:56", 1, 2, "1\n");
  add_link(sys, "sit0", "00:00:00:00", 776, 4, "0");
  auto links = read_links(sys);
  REQUIRE(links.size() == 3);
  CHECK(links[0].name == "lo");
  CHECK(links[0].is_loopback);
  CHECK(links[1].name == "eth0");
  CHECK(links[1].mac == "52:54:00:12:34:56");
  CHECK(links[1].has_carrier);
  CHECK(links[2].name == "eth1");
  CHECK_FALSE(links[2].has_carrier);
  CHECK(read_links(sys, "/nonexistent").empty());
}

TEST_CASE("net apply: no NIC at all is quick and quiet") {
  test::FakeSys sys;
  add_link(sys, "lo", "00:00:00:00:00:00", 772, 1, "1");
  Log log(sys);
  Supervisor sup(sys, log);
  auto_exit(sys);
  const auto t0 = sys.now_ms;
  auto r = bring_up_network(sys, sup, meta::Config{});
  CHECK(r.interfaces.empty());
  CHECK(r.failures.empty());
  CHECK(sys.now_ms - t0 < 100);
  // lo is brought up with ioctls: no `ip` process at all.
  CHECK(sys.spawns.empty());
  CHECK(std::count(sys.ioctls.begin(), sys.ioctls.end(), static_cast<unsigned long>(SIOCGIFFLAGS)) == 1);
}

TEST_CASE("net apply: DHCP fallback runs the clients in parallel and reads the leases") {
  test::FakeSys sys;
  add_link(sys, "lo", "00:00:00:00:00:00", 772, 1, "1");
  add_link(sys, "eth0", "52:54:00:12:34:56", 1, 2, "1");
  add_link(sys, "eth1", "52:54:00:00:00:02", 1, 3, "1");
  sys.add_dir("/run/lifeboat/dhcp");
  sys.add_file("/run/lifeboat/dhcp/eth1.lease", "ip='192.0.2.99'\n");  // stale: removed first
  Log log(sys);
  Supervisor sup(sys, log);
  std::string script;
  auto_exit(sys, [&](const sys::SpawnSpec& s) {
    if (s.argv[0] != "/bin/sh") return;
    script = s.argv[2];
    sys.add_file("/run/lifeboat/dhcp/eth0.lease",
                 "interface='eth0'\nip='10.0.2.15'\nprefix='24'\nrouter='10.0.2.2'\ndns='10.0.2.3'\n");
    sys.add_file("/run/lifeboat/dhcp/eth0.dns", "nameserver 10.0.2.3\nsearch example.org\n");
  });
  auto r = bring_up_network(sys, sup, meta::Config{});
  // One shell runs both clients in the background.
  CHECK(script.find("'udhcpc' '-t' '3' '-T' '1' '-A' '2' '-n' '-q' '-f' '-i' 'eth0'") != std::string::npos);
  CHECK(script.find("'-i' 'eth1'") != std::string::npos);
  CHECK(script.substr(script.size() - 4) == "wait");
  REQUIRE(r.interfaces.size() == 2);
  CHECK(r.interfaces[0].addresses == std::vector<std::string>{"10.0.2.15/24"});
  CHECK(r.interfaces[0].gateway == "10.0.2.2");
  CHECK(r.interfaces[0].method == "dhcp");
  CHECK(interface_line(r.interfaces[0]) == "eth0 52:54:00:12:34:56 10.0.2.15/24 gw 10.0.2.2 (dhcp)");
  CHECK(r.interfaces[1].addresses.empty());
  CHECK(interface_line(r.interfaces[1]) == "eth1 52:54:00:00:00:02 no address (dhcp: no lease)");
  CHECK(sys.files.at("/etc/resolv.conf") == "# written by lifeboat\nnameserver 10.0.2.3\nsearch example.org\n");
  // Links were set up with ioctls (before the carrier wait, then as the plan's link_up
  // actions: lo, eth0, eth1), and the only process was the DHCP shell.
  CHECK(std::count(sys.ioctls.begin(), sys.ioctls.end(), static_cast<unsigned long>(SIOCGIFFLAGS)) == 5);
  CHECK(sys.spawns.size() == 1);
}

TEST_CASE("net apply: one DHCP client runs without a shell around it") {
  test::FakeSys sys;
  lo_and_eth0(sys);
  Log log(sys);
  Supervisor sup(sys, log);
  std::vector<std::string> argv;
  auto_exit(sys, [&](const sys::SpawnSpec& s) {
    if (s.argv[0] != "udhcpc") return;
    argv = s.argv;
    sys.add_file("/run/lifeboat/dhcp/eth0.lease", "interface='eth0'\nip='10.0.2.15'\nprefix='24'\n");
  });
  auto r = bring_up_network(sys, sup, meta::Config{});
  REQUIRE(argv.size() > 2);
  CHECK(argv[argv.size() - 3] == "eth0");  // ... -i eth0 -s SCRIPT
  REQUIRE(r.interfaces.size() == 1);
  CHECK(r.interfaces[0].addresses == std::vector<std::string>{"10.0.2.15/24"});
  for (const auto& sp : sys.spawns) CHECK(sp.argv[0] != "/bin/sh");
}

TEST_CASE("net apply: a static config by MAC, with the source in the console line") {
  test::FakeSys sys;
  lo_and_eth0(sys);
  Log log(sys);
  Supervisor sup(sys, log);
  auto_exit(sys);
  auto c = static_eth0();
  c.hostname = meta::Sourced<std::string>{"vm1", meta::Source::config_drive};
  auto r = bring_up_network(sys, sup, c);
  CHECK(r.errors.empty());
  CHECK(r.failures.empty());
  CHECK(sys.hostname == "vm1");
  CHECK(sys.files.at("/etc/hostname") == "vm1\n");
  REQUIRE(r.interfaces.size() == 1);
  CHECK(interface_line(r.interfaces[0]) == "eth0 52:54:00:12:34:56 10.0.2.15/24 gw 10.0.2.2 (static, config-2)");
  CHECK(sys.files.at("/etc/resolv.conf").find("nameserver 10.0.2.3\n") != std::string::npos);
  for (const auto& s : sys.spawns) CHECK(s.argv[0] != "/bin/sh");  // no DHCP at all
  auto j = network_json(r, c);
  CHECK(j.find("\"source\":\"config-2\"") != std::string::npos);
  CHECK(first_ipv4(r) == "10.0.2.15");
}

TEST_CASE("net apply: an unknown MAC is a named error; a failing ip command is reported") {
  test::FakeSys sys;
  add_link(sys, "lo", "00:00:00:00:00:00", 772, 1, "1");
  add_link(sys, "eth0", "52:54:00:99:99:99", 1, 2, "1");
  Log log(sys);
  Supervisor sup(sys, log);
  auto c = static_eth0();
  for (int i = 0; i < 200; ++i)
    sys.script.push_back([&] {
      if (!sys.live.empty()) sys.exit_child(*sys.live.rbegin(), 0);
    });
  auto r = bring_up_network(sys, sup, c);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].source == "config-2");
  CHECK(r.errors[0].message.find("no interface with MAC 52:54:00:12:34:56") != std::string::npos);
  // eth0 has a carrier and no config of its own: the DHCP fallback takes it.
  REQUIRE(r.interfaces.size() == 1);
  CHECK(r.interfaces[0].origin.empty());
}

TEST_CASE("net apply: carrier wait is bounded") {
  test::FakeSys sys;
  add_link(sys, "lo", "00:00:00:00:00:00", 772, 1, "1");
  add_link(sys, "eth0", "52:54:00:12:34:56", 1, 2, "0");
  Log log(sys);
  Supervisor sup(sys, log);
  auto_exit(sys);
  ApplyOptions o;
  o.carrier_wait_ms = 2000;
  auto r = bring_up_network(sys, sup, meta::Config{}, o);
  CHECK(r.carrier_wait_ms >= 2000);
  CHECK(r.carrier_wait_ms < 2100);
  REQUIRE(r.interfaces.size() == 1);
  CHECK(interface_line(r.interfaces[0]) == "eth0 52:54:00:12:34:56 no address (no carrier)");
}

TEST_CASE("net apply: pure helpers") {
  CHECK(shell_quote("eth0") == "'eth0'");
  CHECK(shell_quote("a'b") == "'a'\\''b'");
  CHECK(parallel_script({{"a", "b c"}, {"d"}}) == "'a' 'b c' & 'd' & wait");
  CHECK(parallel_script({}) == "wait");
  auto kv = parse_lease("ip='10.0.0.5'\nprefix='24'\nrouter=''\nbad line\n");
  CHECK(kv["ip"] == "10.0.0.5");
  CHECK(kv["prefix"] == "24");
  CHECK(kv["router"].empty());
  std::vector<std::string> ns, search;
  parse_resolv_lines("nameserver 1.1.1.1\nnameserver bogus\nsearch a b\nnameserver 1.1.1.1\n# x\n", ns, search);
  CHECK(ns == std::vector<std::string>{"1.1.1.1"});
  CHECK(search == std::vector<std::string>{"a", "b"});
  InterfaceReport r{"eth0", "52:54:00:12:34:56", true, "static+dhcp", "cmdline", {"10.0.0.5/24", "10.0.0.6/24"}, "", {}};
  CHECK(interface_line(r) == "eth0 52:54:00:12:34:56 10.0.0.5/24 10.0.0.6/24 (static+dhcp, cmdline)");
}

TEST_CASE("net apply: while_dhcp runs once the client is started, before its lease is waited for") {
  test::FakeSys sys;
  lo_and_eth0(sys);
  Log log(sys);
  Supervisor sup(sys, log);
  auto_exit(sys, [&](const sys::SpawnSpec& s) {
    if (s.argv[0] == "udhcpc")
      sys.add_file("/run/lifeboat/dhcp/eth0.lease", "interface='eth0'\nip='10.0.2.15'\nprefix='24'\n");
  });
  ApplyOptions o;
  int calls = 0;
  bool client_running = false;
  o.while_dhcp = [&] {
    ++calls;
    client_running = !sys.spawns.empty() && sys.spawns.back().argv[0] == "udhcpc" && !sys.live.empty();
  };
  auto r = bring_up_network(sys, sup, meta::Config{}, o);
  CHECK(calls == 1);
  CHECK(client_running);
  REQUIRE(r.interfaces.size() == 1);
  CHECK(r.interfaces[0].addresses == std::vector<std::string>{"10.0.2.15/24"});
  // A static setup has no DHCP client: the hook is not called here (the caller runs it).
  test::FakeSys sys2;
  lo_and_eth0(sys2);
  Supervisor sup2(sys2, log);
  auto_exit(sys2);
  calls = 0;
  (void)bring_up_network(sys2, sup2, static_eth0(), o);
  CHECK(calls == 0);
}
