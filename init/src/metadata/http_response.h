#pragma once
// A minimal HTTP/1.0-1.1 response parser for the IMDS client (pure).
//
// Feed it everything received so far; `eof` says the peer closed the connection.
//   incomplete: read more and call again;  complete: `response` is filled;
//   error: `error` says why (never quoting the body).
// Body framing: Content-Length, or (without one) everything up to the close. Any
// Transfer-Encoding (chunked included) is refused cleanly: IMDS does not use it. 1xx
// interim responses are refused; 204 and 304 have no body. Header names are lowercased;
// obsolete line folding is refused; LF-only line ends are accepted.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lifeboat::meta {

struct HttpLimits {
  std::size_t max_header = 16 * 1024;  // status line + headers
  std::size_t max_body = 1024 * 1024;
  std::size_t max_headers = 64;
};

struct HttpResponse {
  int version_minor = 1;  // HTTP/1.<minor>
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // lowercase name, trimmed value
  std::string body;

  // The first header with that (lowercase) name, else nullptr.
  const std::string* header(std::string_view lowercase_name) const noexcept;
};

enum class HttpState { incomplete, complete, error };

struct HttpParse {
  HttpState state = HttpState::incomplete;
  HttpResponse response;
  std::string error;
};

HttpParse parse_http_response(std::string_view received, bool eof, const HttpLimits& limits = {});

}  // namespace lifeboat::meta
