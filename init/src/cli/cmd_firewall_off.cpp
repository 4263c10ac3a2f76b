// rescue firewall-off: see subcommand_help().
#include "cli/session.h"
#include "cli/toolkit.h"
#include "common/text.h"
#include "guest/plan.h"

namespace lifeboat {

int cmd_firewall_off(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o) {
  if (wants_help(args)) return o.out += subcommand_help("firewall-off"), kExitOk;
  if (args.size() > 1) return usage(o, "firewall-off", "takes no arguments");
  guest::Report r;
  GuestSession session(sys, r);
  if (!session.open_or_report(false, o)) return kExitFailure;
  const std::string root = kGuestRoot;
  guest::FirewallFacts facts;
  std::string resolve_error;
  if (auto t = sys.read_guest_file(root, "/etc/ufw/ufw.conf", 1 << 20); t.ok()) facts.ufw_conf = t.value;
  for (const auto& link : guest::firewall_link_candidates()) {
    std::string p = guest::in_guest(sys, root, link, resolve_error);
    if (p.empty()) continue;
    if (auto target = sys.readlink(p); target.ok() && !target.value.empty()) facts.links.push_back({link, target.value});
  }
  auto plan = guest::plan_firewall_off(facts);
  if (plan.empty()) {
    r.out += "rescue: firewall-off: no enabled firewall found in the guest (ufw, firewalld, nftables, "
             "iptables/netfilter-persistent): nothing changed\n";
    session.close();
    take(o, r);
    return kExitOk;
  }
  bool ok = session.writable();
  std::string undo;
  for (const auto& a : plan) {
    if (!ok) break;
    std::string error;
    std::string p = guest::in_guest(sys, root, a.path, error);
    if (p.empty()) {
      r.err += "rescue: firewall-off: " + error + "\n";
      ok = false;
      continue;
    }
    if (a.kind == guest::FirewallAction::Kind::rewrite_file) {
      if (!guest::replace_file(sys, p, a.content, 0644, 0, 0, error)) {
        r.err += "rescue: firewall-off: " + error + "\n";
        ok = false;
        continue;
      }
    } else if (auto st = sys.unlink(p); !st.ok()) {
      r.err += "rescue: firewall-off: " + a.path + ": " + sys::error_text(st.err) + "\n";
      ok = false;
      continue;
    }
    r.out += "rescue: firewall-off: " + a.what + "\n";
    undo += "  " + a.undo + "\n";
  }
  if (!undo.empty()) r.out += "to undo (inside `rescue chroot`):\n" + undo;
  session.close();
  take(o, r);
  return ok ? kExitOk : kExitFailure;
}

}  // namespace lifeboat
