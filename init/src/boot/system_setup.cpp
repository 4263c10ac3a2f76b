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

std::string loopback_up(sys::Sys& sys) {
  auto sock = sys.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (!sock.ok()) fail("socket", sock.err);
  const int fd = sock.value;
  struct Closer {
    sys::Sys& s;
    int fd;
    ~Closer() { s.close_quietly(fd); }
  } closer{sys, fd};

  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  auto st = sys.ioctl(fd, SIOCGIFFLAGS, &ifr);
  if (!st.ok()) fail("SIOCGIFFLAGS lo", st.err);
  std::string detail;
  if (!(ifr.ifr_flags & IFF_UP)) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    st = sys.ioctl(fd, SIOCSIFFLAGS, &ifr);
    if (!st.ok()) fail("SIOCSIFFLAGS lo up", st.err);
    detail = "up";
  } else {
    detail = "already up";
  }

  // The kernel usually adds 127.0.0.1/8 by itself when lo goes up; add it if not.
  std::memset(&ifr, 0, sizeof ifr);
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  st = sys.ioctl(fd, SIOCGIFADDR, &ifr);
  if (st.ok()) return detail + ", has an address";
  if (st.err != EADDRNOTAVAIL) fail("SIOCGIFADDR lo", st.err);

  auto set_addr = [&](unsigned long req, std::uint32_t addr, const char* what) {
    std::memset(&ifr, 0, sizeof ifr);
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    struct sockaddr_in sin;
    std::memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(addr);
    std::memcpy(&ifr.ifr_addr, &sin, sizeof sin);
    auto r = sys.ioctl(fd, req, &ifr);
    if (!r.ok()) fail(what, r.err);
  };
  set_addr(SIOCSIFADDR, INADDR_LOOPBACK, "SIOCSIFADDR lo 127.0.0.1");
  set_addr(SIOCSIFNETMASK, 0xff000000u, "SIOCSIFNETMASK lo 255.0.0.0");
  return detail + ", 127.0.0.1/8 added";
}

}  // namespace lifeboat
