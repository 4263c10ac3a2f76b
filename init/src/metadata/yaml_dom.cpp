#include "metadata/yaml_dom.h"

#include <optional>

#include "common/text.h"

#ifdef LIFEBOAT_HAVE_LIBYAML
#include <yaml.h>
#endif

namespace lifeboat::meta {

bool YamlNode::is_null() const noexcept {
  return kind == Kind::scalar && plain &&
         (value.empty() || value == "~" || value == "null" || value == "Null" || value == "NULL");
}

const YamlNode* YamlNode::get(std::string_view key) const noexcept {
  if (kind != Kind::mapping) return nullptr;
  for (auto it = entries.rbegin(); it != entries.rend(); ++it)
    if (it->first == key) return &it->second;
  return nullptr;
}

const char* kind_name(const YamlNode& n) noexcept {
  switch (n.kind) {
    case YamlNode::Kind::mapping: return "mapping";
    case YamlNode::Kind::sequence: return "list";
    case YamlNode::Kind::scalar: return n.is_null() ? "null" : "string";
  }
  return "value";
}

bool yaml_bool(const YamlNode& n, bool& out) noexcept {
  if (!n.is_scalar()) return false;
  std::string v;
  for (char c : n.value) v += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (v == "true" || v == "yes" || v == "on" || v == "y") {
    out = true;
    return true;
  }
  if (v == "false" || v == "no" || v == "off" || v == "n") {
    out = false;
    return true;
  }
  return false;
}

bool yaml_int(const YamlNode& n, long long& out) noexcept {
  return n.is_scalar() && parse_int(n.value, out);
}

#ifdef LIFEBOAT_HAVE_LIBYAML

namespace {

struct Parser {
  yaml_parser_t p;
  bool initialized = false;
  Parser() noexcept { initialized = yaml_parser_initialize(&p) != 0; }
  ~Parser() {
    if (initialized) yaml_parser_delete(&p);
  }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;
};

struct Event {
  yaml_event_t e;
  bool live = false;
  ~Event() {
    if (live) yaml_event_delete(&e);
  }
};

// One open collection while building.
struct Frame {
  YamlNode* node;
  std::optional<std::string> pending_key;  // mappings: key read, value not yet
};

}  // namespace

YamlResult parse_yaml(std::string_view text, const YamlLimits& limits) {
  YamlResult r;
  auto fail = [&](std::size_t line, const std::string& msg) {
    r.ok = false;
    r.error = line ? "line " + std::to_string(line) + ": " + msg : msg;
    r.root = YamlNode{};
    return r;
  };
  if (text.size() > limits.max_document) return fail(0, "document larger than the limit, ignored");

  Parser parser;
  if (!parser.initialized) return fail(0, "cannot initialise the YAML parser");
  yaml_parser_set_input_string(&parser.p, reinterpret_cast<const unsigned char*>(text.data()), text.size());

  std::vector<Frame> stack;
  bool have_root = false;
  std::size_t nodes = 0;

  // Places a finished or newly opened node into its parent; returns the stored node.
  auto place = [&](YamlNode&& n, std::string& err) -> YamlNode* {
    if (++nodes > limits.max_nodes) {
      err = "too many nodes";
      return nullptr;
    }
    if (stack.empty()) {
      if (have_root) return nullptr;  // second root in one document cannot happen
      r.root = std::move(n);
      have_root = true;
      return &r.root;
    }
    Frame& top = stack.back();
    if (top.node->is_sequence()) {
      top.node->items.push_back(std::move(n));
      return &top.node->items.back();
    }
    if (!top.pending_key) {
      if (!n.is_scalar()) {
        err = "complex mapping keys are not supported";
        return nullptr;
      }
      top.pending_key = std::move(n.value);
      return nullptr;  // a key is not a node of its own
    }
    top.node->entries.emplace_back(std::move(*top.pending_key), std::move(n));
    top.pending_key.reset();
    return &top.node->entries.back().second;
  };

  bool done = false;
  while (!done) {
    Event ev;
    if (!yaml_parser_parse(&parser.p, &ev.e)) {
      const char* problem = parser.p.problem ? parser.p.problem : "syntax error";
      return fail(parser.p.problem_mark.line + 1, problem);
    }
    ev.live = true;
    std::size_t line = ev.e.start_mark.line + 1;
    std::string err;
    switch (ev.e.type) {
      case YAML_STREAM_START_EVENT:
      case YAML_DOCUMENT_START_EVENT:
        break;
      case YAML_DOCUMENT_END_EVENT:
      case YAML_STREAM_END_EVENT:
        done = true;  // only the first document is read
        break;
      case YAML_ALIAS_EVENT:
        return fail(line, "aliases (*name) are not supported");
      case YAML_SCALAR_EVENT: {
        if (ev.e.data.scalar.length > limits.max_scalar) return fail(line, "scalar longer than the limit");
        YamlNode n;
        n.kind = YamlNode::Kind::scalar;
        n.value.assign(reinterpret_cast<const char*>(ev.e.data.scalar.value), ev.e.data.scalar.length);
        n.plain = ev.e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        n.line = line;
        place(std::move(n), err);
        if (!err.empty()) return fail(line, err);
        break;
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        if (stack.size() + 1 > limits.max_depth) return fail(line, "nested deeper than the limit");
        YamlNode n;
        n.kind = ev.e.type == YAML_SEQUENCE_START_EVENT ? YamlNode::Kind::sequence : YamlNode::Kind::mapping;
        n.line = line;
        YamlNode* placed = place(std::move(n), err);
        if (!err.empty()) return fail(line, err);
        if (!placed) return fail(line, "unexpected collection");
        stack.push_back(Frame{placed, std::nullopt});
        break;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT:
        if (stack.empty()) return fail(line, "unbalanced collection end");
        stack.pop_back();
        break;
      default:
        break;
    }
  }
  if (!stack.empty()) return fail(0, "document ended inside a collection");
  r.ok = true;
  if (!have_root) r.root = YamlNode{};  // empty document: null
  return r;
}

#else  // !LIFEBOAT_HAVE_LIBYAML

YamlResult parse_yaml(std::string_view, const YamlLimits&) {
  YamlResult r;
  r.error = "YAML support not built in";
  return r;
}

#endif

}  // namespace lifeboat::meta
