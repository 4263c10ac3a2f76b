#include "net/ifconfig.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "common/text.h"

namespace lifeboat::net {

namespace {

// A control socket for one batch of ioctls.
class CtlSocket {
 public:
  explicit CtlSocket(sys::Sys& sys) : sys_(sys) {
    auto s = sys.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    fd_ = s.ok() ? s.value : -1;
    err_ = s.err;
  }
  ~CtlSocket() {
    if (fd_ >= 0) sys_.close_quietly(fd_);  // nothing was written through it
  }
  CtlSocket(const CtlSocket&) = delete;
  CtlSocket& operator=(const CtlSocket&) = delete;
  int fd() const noexcept { return fd_; }
  int err() const noexcept { return err_; }

 private:
  sys::Sys& sys_;
  int fd_ = -1;
  int err_ = 0;
};

struct ifreq named_ifreq(const std::string& iface) {
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  std::memcpy(ifr.ifr_name, iface.data(), std::min<std::size_t>(iface.size(), IFNAMSIZ - 1));
  return ifr;
}

void put_in(struct sockaddr* sa, std::uint32_t addr) {
  struct sockaddr_in sin;
  std::memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = addr;
  std::memcpy(sa, &sin, sizeof sin);
}

std::string dotted(std::uint32_t addr) {
  char buf[INET_ADDRSTRLEN] = "?";
  struct in_addr a;
  a.s_addr = addr;
  (void)inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

IfResult failed(int err, std::string what) { return IfResult{sys::Status{-1, err}, std::move(what)}; }

IfResult bad_name(const std::string& iface) { return failed(EINVAL, "interface name '" + iface + "'"); }

bool name_fits(const std::string& iface) { return !iface.empty() && iface.size() < IFNAMSIZ; }

// Checks the name, opens the control socket, runs `calls(fd)`.
template <class Calls>
IfResult with_socket(sys::Sys& sys, const std::string& iface, Calls calls) {
  if (!name_fits(iface)) return bad_name(iface);
  CtlSocket s(sys);
  if (s.fd() < 0) return failed(s.err(), "socket");
  return calls(s.fd());
}

}  // namespace

std::string IfResult::describe() const { return ok() ? std::string() : what + ": " + sys::error_text(status.err); }

IfResult link_up(sys::Sys& sys, const std::string& iface, int mtu, bool* already_up) {
  return with_socket(sys, iface, [&](int fd) -> IfResult {
    if (mtu > 0) {
      struct ifreq ifr = named_ifreq(iface);
      ifr.ifr_mtu = mtu;
      if (auto st = sys.ioctl(fd, SIOCSIFMTU, &ifr); !st.ok())
        return failed(st.err, strformat("SIOCSIFMTU %s %d", iface.c_str(), mtu));
    }
    struct ifreq ifr = named_ifreq(iface);
    if (auto st = sys.ioctl(fd, SIOCGIFFLAGS, &ifr); !st.ok()) return failed(st.err, "SIOCGIFFLAGS " + iface);
    if (already_up) *already_up = (ifr.ifr_flags & IFF_UP) != 0;
    if (ifr.ifr_flags & IFF_UP) return {};
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (auto st = sys.ioctl(fd, SIOCSIFFLAGS, &ifr); !st.ok()) return failed(st.err, "SIOCSIFFLAGS " + iface + " up");
    return {};
  });
}

IfResult set_ipv4(sys::Sys& sys, const std::string& iface, std::uint32_t addr, std::uint32_t netmask,
                  std::uint32_t broadcast) {
  return with_socket(sys, iface, [&](int fd) -> IfResult {
    const struct {
      unsigned long req;
      const char* name;
      std::uint32_t value;
    } calls[] = {{SIOCSIFADDR, "SIOCSIFADDR", addr},
                 {SIOCSIFNETMASK, "SIOCSIFNETMASK", netmask},
                 {SIOCSIFBRDADDR, "SIOCSIFBRDADDR", broadcast}};
    for (const auto& c : calls) {
      if (c.req == SIOCSIFBRDADDR && c.value == 0) continue;  // none (/31, /32)
      struct ifreq ifr = named_ifreq(iface);
      put_in(&ifr.ifr_addr, c.value);
      if (auto st = sys.ioctl(fd, c.req, &ifr); !st.ok())
        return failed(st.err, std::string(c.name) + " " + iface + " " + dotted(c.value));
    }
    return {};
  });
}

IfResult clear_ipv4(sys::Sys& sys, const std::string& iface) {
  return with_socket(sys, iface, [&](int fd) -> IfResult {
    struct ifreq ifr = named_ifreq(iface);
    put_in(&ifr.ifr_addr, 0);
    auto st = sys.ioctl(fd, SIOCSIFADDR, &ifr);
    // EADDRNOTAVAIL: there was no address, which is what we wanted.
    if (!st.ok() && st.err != EADDRNOTAVAIL) return failed(st.err, "SIOCSIFADDR " + iface + " 0.0.0.0");
    return {};
  });
}

IfResult add_route_v4(sys::Sys& sys, const std::string& iface, std::uint32_t dest, std::uint32_t genmask,
                      std::uint32_t gateway) {
  return with_socket(sys, iface, [&](int fd) -> IfResult {
    char dev[IFNAMSIZ] = {};
    std::memcpy(dev, iface.data(), iface.size());
    struct rtentry rt;
    std::memset(&rt, 0, sizeof rt);
    put_in(&rt.rt_dst, dest);
    put_in(&rt.rt_genmask, genmask);
    put_in(&rt.rt_gateway, gateway);
    rt.rt_flags = RTF_UP;
    if (gateway) rt.rt_flags |= RTF_GATEWAY;
    if (genmask == 0xffffffffu) rt.rt_flags |= RTF_HOST;
    rt.rt_dev = dev;
    const std::string what = "SIOCADDRT " + dotted(dest) + "/" + dotted(genmask) +
                             (gateway ? " via " + dotted(gateway) : std::string()) + " dev " + iface;
    auto st = sys.ioctl(fd, SIOCADDRT, &rt);
    if (!st.ok() && st.err != EEXIST) return failed(st.err, what);  // EEXIST: this very route is there
    return {};
  });
}

std::string loopback_up(sys::Sys& sys) {
  bool was_up = false;
  if (auto r = link_up(sys, "lo", 0, &was_up); !r.ok()) throw std::runtime_error(r.describe());
  const std::string detail = was_up ? "already up" : "up";
  // The kernel usually adds 127.0.0.1/8 by itself when lo goes up; add it if not.
  auto has = with_socket(sys, "lo", [&](int fd) -> IfResult {
    struct ifreq ifr = named_ifreq("lo");
    auto st = sys.ioctl(fd, SIOCGIFADDR, &ifr);
    return st.ok() || st.err == EADDRNOTAVAIL ? IfResult{st, ""} : failed(st.err, "SIOCGIFADDR lo");
  });
  if (has.ok()) return detail + ", has an address";
  if (!has.what.empty()) throw std::runtime_error(has.describe());
  if (auto r = set_ipv4(sys, "lo", htonl(INADDR_LOOPBACK), htonl(0xff000000u), 0); !r.ok())
    throw std::runtime_error(r.describe());
  return detail + ", 127.0.0.1/8 added";
}

}  // namespace lifeboat::net
