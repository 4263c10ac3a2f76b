#include "metadata/http_response.h"

#include "common/text.h"

namespace lifeboat::meta {

const std::string* HttpResponse::header(std::string_view name) const noexcept {
  for (const auto& [k, v] : headers)
    if (k == name) return &v;
  return nullptr;
}

namespace {

bool is_token_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

HttpParse fail(std::string message) {
  HttpParse p;
  p.state = HttpState::error;
  p.error = std::move(message);
  return p;
}

// Finds the end of the header block: returns the offset of the body, or npos.
std::size_t header_end(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\n') continue;
    if (i + 1 < s.size() && s[i + 1] == '\n') return i + 2;
    if (i + 2 < s.size() && s[i + 1] == '\r' && s[i + 2] == '\n') return i + 3;
  }
  return std::string_view::npos;
}

}  // namespace

HttpParse parse_http_response(std::string_view received, bool eof, const HttpLimits& limits) {
  std::size_t body_at = header_end(received);
  if (body_at == std::string_view::npos) {
    if (received.size() > limits.max_header) return fail("response headers larger than the limit");
    if (eof) return fail(received.empty() ? "connection closed without a response" : "connection closed inside the headers");
    return HttpParse{};
  }
  if (body_at > limits.max_header) return fail("response headers larger than the limit");

  HttpParse p;
  HttpResponse& r = p.response;
  auto lines = split_lines(received.substr(0, body_at));
  // Status line: HTTP/1.x SP 3DIGIT [SP reason]
  std::string_view status = lines.empty() ? std::string_view() : lines[0];
  if (!status.empty() && status.back() == '\r') status.remove_suffix(1);
  if (status.size() < 12 || status.substr(0, 7) != "HTTP/1." || status[8] != ' ' ||
      (status[7] != '0' && status[7] != '1'))
    return fail("not an HTTP/1.x status line");
  r.version_minor = status[7] - '0';
  for (int i = 9; i < 12; ++i)
    if (status[i] < '0' || status[i] > '9') return fail("bad status code");
  r.status = (status[9] - '0') * 100 + (status[10] - '0') * 10 + (status[11] - '0');
  if (r.status < 100) return fail("bad status code");
  if (status.size() > 12) {
    if (status[12] != ' ') return fail("bad status line");
    r.reason = std::string(status.substr(13));
  }

  bool have_length = false;
  unsigned long long length = 0;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // end of headers
    if (line.front() == ' ' || line.front() == '\t') return fail("folded header lines are not supported");
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return fail("malformed header line");
    std::string name;
    for (char c : line.substr(0, colon)) {
      if (!is_token_char(c)) return fail("malformed header name");
      name += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    std::string value(trim(line.substr(colon + 1)));
    if (r.headers.size() >= limits.max_headers) return fail("too many headers");
    if (name == "transfer-encoding") {
      return fail(value.find("chunked") != std::string::npos ? "chunked transfer encoding is not supported"
                                                             : "transfer encodings are not supported");
    }
    if (name == "content-length") {
      long long v = 0;
      if (value.empty() || value.front() == '-' || !parse_int(value, v)) return fail("bad Content-Length");
      if (have_length && static_cast<unsigned long long>(v) != length) return fail("conflicting Content-Length headers");
      have_length = true;
      length = static_cast<unsigned long long>(v);
    }
    r.headers.emplace_back(std::move(name), std::move(value));
  }

  if (r.status < 200) return fail("interim (1xx) responses are not supported");
  std::string_view body = received.substr(body_at);
  if (r.status == 204 || r.status == 304) {
    p.state = HttpState::complete;
    return p;
  }
  if (have_length) {
    if (length > limits.max_body) return fail("response body larger than the limit");
    if (body.size() < length) {
      if (eof) return fail("connection closed before the end of the body");
      return HttpParse{};
    }
    r.body = std::string(body.substr(0, static_cast<std::size_t>(length)));
    p.state = HttpState::complete;
    return p;
  }
  if (body.size() > limits.max_body) return fail("response body larger than the limit");
  if (!eof) return HttpParse{};
  r.body = std::string(body);
  p.state = HttpState::complete;
  return p;
}

}  // namespace lifeboat::meta
