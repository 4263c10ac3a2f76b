#include "sources/imds_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "common/text.h"
#include "model/secret.h"
#include "sys/sys.h"

namespace lifeboat::src {

namespace {

// Closes the socket at scope exit (only read from and written to: nothing to report).
struct Fd {
  sys::Sys& sys;
  int fd = -1;
  ~Fd() {
    if (fd >= 0) sys.close_quietly(fd);
  }
};

// Waits for `events` on fd until deadline. 1: ready, 0: timed out, -1: error (in err).
int wait_fd(sys::Sys& sys, int fd, short events, std::int64_t deadline, int& err) noexcept {
  for (;;) {
    std::int64_t left = deadline - sys.monotonic_ms();
    if (left <= 0) return 0;
    auto r = sys.poll_fd(fd, events, static_cast<int>(left));
    if (!r.ok()) {
      if (r.err == EINTR) continue;
      err = r.err;
      return -1;
    }
    return r.value ? 1 : 0;
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

    Fd s{sys_};
    auto sock = sys_.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (!sock.ok()) return from_errno(sock.err, "socket");
    s.fd = sock.value;

    int err = 0;
    std::int64_t deadline = sys_.monotonic_ms() + connect_ms_;
    if (auto c = sys_.connect(s.fd, &sa, sizeof sa); !c.ok()) {
      if (c.err != EINPROGRESS && c.err != EINTR) return from_errno(c.err, "connect");
      int w = wait_fd(sys_, s.fd, POLLOUT, deadline, err);
      if (w < 0) return from_errno(err, "poll");
      if (w == 0) return fail(Exchange::Kind::timeout, strformat("connect timed out after %d ms", connect_ms_));
      auto soerr = sys_.socket_error(s.fd);
      if (!soerr.ok()) return from_errno(soerr.err, "getsockopt");
      if (soerr.value != 0) return from_errno(soerr.value, "connect");
    }

    deadline = sys_.monotonic_ms() + io_ms_;
    std::string_view rest = request;
    while (!rest.empty()) {
      auto n = sys_.send(s.fd, rest.data(), rest.size());
      if (!n.ok()) {
        if (n.err == EINTR) continue;
        if (n.err != EAGAIN && n.err != EWOULDBLOCK) return from_errno(n.err, "send");
        int w = wait_fd(sys_, s.fd, POLLOUT, deadline, err);
        if (w < 0) return from_errno(err, "poll");
        if (w == 0) return fail(Exchange::Kind::timeout, strformat("send timed out after %d ms", io_ms_));
        continue;
      }
      rest.remove_prefix(n.value);
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
      int w = wait_fd(sys_, s.fd, POLLIN, deadline, err);
      if (w < 0) return from_errno(err, "poll");
      if (w == 0) {
        meta::wipe(received);
        return fail(Exchange::Kind::timeout, strformat("no response within %d ms", io_ms_));
      }
      char buf[4096];
      auto n = sys_.read(s.fd, buf, sizeof buf);
      if (!n.ok()) {
        if (n.err == EINTR || n.err == EAGAIN || n.err == EWOULDBLOCK) continue;
        meta::wipe(received);
        return from_errno(n.err, "recv");
      }
      if (n.value == 0) eof = true;
      else received.append(buf, n.value);
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

ImdsOutcome fetch_imds(sys::Sys& sys, HttpTransport& transport, int tries) {
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
  const std::int64_t give_up_at = sys.monotonic_ms() + 8000;  // the whole metadata fetch, whatever answers
  auto get = [&](const std::string& path) -> std::optional<std::string> {
    if (sys.monotonic_ms() > give_up_at) {
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
