// rescue authorize-key: see subcommand_help().
#include <sys/stat.h>

#include "cli/session.h"
#include "cli/toolkit.h"
#include "common/text.h"
#include "guest/plan.h"
#include "ssh/keys.h"

namespace lifeboat {

int cmd_authorize_key(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o) {
  if (wants_help(args)) return o.out += subcommand_help("authorize-key"), kExitOk;
  std::vector<std::string> pos(args.begin() + 1, args.end());
  if (pos.empty()) return usage(o, "authorize-key", "missing KEY");
  std::string user = "root", key_text;
  auto looks_like_key = [](const std::string& s) {
    return s.rfind("ssh-", 0) == 0 || s.rfind("ecdsa-", 0) == 0 || s.rfind("sk-", 0) == 0 ||
           s.find(' ') != std::string::npos;
  };
  std::size_t first = 0;
  if (pos.size() >= 2 && !looks_like_key(pos[0])) user = pos[0], first = 1;
  for (std::size_t i = first; i < pos.size(); ++i) key_text += (i > first ? " " : "") + pos[i];
  if (!guest::valid_user_name(user)) return usage(o, "authorize-key", "invalid user name");
  Errors errors;
  auto key = ssh::check_authorized_key(key_text, "rescue", "KEY", errors);
  if (!key) {
    for (const auto& e : errors) o.err += "rescue: authorize-key: " + e.message + "\n";
    if (errors.empty()) o.err += "rescue: authorize-key: KEY is empty\n";
    return kExitUsage;
  }
  guest::Report r;
  GuestSession session(sys, r);
  auto fail = [&](const std::string& msg) {
    r.err += "rescue: authorize-key: " + msg + "\n";
    session.close();
    take(o, r);
    return kExitFailure;
  };
  if (!session.open(false)) return fail("cannot mount the guest");
  const std::string root = kGuestRoot;
  auto pw = sys.read_guest_file(root, "/etc/passwd", 4 << 20);
  if (!pw.ok()) return fail(root + "/etc/passwd: " + sys::error_text(pw.err));
  auto entry = guest::find_user(guest::parse_passwd(pw.value), user);
  if (!entry) return fail("no user '" + user + "' in the guest's /etc/passwd");
  if (!safe_guest_path(entry->home) || entry->home == "/")
    return fail("user '" + user + "' has no usable home directory ('" + entry->home + "')");
  // The home directory as the guest sees it (a link such as /home/alice -> /root stays
  // inside the guest); below it nothing is followed: .ssh must be a directory and
  // authorized_keys a regular file, not links.
  std::string home_error;
  std::string home = guest::dir_in_guest(sys, root, entry->home, home_error);
  if (home.empty()) return fail("home directory " + entry->home + ": " + home_error);
  if (auto st = sys.lstat(home); !st.ok() || !S_ISDIR(st.value.mode))
    return fail("home directory " + entry->home + " missing or not a directory in the guest");
  std::string dir = home + "/.ssh", file = dir + "/authorized_keys";
  std::string existing;
  auto dir_st = sys.lstat(dir);
  const bool dir_exists = dir_st.ok();
  if (dir_exists && !S_ISDIR(dir_st.value.mode)) return fail(entry->home + "/.ssh is not a directory (refusing)");
  if (dir_exists) {
    if (auto st = sys.lstat(file); st.ok()) {
      if (!S_ISREG(st.value.mode)) return fail(entry->home + "/.ssh/authorized_keys is not a regular file (refusing)");
      auto text = sys.read_file(file, 4 << 20);
      if (!text.ok()) return fail(file + ": " + sys::error_text(text.err));
      existing = text.value;
    }
  }
  for (auto line : split_lines(existing)) {
    auto parsed = ssh::parse_public_key(line);
    if (parsed.key && parsed.key->blob == key->blob) {
      r.out += "rescue: authorize-key: key " + ssh::fingerprint_sha256(key->blob) + " already in " +
               entry->home + "/.ssh/authorized_keys (nothing changed)\n";
      session.close();
      take(o, r);
      return kExitOk;
    }
  }
  if (!session.writable()) return fail("cannot mount the guest read-write");
  if (!dir_exists) {
    if (auto st = sys.mkdir(dir, 0700); !st.ok()) return fail(dir + ": mkdir: " + sys::error_text(st.err));
    if (auto st = sys.chown_path(dir, entry->uid, entry->gid); !st.ok())
      return fail(dir + ": chown: " + sys::error_text(st.err));
    if (auto st = sys.chmod_path(dir, 0700); !st.ok()) return fail(dir + ": chmod: " + sys::error_text(st.err));
  }
  if (!existing.empty() && existing.back() != '\n') existing += "\n";
  existing += ssh::canonical_line(*key) + "\n";
  std::string error;
  if (!guest::replace_file(sys, file, existing, 0600, entry->uid, entry->gid, error)) return fail(error);
  r.out += "rescue: authorize-key: added " + ssh::fingerprint_sha256(key->blob) + " to " + entry->home +
           "/.ssh/authorized_keys of '" + user + "'\n";
  session.close();
  take(o, r);
  return kExitOk;
}

}  // namespace lifeboat
