#include "config/cmdline.h"

#include "common/text.h"

namespace lifeboat {

namespace {
bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == '\0';
}
}  // namespace

const CmdlineParam* Cmdline::find(std::string_view key) const noexcept {
  for (auto it = params.rbegin(); it != params.rend(); ++it) {
    if (it->key == key) return &*it;
  }
  return nullptr;
}

Cmdline parse_cmdline(std::string_view text) {
  Cmdline out;
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    while (i < n && is_space(text[i])) ++i;
    if (i >= n) break;

    std::string word;
    std::size_t eq = std::string::npos;  // position of the first '=' in `word`
    bool in_quote = false;
    std::size_t quote_start = 0;
    for (; i < n; ++i) {
      char c = text[i];
      if (c == '"') {
        in_quote = !in_quote;
        if (in_quote) quote_start = i;
        continue;
      }
      if (!in_quote && is_space(c)) break;
      if (c == '=' && eq == std::string::npos) eq = word.size();
      word += c;
    }
    if (in_quote) {
      // The rest of the line went into this word; trailing newline/space is not a value.
      while (!word.empty() && is_space(word.back())) word.pop_back();
      std::string field = eq == std::string::npos ? word : word.substr(0, eq);
      out.errors.push_back(Error{"cmdline", field.empty() ? "(cmdline)" : field,
                                 strformat("unbalanced quote at offset %zu; took the rest of "
                                           "the line as the value",
                                           quote_start),
                                 Severity::error});
    }
    if (word == "--" && !in_quote) break;  // init's own arguments follow

    if (word.empty() && eq == std::string::npos) continue;  // a lone ""
    CmdlineParam p;
    if (eq == std::string::npos) {
      p.key = std::move(word);
    } else {
      p.key = word.substr(0, eq);
      p.value = word.substr(eq + 1);
      p.has_value = true;
    }
    out.params.push_back(std::move(p));
  }
  return out;
}

sys::Result<Cmdline> read_cmdline(sys::Sys& sys, const std::string& path) {
  auto text = sys.read_file(path, 64 * 1024);
  if (!text.ok()) return sys::Result<Cmdline>::failure(text.err);
  return sys::Result<Cmdline>::success(parse_cmdline(text.value));
}

}  // namespace lifeboat
