#pragma once
// status.json "services" section: each supervised service, its restarts and last exit.
//   {"dropbear": {"running": true, "pid": 212, "starts": 1, "restarts": 0,
//                 "last_exit": null | "exit status 1", "last_exit_ms": 0}, ...}
#include <cstdint>
#include <string>
#include <vector>

#include "supervise/supervisor.h"

namespace lifeboat {

std::string services_json(const std::vector<ServiceState>& services);

}  // namespace lifeboat
