#pragma once
// The network planner (pure): merged config + the links the kernel shows -> actions.
//
// Matching, per interface config of the winning source, in order:
//   - by MAC (case-insensitive) when the config names one; a MAC no link has gives
//     Error{source, origin, "no interface with MAC ..."} and that config is skipped;
//   - else by name (exact, or a glob "en*" from netplan-style configs);
//   - scope first: the first unclaimed link with a carrier (else the first unclaimed link);
//   - scope all: every unclaimed non-loopback link.
//   A link is configured by one config only; a second match is a warning.
// Fallback DHCPv4: with no network config at all, every unclaimed non-loopback link; with
// one, every unclaimed link that has a carrier (unless ip=off set auto_dhcp4 = false).
// Loopback links are always brought up.
//
// Action order: hostname; lo up; per link: link up (mtu), addresses, routes (a host route
// to a gateway outside every configured prefix comes first, so "via" works); then all
// DHCP/SLAAC actions (the applier may run the DHCP clients in parallel); resolv.conf last
// (only with static nameservers: with DHCP the udhcpc script writes it, and a later DHCP
// lease may overwrite ours).
// Commands are BusyBox `ip` argv vectors, e.g. {"ip","addr","add","10.0.0.5/24","dev","eth0"}.
#include <string>
#include <vector>

#include "common/error.h"
#include "model/model.h"

namespace lifeboat::net {

struct Link {
  std::string name;
  std::string mac;  // as in /sys/class/net/X/address, any case
  bool has_carrier = false;
  bool is_loopback = false;
};

enum class ActionKind {
  set_hostname,       // content = hostname (the applier calls sethostname)
  link_up,            // iface + mtu, applied with ioctls (net/ifconfig.h); argv = the same as `ip`
  add_address,        // argv
  add_route,          // argv
  dhcp4,              // argv (udhcpc)
  dhcp6,              // argv (udhcpc6)
  slaac,              // path + content: /proc/sys/net/ipv6/conf/<if>/accept_ra <- "1"
  write_resolv_conf,  // path + content
};
const char* to_string(ActionKind k) noexcept;

struct Action {
  ActionKind kind = ActionKind::link_up;
  std::string iface;              // "" for hostname and resolv.conf
  std::vector<std::string> argv;  // a command to run, else empty
  std::string path;               // a file to write, else ""
  std::string content;            // the file's content, or the hostname
  std::string summary;            // for the console: "eth0: address 10.0.0.5/24"
  int mtu = 0;                    // link_up: the MTU to set first, 0 = leave it
};

struct PlanOptions {
  std::string ip = "ip";
  std::string udhcpc = "udhcpc";
  std::string udhcpc6 = "udhcpc6";
  std::string dhcp_script = "/usr/lib/lifeboat/dhcp-event";       // udhcpc (net/dhcp_event.h)
  std::string dhcp6_script = "/usr/share/udhcpc/default.script";  // udhcpc6
  std::string resolv_conf = "/etc/resolv.conf";
};

struct NetPlan {
  std::vector<Action> actions;
  Errors errors;
  // link name -> the origin of the config applied to it ("dhcp fallback" for the fallback)
  std::vector<std::pair<std::string, std::string>> assignments;
};

NetPlan plan_network(const meta::Config& config, const std::vector<Link>& links, const PlanOptions& options = {});

// "# written by lifeboat\nnameserver X\n...search a b\n"; at most 3 nameservers and 6
// search domains (what the resolver reads).
std::string render_resolv_conf(const std::vector<std::string>& nameservers, const std::vector<std::string>& search);

}  // namespace lifeboat::net
