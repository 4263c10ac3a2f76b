// EC2 IMDSv2 pure helpers and the HTTP response parser.
#include <doctest/doctest.h>

#include "common/error.h"
#include "metadata/http_response.h"
#include "metadata/imds.h"

using namespace lifeboat;
using namespace lifeboat::meta;

TEST_CASE("meta imds: request texts") {
  CHECK(imds_token_request() ==
        "PUT /latest/api/token HTTP/1.1\r\nHost: 169.254.169.254\r\nUser-Agent: lifeboat\r\n"
        "X-aws-ec2-metadata-token-ttl-seconds: 60\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  auto get = imds_get_request(kLocalHostnamePath, Secret("AQAEAtoken=="));
  REQUIRE(get);
  CHECK(get->reveal() ==
        "GET /latest/meta-data/local-hostname HTTP/1.1\r\nHost: 169.254.169.254\r\nUser-Agent: lifeboat\r\n"
        "X-aws-ec2-metadata-token: AQAEAtoken==\r\nConnection: close\r\n\r\n");
  CHECK(get->redacted() == std::string("<redacted>"));
  // Header injection through the token or the path is refused.
  CHECK_FALSE(imds_get_request("/x", Secret("tok\r\nEvil: 1")));
  CHECK_FALSE(imds_get_request("/x y", Secret("tok")));
  CHECK_FALSE(imds_get_request("x", Secret("tok")));
  CHECK_FALSE(imds_get_request("/x", Secret("")));
  CHECK(imds_public_key_path(3) == "/latest/meta-data/public-keys/3/openssh-key");
}

TEST_CASE("meta http: complete responses") {
  auto p = parse_http_response("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello", false);
  REQUIRE(p.state == HttpState::complete);
  CHECK(p.response.status == 200);
  CHECK(p.response.reason == "OK");
  CHECK(p.response.body == "hello");
  REQUIRE(p.response.header("content-type"));
  CHECK(*p.response.header("content-type") == "text/plain");

  // No Content-Length: the body runs to the close.
  auto q = parse_http_response("HTTP/1.0 200 OK\r\n\r\nabc", false);
  CHECK(q.state == HttpState::incomplete);
  q = parse_http_response("HTTP/1.0 200 OK\r\n\r\nabc", true);
  REQUIRE(q.state == HttpState::complete);
  CHECK(q.response.body == "abc");
  CHECK(q.response.version_minor == 0);

  // LF-only line ends, no reason phrase, 204 without a body.
  auto r = parse_http_response("HTTP/1.1 404\nContent-Length: 0\n\n", false);
  REQUIRE(r.state == HttpState::complete);
  CHECK(r.response.status == 404);
  CHECK(parse_http_response("HTTP/1.1 204 No Content\r\n\r\n", false).state == HttpState::complete);
}

TEST_CASE("meta http: incremental input") {
  std::string full = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";
  for (std::size_t n = 0; n < full.size(); ++n)
    CHECK(parse_http_response(std::string_view(full).substr(0, n), false).state == HttpState::incomplete);
  CHECK(parse_http_response(full, false).state == HttpState::complete);
  // Extra bytes after the body are ignored.
  CHECK(parse_http_response(full + "junk", false).response.body == "0123456789");
}

TEST_CASE("meta http: malformed and hostile responses are refused cleanly") {
  auto err = [](std::string_view raw, bool eof = false) { return parse_http_response(raw, eof); };
  CHECK(err("", true).error == "connection closed without a response");
  CHECK(err("HTTP/1.1 200 OK\r\nContent-Le", true).error == "connection closed inside the headers");
  CHECK(err("SSH-2.0-OpenSSH\r\n\r\n").error == "not an HTTP/1.x status line");
  CHECK(err("HTTP/2.0 200 OK\r\n\r\n").error == "not an HTTP/1.x status line");
  CHECK(err("HTTP/1.1 2x0 OK\r\n\r\n").error == "bad status code");
  CHECK(err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n").error ==
        "chunked transfer encoding is not supported");
  CHECK(err("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!").error ==
        "conflicting Content-Length headers");
  CHECK(err("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n").error == "bad Content-Length");
  CHECK(err("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n").error == "bad Content-Length");
  CHECK(err("HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n").error == "response body larger than the limit");
  CHECK(err("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", true).error ==
        "connection closed before the end of the body");
  CHECK(err("HTTP/1.1 200 OK\r\nX: a\r\n  folded\r\n\r\n").error == "folded header lines are not supported");
  CHECK(err("HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n").error == "malformed header line");
  CHECK(err("HTTP/1.1 100 Continue\r\n\r\n").error == "interim (1xx) responses are not supported");
  CHECK(err("HTTP/1.1 200 OK\r\n" + std::string(20000, 'X')).error == "response headers larger than the limit");
  std::string many = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 100; ++i) many += "H" + std::to_string(i) + ": v\r\n";
  CHECK(err(many + "\r\n").error == "too many headers");
  CHECK(err("HTTP/1.0 200 OK\r\n\r\n" + std::string(1024 * 1024 + 1, 'a')).error == "response body larger than the limit");
}

TEST_CASE("meta imds: token outcomes") {
  HttpResponse ok;
  ok.status = 200;
  ok.body = "AQAEAB-token\n";
  auto t = imds_token_from(ok);
  CHECK(t.outcome == TokenOutcome::token);
  CHECK(t.token.reveal() == "AQAEAB-token");
  for (int s : {401, 403, 404, 405}) {
    HttpResponse r;
    r.status = s;
    CHECK(imds_token_from(r).outcome == TokenOutcome::not_imds);
  }
  HttpResponse five;
  five.status = 503;
  CHECK(imds_token_from(five).outcome == TokenOutcome::error);
  HttpResponse bad;
  bad.status = 200;
  bad.body = "to ken";
  CHECK(imds_token_from(bad).outcome == TokenOutcome::error);
  bad.body = "";
  CHECK(imds_token_from(bad).detail == "empty token");
}

TEST_CASE("meta imds: public-keys index") {
  Errors errors;
  auto idx = parse_public_keys_index("0=my-key\n1=other key\n\nbogus\n-1=x\n", errors);
  REQUIRE(idx.size() == 2);
  CHECK(idx[0].index == 0);
  CHECK(idx[0].name == "my-key");
  CHECK(idx[1].name == "other?key");
  CHECK(errors.size() == 2);
  CHECK(describe(errors[0]) == "imds: /latest/meta-data/public-keys/ line 3: expected <index>=<name>");
  Errors e2;
  CHECK(parse_public_keys_index("", e2).empty());
  CHECK(e2.empty());
}

TEST_CASE("meta imds: config from fetched documents") {
  ImdsData d;
  d.local_hostname = "ip-10-0-0-5.ec2.internal\n";
  d.instance_id = "i-0123456789abcdef0";
  d.keys.push_back({{0, "my-key"},
                    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIq73hjYIxxnNxmJp21V+WSOvsznh88K+7a6XWmqhNJo my-key\n"});
  d.keys.push_back({{1, "bad"}, "Hunter2-Secret"});
  auto r = imds_config(d);
  CHECK(r.config.source == Source::imds);
  CHECK(r.config.hostname == "ip-10-0-0-5.ec2.internal");
  CHECK(r.config.instance_id == "i-0123456789abcdef0");
  CHECK(r.config.ssh_keys.size() == 1);
  REQUIRE(r.errors.size() == 1);
  CHECK(describe(r.errors[0]).rfind("imds: /latest/meta-data/public-keys/1/openssh-key: not a valid OpenSSH public key", 0) == 0);
  CHECK(describe(r.errors[0]).find("Hunter2") == std::string::npos);
}
