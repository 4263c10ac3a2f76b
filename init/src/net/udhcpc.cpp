#include "net/udhcpc.h"

namespace lifeboat::net {

static std::vector<std::string> dhcp_argv(std::string_view binary, std::string_view iface, std::string_view script) {
  return {std::string(binary), "-t", "3", "-T", "1", "-A", "2", "-n", "-q", "-f",
          "-i", std::string(iface), "-s", std::string(script)};
}

std::vector<std::string> udhcpc_argv(std::string_view iface, std::string_view script, std::string_view binary) {
  return dhcp_argv(binary, iface, script);
}

std::vector<std::string> udhcpc6_argv(std::string_view iface, std::string_view script, std::string_view binary) {
  return dhcp_argv(binary, iface, script);
}

}  // namespace lifeboat::net
