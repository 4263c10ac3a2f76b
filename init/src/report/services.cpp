#include "report/services.h"

#include <nlohmann/json.hpp>

namespace lifeboat {

std::string services_json(const std::vector<ServiceState>& services) {
  nlohmann::json root = nlohmann::json::object();
  for (const auto& s : services) {
    root[s.spec.name] = nlohmann::json{
        {"running", s.pid != 0},
        {"pid", s.pid},
        {"starts", s.starts},
        {"restarts", s.starts > 0 ? s.starts - 1 : 0},
        {"last_exit", s.last_exit_ms ? nlohmann::json(describe_wait_status(s.last_status)) : nlohmann::json(nullptr)},
        {"last_exit_ms", s.last_exit_ms}};
  }
  return root.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace lifeboat
