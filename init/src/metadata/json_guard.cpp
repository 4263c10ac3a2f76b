#include "metadata/json_guard.h"

namespace lifeboat::meta {

std::size_t json_nesting_depth(std::string_view text, std::size_t limit) noexcept {
  std::size_t depth = 0, max_depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
      if (depth > max_depth) {
        max_depth = depth;
        if (max_depth > limit) return max_depth;
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return max_depth;
}

std::optional<nlohmann::json> parse_json_guarded(std::string_view text, const std::string& source,
                                                 const std::string& doc, Errors& errors) {
  auto fail = [&](std::string message) {
    errors.push_back(Error{source, doc, std::move(message)});
    return std::nullopt;
  };
  if (text.size() > kMaxJsonDocument) return fail("document larger than 1 MiB, ignored");
  if (json_nesting_depth(text) > kMaxJsonDepth) return fail("nested deeper than 64 levels, ignored");
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    return fail("not valid JSON (at byte " + std::to_string(e.byte) + ")");
  } catch (const std::exception&) {
    return fail("not valid JSON");
  }
}

std::string safe_name(std::string_view name) {
  std::string out;
  std::size_t n = 0;
  for (char c : name) {
    if (n++ == 64) {
      out += "...";
      break;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-' || c == '@' || c == '+';
    out += ok ? c : '?';
  }
  if (out.empty()) out = "\"\"";
  return out;
}

}  // namespace lifeboat::meta
