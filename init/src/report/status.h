#pragma once
// The boot status model, its JSON form (/run/lifeboat/status.json, "schema": 1) and the
// console lines. status.json is the machine-readable twin of the console.
//
// schema 1:
//   { "schema": 1, "version": "0.1.0", "boot_ms": 1234, "disks_done": false,
//     "steps":  [ { "name": "mounts", "result": "ok|failed|skipped",
//                   "detail": "...", "start_ms": 812, "duration_ms": 3 } ],
//     (start_ms: CLOCK_MONOTONIC, ms since the kernel started, as boot_ms)
//     "errors": [ { "source": "cmdline", "field": "lifeboat.fsck",
//                   "message": "...", "severity": "error|warning" } ],
//     "config":  { provenance: where each value came from (metadata/merge.h) },
//     "network": { "interfaces": [...], ... },  "ssh": { "port": 22, ... } }
// "disks_done" turns true when the background disk work (detection and checks, after
// `ready`) has finished; the "disk_work" section says how far it is:
//   {"state": "starting|detecting|checking|done|failed", "volumes_done": 1,
//    "volumes_total": 3, "summary": "..."}
// The other objects are `sections`: objects owned by the boot steps that fill them (absent
// when the step did not run). Secrets never appear in any of them.
#include <cstdint>
#include <optional>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <utility>
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
  std::int64_t start_ms = 0;  // monotonic ms at the start of the step (the boot timeline)
  // PID 1's CPU time in the step (µs; a nested step's is in its parent's too), -1 unknown:
  // tells a step that works from one that waits (on 1 vCPU, for its children's CPU).
  std::int64_t cpu_us = -1;
};

struct BootStatus {
  int schema = 1;
  std::string version;
  std::int64_t boot_ms = 0;
  bool disks_done = false;
  std::vector<StepRecord> steps;
  Errors errors;
  // Further top-level objects, name -> compact JSON text of an object ("config", "network",
  // "ssh"). Text that does not parse as JSON is left out of the document.
  std::vector<std::pair<std::string, std::string>> sections;

  // Sets (or replaces) a section.
  void set_section(const std::string& name, std::string json_text);
};

// One console line (without the "lifeboat: " prefix):
//   "<step>: ok (N ms)", "<step>: ok: <detail> (N ms)",
//   "<step>: failed: <reason> (N ms)", "<step>: skipped: <reason>"
std::string step_line(const StepRecord& s);
// "error: <source>: <field>: <message>" / "warning: ..."
std::string error_line(const Error& e);

std::string render_status_json(const BootStatus& status);
// The document render_status_json prints (for a caller that also wants the summary of it:
// cli/summary.h takes it as is).
nlohmann::json status_document(const BootStatus& status);
// status.json's text as render_status_json gives it.
std::string status_text(const nlohmann::json& doc);
// Parses what render_status_json wrote; errors as values (source "status.json").
std::optional<BootStatus> parse_status_json(const std::string& text, Error& error);

// Human-readable form for `rescue status`.
std::string render_status_text(const BootStatus& status);

// Default /run/lifeboat; env LIFEBOAT_RUN_DIR overrides it (tests, development).
std::string run_dir();
std::string status_path();

// Atomic write (tmp + rename) of <dir>/status.json (render_status_json or status_text);
// creates dir.
sys::Status write_status_text(sys::Sys& sys, const std::string& dir, const std::string& text) noexcept;

}  // namespace lifeboat
