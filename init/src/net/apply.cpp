#include "net/apply.h"

#include <dirent.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/text.h"
#include "net/addr.h"
#include "net/ifconfig.h"

namespace lifeboat::net {

namespace {

constexpr long long kArphrdEther = 1;
constexpr long long kArphrdLoopback = 772;

void add_unique(std::vector<std::string>& list, std::string_view v) {
  if (v.empty()) return;
  if (std::find(list.begin(), list.end(), v) == list.end()) list.emplace_back(v);
}

bool read_carrier(sys::Sys& sys, const std::string& dir) {
  auto c = sys.read_file(dir + "/carrier", 16);  // EINVAL while the link is down
  return c.ok() && trim(c.value) == "1";
}

// Sets IFF_UP on every non-loopback link; returns failures.
std::vector<std::string> links_up(sys::Sys& sys, const std::vector<Link>& links) {
  std::vector<std::string> failures;
  for (const auto& l : links)
    if (!l.is_loopback)
      if (auto r = link_up(sys, l.name); !r.ok()) failures.push_back(r.describe());
  return failures;
}

std::string join_argv(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

// The last line of a command's output, for a failure message.
std::string last_line(const std::string& out) {
  auto lines = split_lines(out);
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    auto t = trim(*it);
    if (!t.empty()) return std::string(t.substr(0, 160));
  }
  return "";
}

// The word after `key` in argv, "" if none.
std::string arg_after(const std::vector<std::string>& argv, std::string_view key) {
  for (std::size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == key) return argv[i + 1];
  return "";
}

}  // namespace

std::vector<Link> read_links(sys::Sys& sys, const std::string& sysfs) {
  std::vector<std::pair<long long, Link>> found;
  auto entries = sys.list_dir(sysfs);
  if (!entries.ok()) return {};
  for (const auto& e : entries.value) {
    if (e.name.empty() || e.name[0] == '.') continue;
    const std::string dir = sysfs + "/" + e.name;
    auto type = sys.read_file(dir + "/type", 32);
    long long t = -1;
    if (!type.ok() || !parse_int(trim(type.value), t)) continue;
    if (t != kArphrdEther && t != kArphrdLoopback) continue;
    Link l;
    l.name = e.name;
    l.is_loopback = t == kArphrdLoopback;
    if (auto mac = sys.read_file(dir + "/address", 64); mac.ok()) l.mac = std::string(trim(mac.value));
    l.has_carrier = read_carrier(sys, dir);
    long long index = 1 << 30;
    if (auto idx = sys.read_file(dir + "/ifindex", 32); idx.ok()) (void)parse_int(trim(idx.value), index);
    found.emplace_back(index, std::move(l));
  }
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second.name < b.second.name;
  });
  std::vector<Link> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

NetResult bring_up_network(sys::Sys& sys, Supervisor& sup, const meta::Config& config, const ApplyOptions& o) {
  NetResult r;
  std::vector<Link> links = read_links(sys, o.sysfs);

  // 1. every link up, then a bounded wait for the carriers (virtio: a few ms).
  for (auto& f : links_up(sys, links)) r.failures.push_back(std::move(f));
  const std::int64_t wait_start = sys.monotonic_ms();
  for (;;) {
    bool all = true;
    for (const auto& l : links)
      if (!l.is_loopback && !read_carrier(sys, o.sysfs + "/" + l.name)) all = false;
    if (all || sys.monotonic_ms() - wait_start >= o.carrier_wait_ms) break;
    sys.sleep_ms(o.carrier_poll_ms);
  }
  r.carrier_wait_ms = sys.monotonic_ms() - wait_start;
  links = read_links(sys, o.sysfs);  // fresh carrier state for the planner

  // 2. the plan.
  NetPlan plan = plan_network(config, links);
  r.errors = plan.errors;
  const std::string source = config.network ? meta::to_string(config.network->source) : "";
  for (const auto& l : links) {
    if (l.is_loopback) continue;
    InterfaceReport rep;
    rep.name = l.name;
    rep.mac = l.mac;
    rep.carrier = l.has_carrier;
    rep.method = "none";
    for (const auto& [link, origin] : plan.assignments)
      if (link == l.name) rep.origin = origin == "dhcp fallback" ? "" : source;
    r.interfaces.push_back(std::move(rep));
  }
  auto report_of = [&](const std::string& name) -> InterfaceReport* {
    for (auto& i : r.interfaces)
      if (i.name == name) return &i;
    return nullptr;
  };
  auto set_method = [](InterfaceReport* rep, const char* m) {
    if (!rep) return;
    if (rep->method == "none" || rep->method == m) rep->method = m;
    else rep->method = "static+dhcp";
  };

  // 3. the static part, in order; DHCP collected for step 4.
  std::vector<std::vector<std::string>> dhcp;
  std::vector<std::string> dhcp4_ifaces;
  for (const auto& a : plan.actions) {
    switch (a.kind) {
      case ActionKind::set_hostname: {
        auto st = sys.sethostname(a.content);
        if (!st.ok()) {
          r.failures.push_back(strformat("sethostname: %s", sys::error_text(st.err)));
          break;
        }
        r.hostname = a.content;
        st = sys.write_file_atomic(o.hostname_file, a.content + "\n", 0644);
        if (!st.ok()) r.failures.push_back(o.hostname_file + ": " + sys::error_text(st.err));
        break;
      }
      case ActionKind::link_up: {  // ioctls, no `ip` process (tens of ms each under TCG)
        auto res = link_up(sys, a.iface, a.mtu);
        if (!res.ok()) {
          std::string msg = join_argv(a.argv) + ": " + res.describe();
          r.failures.push_back(msg);
          if (InterfaceReport* rep = report_of(a.iface)) rep->problems.push_back(msg);
        }
        break;
      }
      case ActionKind::add_address:
      case ActionKind::add_route: {
        RunSpec rs;
        rs.argv = a.argv;
        rs.timeout_ms = o.command_timeout_ms;
        rs.capture = Capture::string;
        rs.capture_limit = 4096;
        RunResult res = sup.run(rs);
        InterfaceReport* rep = report_of(a.iface);
        if (!res.ok()) {
          std::string msg = join_argv(a.argv) + ": " + res.describe();
          if (auto l = last_line(res.output); !l.empty()) msg += ": " + l;
          r.failures.push_back(msg);
          if (rep) rep->problems.push_back(msg);
          break;
        }
        if (a.kind == ActionKind::add_address && rep) {
          add_unique(rep->addresses, arg_after(a.argv, "add"));
          set_method(rep, "static");
        }
        if (a.kind == ActionKind::add_route && rep && arg_after(a.argv, "add") == "default" && rep->gateway.empty())
          rep->gateway = arg_after(a.argv, "via");
        break;
      }
      case ActionKind::dhcp4:
        dhcp.push_back(a.argv);
        dhcp4_ifaces.push_back(a.iface);
        break;
      case ActionKind::dhcp6:
        dhcp.push_back(a.argv);
        break;
      case ActionKind::slaac: {
        auto st = sys.write_file(a.path, a.content);
        if (!st.ok()) r.failures.push_back(a.path + ": " + sys::error_text(st.err));
        break;
      }
      case ActionKind::write_resolv_conf:
        parse_resolv_lines(a.content, r.nameservers, r.search);
        break;
    }
  }

  // 4. DHCP on every link that wants it, in parallel, bounded.
  if (!dhcp.empty()) {
    (void)sys.mkdir_p(o.dhcp_dir, 0755);  // the script creates it too
    for (const auto& i : dhcp4_ifaces) {
      (void)sys.unlink(o.dhcp_dir + "/" + i + ".lease");  // stale ones; ENOENT is the usual answer
      (void)sys.unlink(o.dhcp_dir + "/" + i + ".dns");
    }
    RunSpec rs;
    // One client runs as is; several run side by side under a shell's `wait`.
    rs.argv = dhcp.size() == 1 ? dhcp.front() : std::vector<std::string>{o.shell, "-c", parallel_script(dhcp)};
    rs.timeout_ms = o.dhcp_timeout_ms;
    rs.kill_grace_ms = 500;
    rs.capture = Capture::null;  // udhcpc's chatter; the leases are read below
    const std::int64_t t0 = sys.monotonic_ms();
    Supervisor::Pending dhcp_run = sup.start(rs);
    if (o.while_dhcp) o.while_dhcp();
    RunResult res = sup.finish(dhcp_run);
    r.dhcp_ms = sys.monotonic_ms() - t0;
    if (res.timed_out()) r.failures.push_back("dhcp: " + res.describe());
    for (const auto& i : dhcp4_ifaces) {
      InterfaceReport* rep = report_of(i);
      auto lease = sys.read_file(o.dhcp_dir + "/" + i + ".lease", 8192);
      if (!lease.ok()) {
        if (rep) rep->problems.push_back("dhcp: no lease");
        continue;
      }
      auto kv = parse_lease(lease.value);
      if (rep && !kv["ip"].empty()) {
        add_unique(rep->addresses, kv["ip"] + "/" + (kv["prefix"].empty() ? "24" : kv["prefix"]));
        set_method(rep, "dhcp");
        if (rep->gateway.empty()) {
          auto routers = split_ws(kv["router"]);
          if (!routers.empty()) rep->gateway = std::string(routers.front());
        }
      }
      if (auto dns = sys.read_file(o.dhcp_dir + "/" + i + ".dns", 8192); dns.ok())
        parse_resolv_lines(dns.value, r.nameservers, r.search);
    }
  }

  // 5. resolv.conf: static nameservers first, then what the leases brought.
  if (!r.nameservers.empty() || !r.search.empty()) {
    auto st = sys.write_file_atomic(o.resolv_conf, render_resolv_conf(r.nameservers, r.search), 0644);
    if (!st.ok()) r.failures.push_back(o.resolv_conf + ": " + sys::error_text(st.err));
  }
  return r;
}

// ---- pure helpers ---------------------------------------------------------------------

std::string shell_quote(std::string_view word) {
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  out += "'";
  return out;
}

std::string parallel_script(const std::vector<std::vector<std::string>>& commands) {
  std::string s;
  for (const auto& argv : commands) {
    if (argv.empty()) continue;
    for (const auto& w : argv) s += shell_quote(w) + " ";
    s += "& ";
  }
  s += "wait";
  return s;
}

std::map<std::string, std::string> parse_lease(std::string_view text) {
  std::map<std::string, std::string> out;
  for (auto raw : split_lines(text)) {
    auto line = trim(raw);
    auto eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    std::string key(line.substr(0, eq));
    std::string_view v = line.substr(eq + 1);
    if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'') v = v.substr(1, v.size() - 2);
    out[key] = std::string(v);
  }
  return out;
}

void parse_resolv_lines(std::string_view text, std::vector<std::string>& nameservers,
                        std::vector<std::string>& search) {
  for (auto raw : split_lines(text)) {
    auto words = split_ws(raw);
    if (words.size() < 2) continue;
    if (words[0] == "nameserver") {
      if (parse_ip(words[1])) add_unique(nameservers, words[1]);
    } else if (words[0] == "search" || words[0] == "domain") {
      for (std::size_t i = 1; i < words.size(); ++i) add_unique(search, words[i]);
    }
  }
}

std::string interface_line(const InterfaceReport& r) {
  std::string s = r.name + " " + (r.mac.empty() ? "(no MAC)" : r.mac);
  if (r.addresses.empty()) {
    s += " no address";
    if (!r.carrier) s += " (no carrier)";
    else if (!r.problems.empty()) s += " (" + r.problems.front() + ")";
    else s += " (not configured)";
    return s;
  }
  for (const auto& a : r.addresses) s += " " + a;
  if (!r.gateway.empty()) s += " gw " + r.gateway;
  s += " (" + r.method;
  if (!r.origin.empty()) s += ", " + r.origin;
  s += ")";
  return s;
}

std::string network_json(const NetResult& r, const meta::Config& config) {
  using nlohmann::json;
  json ifs = json::array();
  for (const auto& i : r.interfaces) {
    ifs.push_back({{"name", i.name},
                   {"mac", i.mac},
                   {"carrier", i.carrier},
                   {"method", i.method},
                   {"source", i.origin.empty() ? (i.method == "none" ? "none" : "dhcp fallback") : i.origin},
                   {"addresses", i.addresses},
                   {"gateway", i.gateway},
                   {"problems", i.problems}});
  }
  json doc = {{"source", config.network ? meta::to_string(config.network->source) : "dhcp fallback"},
              {"interfaces", ifs},
              {"nameservers", r.nameservers},
              {"search", r.search},
              {"hostname", r.hostname},
              {"failures", r.failures},
              {"carrier_wait_ms", r.carrier_wait_ms},
              {"dhcp_ms", r.dhcp_ms}};
  try {
    return doc.dump(-1, ' ', false, json::error_handler_t::replace);
  } catch (...) {
    return "{}";
  }
}

std::string first_ipv4(const NetResult& r) {
  for (const auto& i : r.interfaces) {
    for (const auto& a : i.addresses) {
      auto slash = a.find('/');
      auto ip = parse_ip(a.substr(0, slash), meta::Family::v4);
      if (ip) return ip->text;
    }
  }
  return "";
}

}  // namespace lifeboat::net
