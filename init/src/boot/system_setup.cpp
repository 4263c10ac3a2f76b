#include "boot/system_setup.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "common/text.h"

namespace lifeboat {

namespace {
[[noreturn]] void fail(const char* what, int err) {
  throw std::runtime_error(strformat("%s: %s", what, sys::error_text(err)));
}
}  // namespace

std::string set_hostname(sys::Sys& sys, const std::string& name) {
  auto st = sys.sethostname(name);
  if (!st.ok()) fail("sethostname", st.err);
  return name;
}

std::string seed_rng(sys::Sys& sys) {
  unsigned char buf[64 + 2 * sizeof(std::int64_t)];
  std::size_t len = 0;
  std::string detail;

  if (sys.exists("/dev/hwrng")) {
    auto fd = sys.open("/dev/hwrng", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd.ok()) {
      auto n = sys.read(fd.value, buf, 64);
      sys.close_quietly(fd.value);  // read-only
      if (n.ok()) {
        len = n.value;
        detail = strformat("%zu bytes from /dev/hwrng", len);
      } else {
        detail = strformat("/dev/hwrng: %s", sys::error_text(n.err));
      }
    } else {
      detail = strformat("/dev/hwrng: %s", sys::error_text(fd.err));
    }
  } else {
    detail = "no /dev/hwrng";
  }
  const std::int64_t clocks[2] = {sys.realtime_ns(), sys.monotonic_ms()};
  std::memcpy(buf + len, clocks, sizeof clocks);
  len += sizeof clocks;

  auto fd = sys.open("/dev/urandom", O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (!fd.ok()) fail("/dev/urandom", fd.err);
  auto st = sys.write_all(fd.value, std::string_view(reinterpret_cast<char*>(buf), len));
  auto cl = sys.close(fd.value);
  if (st.ok()) st = cl;
  if (!st.ok()) fail("write /dev/urandom", st.err);
  return detail + ", clocks";
}


}  // namespace lifeboat
