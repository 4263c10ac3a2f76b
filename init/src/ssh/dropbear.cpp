#include "ssh/dropbear.h"

#include "common/text.h"
#include "ssh/keys.h"

namespace lifeboat::ssh {

std::vector<std::string> dropbear_argv(const DropbearOptions& o) {
  int port = (o.port >= 1 && o.port <= 65535) ? o.port : 22;
  // No -E: recipes/dropbear.sh builds without syslog, so Dropbear always logs to stderr
  // and refuses -E ("Invalid option -E").
  std::vector<std::string> argv = {o.binary, "-F", "-p", std::to_string(port)};
  for (const auto& k : o.host_key_paths) {
    argv.push_back("-r");
    argv.push_back(k);
  }
  if (o.make_missing_keys || o.host_key_paths.empty()) argv.push_back("-R");
  if (!o.password_login) {
    argv.push_back("-s");
    argv.push_back("-g");
  }
  return argv;
}

const std::vector<std::string>& host_key_types() {
  static const std::vector<std::string> types = {"ed25519", "ecdsa", "rsa"};
  return types;
}

std::string dropbear_host_key_path(std::string_view type, std::string_view dir) {
  std::string out(dir);
  if (out.empty() || out.back() != '/') out += '/';
  out += "dropbear_";
  out += type;
  out += "_host_key";
  return out;
}

std::vector<std::string> dropbearkey_generate_argv(std::string_view type, std::string_view path,
                                                   std::string_view binary) {
  std::vector<std::string> argv = {std::string(binary), "-t", std::string(type), "-f", std::string(path)};
  if (type == "rsa") {
    argv.push_back("-s");
    argv.push_back("3072");
  }
  return argv;
}

std::vector<std::string> dropbearkey_public_argv(std::string_view path, std::string_view binary) {
  return {std::string(binary), "-y", "-f", std::string(path)};
}

std::vector<std::string> dropbearconvert_argv(std::string_view in, std::string_view out,
                                              std::string_view binary) {
  return {std::string(binary), "openssh", "dropbear", std::string(in), std::string(out)};
}

std::optional<std::string> public_key_from_dropbearkey_output(std::string_view text) {
  for (auto line : split_lines(text)) {
    auto p = parse_public_key(trim(line));
    if (p.key && p.key->options.empty()) return canonical_line(*p.key);
  }
  return std::nullopt;
}

bool tcp_port_listening(std::string_view proc_net_tcp, int port) {
  // "  sl  local_address rem_address   st ...", then "   0: 00000000:0016 00000000:0000 0A ..."
  // (addresses in hex, tcp6's 32 hex digits before the colon).
  const std::string want = strformat(":%04X", port);
  for (auto line : split_lines(proc_net_tcp)) {
    auto f = split_ws(line);
    if (f.size() < 4 || f[0].empty() || f[0].back() != ':') continue;  // the header
    const auto local = f[1];
    if (local.size() > want.size() && local.substr(local.size() - want.size()) == want && f[3] == "0A") return true;
  }
  return false;
}

}  // namespace lifeboat::ssh
