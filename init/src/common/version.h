#pragma once

namespace lifeboat {
// Compile-time version string (CMake LIFEBOAT_VERSION), also written to status.json.
const char* version() noexcept;
}  // namespace lifeboat
