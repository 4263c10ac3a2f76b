#include "common/version.h"

#ifndef LIFEBOAT_VERSION
#define LIFEBOAT_VERSION "0.0.0-unknown"
#endif

namespace lifeboat {
const char* version() noexcept { return LIFEBOAT_VERSION; }
}  // namespace lifeboat
