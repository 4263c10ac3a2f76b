// rescue passwd: see subcommand_help().
#include "cli/prompt.h"
#include "cli/session.h"
#include "cli/toolkit.h"
#include "common/text.h"
#include "guest/plan.h"
#include "model/secret.h"
#include "ssh/setup.h"

namespace lifeboat {

int cmd_passwd(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o) {
  if (wants_help(args)) return o.out += subcommand_help("passwd"), kExitOk;
  if (args.size() > 2) return usage(o, "passwd", "too many arguments");
  std::string user = args.size() == 2 ? args[1] : "root";
  if (!guest::valid_user_name(user)) return usage(o, "passwd", "invalid user name");
  guest::Report r;
  GuestSession session(sys, r);
  if (!session.open_or_report(false, o)) return kExitFailure;
  const std::string root = kGuestRoot;
  // Every guest file below is found inside the guest (guest::in_guest): a link in the
  // guest can never make this read or write the rescue system's own files.
  std::string resolve_error;
  const std::string shadow_path = guest::in_guest(sys, root, "/etc/shadow", resolve_error);
  auto shadow = shadow_path.empty() ? sys::Result<std::string>::failure(ENOENT)
                                    : sys.read_guest_file(root, "/etc/shadow", 16 << 20);
  if (!shadow.ok()) {
    r.err += strformat("rescue: passwd: %s: %s\n", shadow_path.c_str(), sys::error_text(shadow.err));
    session.close();
    take(o, r);
    return kExitFailure;
  }
  if (!guest::shadow_has_user(shadow.value, user)) {
    r.err += "rescue: passwd: no user '" + user + "' in the guest's /etc/shadow\n";
    session.close();
    take(o, r);
    return kExitFailure;
  }
  std::string pw, error = read_secret(sys, "New password for " + user + ": ", "Retype the new password: ", pw);
  if (!error.empty()) error = "password: " + error;
  std::string hash;
  if (error.empty()) {
    if (auto h = ssh::hash_password(sys, meta::Secret(pw), error)) hash = std::move(*h);
  }
  meta::wipe(pw);
  if (!error.empty()) {
    r.err += "rescue: passwd: " + error + "\n";
    session.close();
    take(o, r);
    return kExitFailure;
  }
  auto updated = guest::replace_shadow_password(shadow.value, user, hash);
  bool ok = updated.has_value() && session.writable();
  if (ok && !guest::replace_file(sys, shadow_path, *updated, 0640, 0, 0, error)) {
    r.err += "rescue: passwd: " + error + "\n";
    ok = false;
  }
  if (ok) {
    r.out += "rescue: passwd: password of '" + user + "' changed in the guest's /etc/shadow\n";
    auto se = sys.read_guest_file(root, "/etc/selinux/config", 1 << 20);
    if (se.ok() && guest::selinux_enforcing(se.value)) {
      if (guest::replace_file(sys, guest::in_guest(sys, root, "/.autorelabel", resolve_error), "", 0644, 0, 0, error))
        r.out += "rescue: passwd: SELinux enforcing: created /.autorelabel (the guest relabels at next boot)\n";
      else
        r.err += "rescue: passwd: " + error + " (SELinux may refuse the new shadow: touch /.autorelabel)\n";
    }
  }
  session.close();
  take(o, r);
  return ok ? kExitOk : kExitFailure;
}

}  // namespace lifeboat
