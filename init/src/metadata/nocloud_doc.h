#pragma once
// Internal helpers for the NoCloud parsers: errors bound to one document, typed getters.
#include <optional>
#include <string>

#include "common/error.h"
#include "metadata/yaml_dom.h"

namespace lifeboat::meta::nocloud_detail {

struct YDoc {
  std::string name;  // "meta-data", "user-data", "network-config"
  Errors& errors;

  void error(const std::string& field, std::string message, Severity sev = Severity::error) const {
    errors.push_back(Error{"nocloud", field.empty() ? name : name + ": " + field, std::move(message), sev});
  }
  // A scalar's text; nullopt for null/missing; an error for a list or a mapping.
  std::optional<std::string> str(const YamlNode* n, const std::string& field) const {
    if (!n || n->is_null()) return std::nullopt;
    if (!n->is_scalar()) {
      error(field, std::string("expected a string, got a ") + kind_name(*n));
      return std::nullopt;
    }
    return n->value;
  }
  // A list node; nullptr (no error) when missing or null; an error for another kind.
  const YamlNode* list(const YamlNode* n, const std::string& field) const {
    if (!n || n->is_null()) return nullptr;
    if (!n->is_sequence()) {
      error(field, std::string("expected a list, got a ") + kind_name(*n));
      return nullptr;
    }
    return n;
  }
  const YamlNode* map(const YamlNode* n, const std::string& field) const {
    if (!n || n->is_null()) return nullptr;
    if (!n->is_mapping()) {
      error(field, std::string("expected a mapping, got a ") + kind_name(*n));
      return nullptr;
    }
    return n;
  }
  std::optional<bool> boolean(const YamlNode* n, const std::string& field) const {
    if (!n || n->is_null()) return std::nullopt;
    bool b = false;
    if (!yaml_bool(*n, b)) {
      error(field, "expected true or false");
      return std::nullopt;
    }
    return b;
  }
  // Parses the text; on failure records "<name>: <parser message>" and returns nullopt.
  std::optional<YamlNode> parse(std::string_view text) const {
    YamlResult r = parse_yaml(text);
    if (!r.ok) {
      error("", "not valid YAML: " + r.error);
      return std::nullopt;
    }
    return std::move(r.root);
  }
};

inline std::string idx(const std::string& base, std::size_t i) { return base + "[" + std::to_string(i) + "]"; }
inline std::string dot(const std::string& base, const std::string& key) {
  return base.empty() ? key : base + "." + key;
}

}  // namespace lifeboat::meta::nocloud_detail
