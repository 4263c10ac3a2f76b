#pragma once
// Errors are values: a parser or a step returns what it understood plus named errors.
// Nothing a guest, a provider or the command line sends may stop the boot.
//
// Never put a secret (password, token, private key) into an Error: errors are printed on
// the console and written to status.json. Name the field instead of echoing its value.
#include <string>
#include <vector>

namespace lifeboat {

enum class Severity { error, warning };

struct Error {
  std::string source;   // "cmdline", later "config-2", "nocloud", "imds", ...
  std::string field;    // e.g. "lifeboat.fsck"
  std::string message;  // e.g. expected check|repair|off, got "banana"
  Severity severity = Severity::error;

  bool operator==(const Error&) const = default;
};

using Errors = std::vector<Error>;

const char* severity_name(Severity s) noexcept;  // "error" | "warning"

// "cmdline: lifeboat.fsck: expected ..." (no severity prefix).
std::string describe(const Error& e);

}  // namespace lifeboat
