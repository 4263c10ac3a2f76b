#pragma once
// The boot status model, its JSON form (/run/lifeboat/status.json, "schema": 1) and the
// console lines. status.json is the machine-readable twin of the console.
//
// schema 1:
//   { "schema": 1, "version": "0.1.0", "boot_ms": 1234,
//     "steps":  [ { "name": "mounts", "result": "ok|failed|skipped",
//                   "detail": "...", "duration_ms": 3 } ],
//     "errors": [ { "source": "cmdline", "field": "lifeboat.fsck",
//                   "message": "...", "severity": "error|warning" } ] }
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "sys/sys.h"

namespace lifeboat {

enum class StepResult { ok, failed, skipped };
const char* to_string(StepResult r) noexcept;

struct StepRecord {
  std::string name;
  StepResult result = StepResult::ok;
  std::string detail;  // reason when failed/skipped; a short summary when ok
  std::int64_t duration_ms = 0;
};

struct BootStatus {
  int schema = 1;
  std::string version;
  std::int64_t boot_ms = 0;
  std::vector<StepRecord> steps;
  Errors errors;
};

// One console line (without the "lifeboat: " prefix):
//   "<step>: ok (N ms)", "<step>: ok: <detail> (N ms)",
//   "<step>: failed: <reason> (N ms)", "<step>: skipped: <reason>"
std::string step_line(const StepRecord& s);
// "error: <source>: <field>: <message>" / "warning: ..."
std::string error_line(const Error& e);

std::string render_status_json(const BootStatus& status);
// Parses what render_status_json wrote; errors as values (source "status.json").
std::optional<BootStatus> parse_status_json(const std::string& text, Error& error);

// Human-readable form for `rescue status`.
std::string render_status_text(const BootStatus& status);

// Default /run/lifeboat; env LIFEBOAT_RUN_DIR overrides it (tests, development).
std::string run_dir();
std::string status_path();

// Atomic write (tmp + rename) of <dir>/status.json; creates dir.
sys::Status write_status(sys::Sys& sys, const std::string& dir, const BootStatus& status) noexcept;

}  // namespace lifeboat
