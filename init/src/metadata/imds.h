#pragma once
// EC2 IMDSv2, the pure half: request texts, response interpretation, document parsers.
// The socket client (connect to 169.254.169.254:80 with ~1 s timeouts, bounded retries)
// is an effect and lives elsewhere; it feeds bytes to parse_http_response().
//
//   1. send imds_token_request()          PUT /latest/api/token, TTL header (60 s)
//      -> imds_token_from() : a token, or "not on EC2" (refused, 401/403/404/405, timeout)
//   2. send imds_get_request(path, token) for
//        kLocalHostnamePath, kInstanceIdPath, kPublicKeysPath, then for each index
//        imds_public_key_path(i) (from parse_public_keys_index())
//   3. imds_config(data) -> SourceResult (source "imds")
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "metadata/http_response.h"
#include "model/model.h"

namespace lifeboat::meta {

inline constexpr const char* kImdsAddress = "169.254.169.254";
inline constexpr int kImdsPort = 80;
inline constexpr int kImdsTokenTtl = 60;
inline constexpr const char* kTokenPath = "/latest/api/token";
inline constexpr const char* kLocalHostnamePath = "/latest/meta-data/local-hostname";
inline constexpr const char* kInstanceIdPath = "/latest/meta-data/instance-id";
inline constexpr const char* kPublicKeysPath = "/latest/meta-data/public-keys/";

// "PUT /latest/api/token HTTP/1.1\r\nHost: 169.254.169.254\r\n
//  X-aws-ec2-metadata-token-ttl-seconds: 60\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
std::string imds_token_request(int ttl_seconds = kImdsTokenTtl);

// "GET <path> HTTP/1.1 ... X-aws-ec2-metadata-token: <token> ...". Held in a Secret (it
// carries the token). nullopt when the path or the token could break the request (CR, LF,
// spaces, control characters, a path not starting with '/').
std::optional<Secret> imds_get_request(std::string_view path, const Secret& token);

enum class TokenOutcome { token, not_imds, error };

struct TokenResult {
  TokenOutcome outcome = TokenOutcome::error;
  Secret token;
  std::string detail;  // why not, for the log ("HTTP 403", "empty token")
};

// 200 with a sane body -> token; 401, 403, 404, 405 -> not_imds; anything else -> error.
TokenResult imds_token_from(const HttpResponse& response);

struct ImdsKeyIndex {
  int index = 0;
  std::string name;
};

// "0=my-key\n1=other\n" -> {{0,"my-key"},{1,"other"}}. Malformed lines add errors
// (field "/latest/meta-data/public-keys/") and are skipped; at most 100 entries.
std::vector<ImdsKeyIndex> parse_public_keys_index(std::string_view body, Errors& errors);

// "/latest/meta-data/public-keys/<index>/openssh-key"
std::string imds_public_key_path(int index);

struct ImdsData {
  std::optional<std::string> local_hostname;  // body of local-hostname
  std::optional<std::string> instance_id;     // body of instance-id
  struct Key {
    ImdsKeyIndex index;
    std::string body;  // body of .../openssh-key
  };
  std::vector<Key> keys;
};

SourceResult imds_config(const ImdsData& data);

}  // namespace lifeboat::meta
