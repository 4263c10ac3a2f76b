#include "sources/imds_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/text.h"
#include "model/secret.h"
#include "sys/sys.h"

namespace lifeboat::src {

namespace {

std::int64_t now_ms() noexcept {
  struct timespec ts;
  if (::clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0;
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) (void)::close(fd);  // a socket only read from/written to: nothing to report
  }
};

// Waits for `events` on fd until deadline. 1: ready, 0: timed out, -1: error (errno).
int wait_fd(int fd, short events, std::int64_t deadline) noexcept {
  for (;;) {
    std::int64_t left = deadline - now_ms();
    if (left <= 0) return 0;
    struct pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) return 0;
    return 1;
  }
}

Exchange fail(Exchange::Kind k, std::string detail) {
  Exchange e;
  e.kind = k;
  e.detail = std::move(detail);
  return e;
}

Exchange from_errno(int err, const char* what) {
  if (err == ECONNREFUSED) return fail(Exchange::Kind::refused, "connection refused");
  if (err == ENETUNREACH || err == EHOSTUNREACH || err == EADDRNOTAVAIL || err == ENETDOWN)
    return fail(Exchange::Kind::unreachable, sys::error_text(err));
  if (err == ETIMEDOUT) return fail(Exchange::Kind::timeout, "timed out");
  return fail(Exchange::Kind::error, strformat("%s: %s", what, sys::error_text(err)));
}

}  // namespace

Exchange SocketTransport::exchange(std::string_view request) noexcept {
  try {
    struct sockaddr_in sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<std::uint16_t>(port_));
    if (::inet_pton(AF_INET, address_.c_str(), &sa.sin_addr) != 1)
      return fail(Exchange::Kind::error, "bad address " + address_);

    Fd s;
    s.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s.fd < 0) return from_errno(errno, "socket");

    std::int64_t deadline = now_ms() + connect_ms_;
    if (::connect(s.fd, reinterpret_cast<struct sockaddr*>(&sa), sizeof sa) != 0) {
      if (errno != EINPROGRESS && errno != EINTR) return from_errno(errno, "connect");
      int w = wait_fd(s.fd, POLLOUT, deadline);
      if (w < 0) return from_errno(errno, "poll");
      if (w == 0) return fail(Exchange::Kind::timeout, strformat("connect timed out after %d ms", connect_ms_));
      int soerr = 0;
      socklen_t len = sizeof soerr;
      if (::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0) return from_errno(errno, "getsockopt");
      if (soerr != 0) return from_errno(soerr, "connect");
    }

    deadline = now_ms() + io_ms_;
    std::string_view rest = request;
    while (!rest.empty()) {
      ssize_t n = ::send(s.fd, rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return from_errno(errno, "send");
        int w = wait_fd(s.fd, POLLOUT, deadline);
        if (w < 0) return from_errno(errno, "poll");
        if (w == 0) return fail(Exchange::Kind::timeout, strformat("send timed out after %d ms", io_ms_));
        continue;
      }
      rest.remove_prefix(static_cast<std::size_t>(n));
    }

    std::string received;
    bool eof = false;
    for (;;) {
      auto parsed = meta::parse_http_response(received, eof);
      if (parsed.state == meta::HttpState::complete) {
        Exchange e;
        e.kind = Exchange::Kind::response;
        e.response = std::move(parsed.response);
        meta::wipe(received);
        return e;
      }
      if (parsed.state == meta::HttpState::error) {
        meta::wipe(received);
        return fail(Exchange::Kind::error, "bad HTTP response: " + parsed.error);
      }
      if (eof) {
        meta::wipe(received);
        return fail(Exchange::Kind::error, "connection closed before a complete response");
      }
      int w = wait_fd(s.fd, POLLIN, deadline);
      if (w < 0) return from_errno(errno, "poll");
      if (w == 0) {
        meta::wipe(received);
        return fail(Exchange::Kind::timeout, strformat("no response within %d ms", io_ms_));
      }
      char buf[4096];
      ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
        int err = errno;
        meta::wipe(received);
        return from_errno(err, "recv");
      }
      if (n == 0) eof = true;
      else received.append(buf, static_cast<std::size_t>(n));
      if (received.size() > 2 * 1024 * 1024) {
        meta::wipe(received);
        return fail(Exchange::Kind::error, "response too large");
      }
    }
  } catch (...) {
    return fail(Exchange::Kind::error, "out of memory");
  }
}

namespace {

Exchange with_retries(HttpTransport& t, std::string_view request, int tries, int& count) {
  Exchange e;
  for (int i = 0; i < std::max(1, tries); ++i) {
    ++count;
    e = t.exchange(request);
    if (e.kind == Exchange::Kind::response || e.kind == Exchange::Kind::refused ||
        e.kind == Exchange::Kind::unreachable)
      return e;
  }
  return e;
}

}  // namespace

ImdsOutcome fetch_imds(HttpTransport& transport, int tries) {
  ImdsOutcome o;
  Exchange tok = with_retries(transport, meta::imds_token_request(), tries, o.requests);
  if (tok.kind != Exchange::Kind::response) {
    o.kind = ImdsOutcome::Kind::not_imds;
    o.detail = "token request: " + tok.detail;
    return o;
  }
  meta::TokenResult token = meta::imds_token_from(tok.response);
  meta::wipe(tok.response.body);
  if (token.outcome == meta::TokenOutcome::not_imds) {
    o.kind = ImdsOutcome::Kind::not_imds;
    o.detail = "token request: " + token.detail;
    return o;
  }
  if (token.outcome != meta::TokenOutcome::token) {
    o.kind = ImdsOutcome::Kind::failed;
    o.detail = "token request: " + token.detail;
    o.errors.push_back(Error{"imds", meta::kTokenPath, token.detail});
    return o;
  }

  // GET path -> body (nullopt: absent or failed; failures other than 404 become errors).
  const std::int64_t give_up_at = now_ms() + 8000;  // the whole metadata fetch, whatever answers
  auto get = [&](const std::string& path) -> std::optional<std::string> {
    if (now_ms() > give_up_at) {
      o.errors.push_back(Error{"imds", path, "not fetched: the 8 s budget for IMDS is spent"});
      return std::nullopt;
    }
    auto req = meta::imds_get_request(path, token.token);
    if (!req) {
      o.errors.push_back(Error{"imds", path, "cannot build the request"});
      return std::nullopt;
    }
    Exchange e = with_retries(transport, req->reveal(), tries, o.requests);
    if (e.kind != Exchange::Kind::response) {
      o.errors.push_back(Error{"imds", path, e.detail});
      return std::nullopt;
    }
    if (e.response.status == 404) return std::nullopt;
    if (e.response.status != 200) {
      o.errors.push_back(Error{"imds", path, "HTTP " + std::to_string(e.response.status)});
      return std::nullopt;
    }
    return std::move(e.response.body);
  };

  o.data.local_hostname = get(meta::kLocalHostnamePath);
  o.data.instance_id = get(meta::kInstanceIdPath);
  if (auto index = get(meta::kPublicKeysPath)) {
    for (const auto& k : meta::parse_public_keys_index(*index, o.errors)) {
      if (auto body = get(meta::imds_public_key_path(k.index))) o.data.keys.push_back({k, std::move(*body)});
    }
  }
  o.kind = ImdsOutcome::Kind::found;
  o.detail = strformat("%zu key(s)%s%s", o.data.keys.size(), o.data.local_hostname ? ", hostname" : "",
                       o.data.instance_id ? ", instance id" : "");
  return o;
}

}  // namespace lifeboat::src
