#include "cli/prompt.h"

#include <fcntl.h>
#include <termios.h>

#include <cerrno>
#include <cstring>

#include "model/secret.h"

namespace lifeboat {

bool read_line_fd(sys::Sys& sys, int fd, std::string& line) {
  line.clear();
  line.reserve(4100);  // no reallocation: no stray copies of a password left in freed memory
  char c;
  while (line.size() < 4096) {
    auto n = sys.read(fd, &c, 1);
    if (!n.ok()) {
      if (n.err == EINTR) continue;
      return false;
    }
    if (n.value == 0) return !line.empty();
    if (c == '\n') return true;
    line += c;
  }
  return true;
}

bool ask_tty(sys::Sys& sys, const char* prompt, std::string& out, std::string& error) {
  auto fd = sys.open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (!fd.ok()) fd = sys.dup(0);
  if (!fd.ok()) {
    error = std::string("cannot open the terminal: ") + sys::error_text(fd.err);
    return false;
  }
  auto old = sys.terminal_lflag(fd.value);
  bool quiet = old.ok() && sys.set_terminal_lflag(fd.value, (old.value & ~static_cast<unsigned>(ECHO)) | ECHONL).ok();
  (void)sys.write_all(fd.value, prompt);  // a prompt that cannot be shown still reads the line
  bool ok = read_line_fd(sys, fd.value, out);
  if (!out.empty() && out.back() == '\r') out.pop_back();
  if (quiet) (void)sys.set_terminal_lflag(fd.value, old.value);  // best effort: the shell resets it too
  sys.close_quietly(fd.value);  // a terminal: nothing buffered to lose
  if (!ok) error = "nothing entered";
  return ok;
}

std::string read_secret(sys::Sys& sys, const std::string& prompt, const char* confirm_prompt, std::string& out) {
  std::string error, again;
  if (sys.isatty(0)) {
    if (ask_tty(sys, prompt.c_str(), out, error) && confirm_prompt && ask_tty(sys, confirm_prompt, again, error) &&
        out != again)
      error = "the two entries do not match";
  } else if (!read_line_fd(sys, 0, out)) {
    error = "nothing on stdin (one line expected)";
  }
  if (error.empty() && !out.empty() && out.back() == '\r') out.pop_back();
  if (error.empty() && out.empty()) error = "empty input refused";
  meta::wipe(again);
  if (!error.empty()) meta::wipe(out);
  return error;
}

}  // namespace lifeboat
