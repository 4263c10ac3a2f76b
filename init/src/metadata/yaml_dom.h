#pragma once
// A small YAML document model built from libyaml's event stream (pure: parses text).
//
// Only what cloud-init documents need: mappings (scalar keys), sequences, scalars.
// Limits against hostile input, all reported as an error instead of a crash:
//   - aliases (*ref) are refused outright: no alias bombs; anchors alone are harmless;
//   - nesting deeper than max_depth; more than max_nodes nodes;
//   - a scalar over max_scalar bytes; a document over max_document bytes;
//   - complex (non-scalar) mapping keys.
// Only the first document of a stream is read. Tags are ignored (a scalar stays text).
//
// libyaml is needed at link time. Built without it (LIFEBOAT_HAVE_LIBYAML undefined),
// parse_yaml() returns the error "YAML support not built in".
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lifeboat::meta {

struct YamlNode {
  enum class Kind { scalar, sequence, mapping };
  Kind kind = Kind::scalar;
  std::string value;   // scalar text
  bool plain = true;   // an unquoted scalar (may mean null, a boolean, a number)
  std::size_t line = 0;  // 1-based
  std::vector<YamlNode> items;                            // sequence
  std::vector<std::pair<std::string, YamlNode>> entries;  // mapping, in document order

  // Declared here, defined after the class: std::pair<std::string, YamlNode> needs the
  // complete type (libstdc++ instantiates it eagerly; libc++ did not mind).
  YamlNode();
  YamlNode(const YamlNode&);
  YamlNode(YamlNode&&) noexcept;
  YamlNode& operator=(const YamlNode&);
  YamlNode& operator=(YamlNode&&) noexcept;
  ~YamlNode();

  bool is_scalar() const noexcept { return kind == Kind::scalar; }
  bool is_sequence() const noexcept { return kind == Kind::sequence; }
  bool is_mapping() const noexcept { return kind == Kind::mapping; }
  // A plain "", "~", "null", "Null" or "NULL".
  bool is_null() const noexcept;
  // The value of `key` in a mapping (the last one if repeated, like PyYAML), else nullptr.
  const YamlNode* get(std::string_view key) const noexcept;
};

inline YamlNode::YamlNode() = default;
inline YamlNode::YamlNode(const YamlNode&) = default;
inline YamlNode::YamlNode(YamlNode&&) noexcept = default;
inline YamlNode& YamlNode::operator=(const YamlNode&) = default;
inline YamlNode& YamlNode::operator=(YamlNode&&) noexcept = default;
inline YamlNode::~YamlNode() = default;

// "mapping", "list", "string", "null": for "expected a list"-style messages.
const char* kind_name(const YamlNode& n) noexcept;

// YAML 1.1 booleans as cloud-init (PyYAML) reads them: true/false/yes/no/on/off, any case.
bool yaml_bool(const YamlNode& n, bool& out) noexcept;
// A decimal integer scalar.
bool yaml_int(const YamlNode& n, long long& out) noexcept;

struct YamlLimits {
  std::size_t max_document = 1024 * 1024;
  std::size_t max_depth = 64;
  std::size_t max_scalar = 64 * 1024;
  std::size_t max_nodes = 100000;
};

struct YamlResult {
  bool ok = false;
  YamlNode root;       // a null scalar for an empty document
  std::string error;   // "line 3: mapping values are not allowed in this context"
};

YamlResult parse_yaml(std::string_view text, const YamlLimits& limits = {});

}  // namespace lifeboat::meta
