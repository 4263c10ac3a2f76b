#pragma once
// EC2 IMDSv2, the effectful half: a tiny blocking-with-deadlines HTTP client over a
// non-blocking TCP socket, and the request sequence (token PUT, then GETs).
//
//   src::SocketTransport t(sys, meta::kImdsAddress, meta::kImdsPort);   // ~1 s timeouts
//   src::ImdsOutcome o = src::fetch_imds(sys, t);
//   if (o.kind == ImdsOutcome::Kind::found) auto r = meta::imds_config(o.data);
//
// A refused, unreachable or timed-out connection and a 401/403/404/405 answer to the token
// PUT mean "not on EC2" (kind not_imds), which the caller reports in one line. Each request
// is tried at most `tries` times (only timeouts and broken responses are retried). The token
// travels in meta::Secret and never appears in `detail` or an Error.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "metadata/http_response.h"
#include "metadata/imds.h"
#include "sys/sys.h"

namespace lifeboat::src {

struct Exchange {
  enum class Kind { response, refused, unreachable, timeout, error };
  Kind kind = Kind::error;
  meta::HttpResponse response;  // kind == response
  std::string detail;           // "connection refused", "timed out after 1000 ms", ...
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // One request on a fresh connection ("Connection: close"), the whole response back.
  virtual Exchange exchange(std::string_view request) noexcept = 0;
};

class SocketTransport final : public HttpTransport {
 public:
  SocketTransport(sys::Sys& sys, std::string ipv4, int port, int connect_timeout_ms = 1000, int io_timeout_ms = 1000)
      : sys_(sys), address_(std::move(ipv4)), port_(port), connect_ms_(connect_timeout_ms), io_ms_(io_timeout_ms) {}
  Exchange exchange(std::string_view request) noexcept override;

 private:
  sys::Sys& sys_;
  std::string address_;
  int port_;
  int connect_ms_;
  int io_ms_;
};

struct ImdsOutcome {
  enum class Kind { found, not_imds, failed };
  Kind kind = Kind::failed;
  meta::ImdsData data;
  Errors errors;       // source "imds"
  std::string detail;  // why not / what was fetched
  int requests = 0;
};

// The whole sequence. `tries` per request (>= 1).
// `sys` gives the clock of the 8 s budget for the whole fetch.
ImdsOutcome fetch_imds(sys::Sys& sys, HttpTransport& transport, int tries = 2);

}  // namespace lifeboat::src
