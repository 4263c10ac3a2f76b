#pragma once
// What the rescue toolkit commands (cli/cmd_*.cpp) share: their --help texts, the usage
// error, moving a guest::Report into the output, and GuestSession (the guest mounted for one
// command, put back as it was afterwards).
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cli/rescue.h"
#include "guest/ops.h"
#include "sys/sys.h"

namespace lifeboat {

using guest::kGuestRoot;

// "usage ...\n" text of every toolkit command, by name.
const std::map<std::string, std::string>& helps();
// "rescue CMD: MSG" and a hint to --help on stderr; kExitUsage.
int usage(CliOutput& o, const std::string& cmd, const std::string& msg);
// Appends r's text to o and empties r.
void take(CliOutput& o, guest::Report& r);
// --help or -h anywhere after the command name.
bool wants_help(const std::vector<std::string>& args);
// An absolute path without ".." parts.
bool safe_guest_path(std::string_view p);

// The guest mounted for one command: read-only first; writable() when a write is needed;
// on destruction, whatever this command mounted is unmounted (remounted ro if it was ro).
class GuestSession {
 public:
  GuestSession(sys::Sys& sys, guest::Report& r) : sys_(sys), r_(r) {}
  ~GuestSession() { close(); }
  // open(), and on failure what went wrong moved into `o`.
  bool open_or_report(bool rw, CliOutput& o) {
    if (open(rw)) return true;
    take(o, r_);
    return false;
  }
  bool open(bool rw) {
    was_mounted_ = guest::is_mount_point(sys_, kGuestRoot);
    if (was_mounted_) {
      rw_ = guest::mount_is_rw(sys_, kGuestRoot);
      return rw && !rw_ ? writable() : true;
    }
    rw_ = rw;
    return guest::mount_guest(sys_, rw, mounted_, r_);
  }
  // A read-only guest (ours or the admin's, mounted without journal replay) is unmounted
  // and mounted again read-write; the admin's comes back read-only at the end.
  bool writable() {
    if (rw_) return true;
    guest::Report quiet;
    bool ok = guest::unmount_under(sys_, kGuestRoot, quiet);
    mounted_.clear();
    if (!ok) {
      r_.err += quiet.err + "rescue: /mnt/guest is busy (a shell inside it?): leave it and retry\n";
      return false;
    }
    restore_ro_ = was_mounted_;
    rw_ = true;
    ok = guest::mount_guest(sys_, true, mounted_, quiet);
    r_.err += quiet.err;
    if (!ok) r_.out += quiet.out;
    return ok;
  }
  void close() {
    if (closed_) return;
    closed_ = true;
    if (!mounted_.empty()) guest::unmount_targets(sys_, mounted_, r_);
    if (restore_ro_) {
      guest::Report quiet;
      std::vector<std::string> again;
      if (!guest::mount_guest(sys_, false, again, quiet)) r_.err += quiet.err;
    }
  }

 private:
  sys::Sys& sys_;
  guest::Report& r_;
  std::vector<std::string> mounted_;
  bool was_mounted_ = false, rw_ = false, restore_ro_ = false, closed_ = false;
};

}  // namespace lifeboat
