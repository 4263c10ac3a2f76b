#include "cli/prompt.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "model/secret.h"

namespace lifeboat {

bool read_line_fd(int fd, std::string& line) {
  line.clear();
  line.reserve(4100);  // no reallocation: no stray copies of a password left in freed memory
  char c;
  while (line.size() < 4096) {
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) return !line.empty();
    if (c == '\n') return true;
    line += c;
  }
  return true;
}

bool ask_tty(const char* prompt, std::string& out, std::string& error) {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) fd = ::dup(0);
  if (fd < 0) {
    error = std::string("cannot open the terminal: ") + std::strerror(errno);
    return false;
  }
  struct termios old {}, quiet {};
  bool have_termios = ::tcgetattr(fd, &old) == 0;
  if (have_termios) {
    quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    if (::tcsetattr(fd, TCSAFLUSH, &quiet) != 0) have_termios = false;
  }
  (void)!::write(fd, prompt, std::strlen(prompt));
  bool ok = read_line_fd(fd, out);
  if (!out.empty() && out.back() == '\r') out.pop_back();
  if (have_termios) ::tcsetattr(fd, TCSAFLUSH, &old);
  ::close(fd);
  if (!ok) error = "nothing entered";
  return ok;
}

std::string read_secret(const std::string& prompt, const char* confirm_prompt, std::string& out) {
  std::string error, again;
  if (::isatty(0)) {
    if (ask_tty(prompt.c_str(), out, error) && confirm_prompt && ask_tty(confirm_prompt, again, error) && out != again)
      error = "the two entries do not match";
  } else if (!read_line_fd(0, out)) {
    error = "nothing on stdin (one line expected)";
  }
  if (error.empty() && !out.empty() && out.back() == '\r') out.pop_back();
  if (error.empty() && out.empty()) error = "empty input refused";
  meta::wipe(again);
  if (!error.empty()) meta::wipe(out);
  return error;
}

}  // namespace lifeboat
