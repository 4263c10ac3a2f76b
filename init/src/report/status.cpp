#include "report/status.h"

#include <cerrno>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/text.h"

namespace lifeboat {

using nlohmann::json;

const char* to_string(StepResult r) noexcept {
  switch (r) {
    case StepResult::failed: return "failed";
    case StepResult::skipped: return "skipped";
    default: return "ok";
  }
}

std::string step_line(const StepRecord& s) {
  switch (s.result) {
    case StepResult::failed:
      return strformat("%s: failed: %s (%lld ms)", s.name.c_str(),
                       s.detail.empty() ? "unknown reason" : s.detail.c_str(),
                       static_cast<long long>(s.duration_ms));
    case StepResult::skipped:
      return strformat("%s: skipped: %s", s.name.c_str(),
                       s.detail.empty() ? "no reason given" : s.detail.c_str());
    default:
      if (s.detail.empty())
        return strformat("%s: ok (%lld ms)", s.name.c_str(), static_cast<long long>(s.duration_ms));
      return strformat("%s: ok: %s (%lld ms)", s.name.c_str(), s.detail.c_str(),
                       static_cast<long long>(s.duration_ms));
  }
}

std::string error_line(const Error& e) {
  return std::string(severity_name(e.severity)) + ": " + describe(e);
}

void BootStatus::set_section(const std::string& name, std::string json_text) {
  for (auto& [n, text] : sections) {
    if (n == name) {
      text = std::move(json_text);
      return;
    }
  }
  sections.emplace_back(name, std::move(json_text));
}

std::string render_status_json(const BootStatus& st) { return status_text(status_document(st)); }

std::string status_text(const json& doc) {
  // Invalid UTF-8 (from a guest-provided string) is replaced, never thrown about. ASCII
  // only (\uXXXX): a guest's C1 control or bidi override stays valid JSON through
  // escape_control on its way to a terminal (`rescue status --json`).
  return doc.dump(2, ' ', true, json::error_handler_t::replace) + "\n";
}

json status_document(const BootStatus& st) {
  json steps = json::array();
  for (const auto& s : st.steps) {
    steps.push_back(json{{"name", s.name},
                         {"result", to_string(s.result)},
                         {"detail", s.detail},
                         {"start_ms", s.start_ms},
                         {"duration_ms", s.duration_ms},
                         {"cpu_us", s.cpu_us}});
  }
  json errors = json::array();
  for (const auto& e : st.errors) {
    errors.push_back(json{{"source", e.source},
                          {"field", e.field},
                          {"message", e.message},
                          {"severity", severity_name(e.severity)}});
  }
  json doc = {{"schema", st.schema}, {"version", st.version}, {"boot_ms", st.boot_ms},
              {"disks_done", st.disks_done}, {"steps", steps}, {"errors", errors}};
  for (const auto& [name, text] : st.sections) {
    if (doc.contains(name)) continue;  // never shadow the fixed fields
    json section = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!section.is_discarded()) doc[name] = std::move(section);
  }
  return doc;
}

std::optional<BootStatus> parse_status_json(const std::string& text, Error& error) {
  error = Error{"status.json", "", "", Severity::error};
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    error.message = "not a JSON object";
    return std::nullopt;
  }
  auto str = [](const json& o, const char* k) -> std::string {
    auto it = o.find(k);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto num = [](const json& o, const char* k) -> std::int64_t {
    auto it = o.find(k);
    return it != o.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
  };
  BootStatus st;
  st.schema = static_cast<int>(num(doc, "schema"));
  if (st.schema != 1) {
    error.field = "schema";
    error.message = strformat("expected 1, got %d", st.schema);
    return std::nullopt;
  }
  st.version = str(doc, "version");
  st.boot_ms = num(doc, "boot_ms");
  if (auto it = doc.find("disks_done"); it != doc.end() && it->is_boolean()) st.disks_done = it->get<bool>();
  if (auto it = doc.find("steps"); it != doc.end() && it->is_array()) {
    for (const auto& s : *it) {
      if (!s.is_object()) continue;
      StepRecord r;
      r.name = str(s, "name");
      std::string res = str(s, "result");
      r.result = res == "failed" ? StepResult::failed
                 : res == "skipped" ? StepResult::skipped
                                    : StepResult::ok;
      r.detail = str(s, "detail");
      r.duration_ms = num(s, "duration_ms");
      r.start_ms = num(s, "start_ms");
      r.cpu_us = s.contains("cpu_us") ? num(s, "cpu_us") : -1;  // older status files have none
      st.steps.push_back(std::move(r));
    }
  }
  if (auto it = doc.find("errors"); it != doc.end() && it->is_array()) {
    for (const auto& e : *it) {
      if (!e.is_object()) continue;
      st.errors.push_back(Error{str(e, "source"), str(e, "field"), str(e, "message"),
                                str(e, "severity") == "warning" ? Severity::warning
                                                                : Severity::error});
    }
  }
  for (const auto& [name, value] : doc.items()) {
    if (name == "schema" || name == "version" || name == "boot_ms" || name == "disks_done" || name == "steps" ||
        name == "errors")
      continue;
    if (value.is_object()) st.sections.emplace_back(name, value.dump(-1, ' ', false, json::error_handler_t::replace));
  }
  return st;
}

std::string render_status_text(const BootStatus& st) {
  std::string out = strformat("lifeboat %s: boot took %lld ms\n",
                              st.version.empty() ? "(unknown version)" : st.version.c_str(),
                              static_cast<long long>(st.boot_ms));
  std::size_t width = 4;
  for (const auto& s : st.steps) width = std::max(width, s.name.size());
  out += "steps:\n";
  if (st.steps.empty()) out += "  (none)\n";
  for (const auto& s : st.steps) {
    std::string line = strformat("  %-7s %-*s", to_string(s.result), static_cast<int>(width),
                                 s.name.c_str());
    if (s.result != StepResult::skipped)
      line += strformat(" %6lld ms", static_cast<long long>(s.duration_ms));
    else
      line += "          ";
    if (!s.detail.empty()) line += "  " + s.detail;
    out += line + "\n";
  }
  out += "errors:\n";
  if (st.errors.empty()) out += "  (none)\n";
  for (const auto& e : st.errors) out += "  " + error_line(e) + "\n";
  return out;
}

std::string run_dir() {
  const char* env = std::getenv("LIFEBOAT_RUN_DIR");
  return env && *env ? std::string(env) : std::string("/run/lifeboat");
}

std::string status_path() { return run_dir() + "/status.json"; }

sys::Status write_status_text(sys::Sys& sys, const std::string& dir, const std::string& text) noexcept {
  try {
    auto st = sys.mkdir_p(dir, 0755);
    if (!st.ok()) return st;
    return sys.write_file_atomic(dir + "/status.json", text, 0644);
  } catch (...) {
    return sys::Status::failure(ENOMEM);  // the path's allocation
  }
}

}  // namespace lifeboat
