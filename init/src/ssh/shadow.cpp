#include "ssh/shadow.h"

namespace lifeboat::ssh {

bool valid_shadow_field(std::string_view hash) noexcept {
  if (hash.empty() || hash.size() > 1024) return false;
  for (char c : hash) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == ':') return false;
  }
  return true;
}

static std::string_view safe_field(std::string_view hash) noexcept {
  return valid_shadow_field(hash) ? hash : kLockedPassword;
}

std::string shadow_line(std::string_view user, std::string_view hash) {
  std::string out(user);
  out += ':';
  out += safe_field(hash);
  out += ":::::::";
  return out;
}

std::string render_shadow(std::string_view existing_text, std::string_view user, std::string_view hash) {
  std::string out;
  out.reserve(existing_text.size() + user.size() + hash.size() + 16);
  bool found = false;
  std::string_view rest = existing_text;
  while (!rest.empty()) {
    std::size_t nl = rest.find('\n');
    std::string_view line = nl == std::string_view::npos ? rest : rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);

    std::size_t colon = line.find(':');
    std::string_view name = line.substr(0, colon);
    if (!found && name == user) {
      found = true;
      if (colon == std::string_view::npos) {
        out += shadow_line(user, hash);
      } else {
        std::string_view after = line.substr(colon + 1);
        std::size_t colon2 = after.find(':');
        out += user;
        out += ':';
        out += safe_field(hash);
        if (colon2 == std::string_view::npos) out += ":::::::";
        else out += after.substr(colon2);
      }
    } else {
      out += line;
    }
    out += '\n';
  }
  if (!found) {
    out += shadow_line(user, hash);
    out += '\n';
  }
  return out;
}

}  // namespace lifeboat::ssh
