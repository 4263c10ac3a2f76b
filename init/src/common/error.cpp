#include "common/error.h"

namespace lifeboat {

const char* severity_name(Severity s) noexcept {
  return s == Severity::warning ? "warning" : "error";
}

std::string describe(const Error& e) {
  std::string out = e.source;
  if (!e.field.empty()) {
    out += ": ";
    out += e.field;
  }
  out += ": ";
  out += e.message;
  return out;
}

}  // namespace lifeboat
