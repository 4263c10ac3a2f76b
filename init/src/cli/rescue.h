#pragma once
// `rescue`: the user-facing commands of the multi-call binary.
//
//   rescue --help | --version
//   rescue status [--json]       what the boot did (from <run dir>/status.json)
//   rescue mount/umount/chroot/passwd/authorize-key/firewall-off/du (cli/toolkit.h)
//   rescue poweroff|reboot|halt  sync, then SIGUSR2 / SIGTERM / SIGUSR1 to PID 1
//
// Exit codes: 0 ok, 1 failure, 2 usage. The run dir is /run/lifeboat unless the
// environment sets LIFEBOAT_RUN_DIR.
//
// To add a command: a branch in rescue_main(), a line in the usage text, a test.
#include <string>
#include <vector>

#include "sys/sys.h"

namespace lifeboat {

struct CliOutput {
  std::string out;
  std::string err;
};

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// args: without argv[0].
int rescue_main(const std::vector<std::string>& args, sys::Sys& sys, CliOutput& o);

}  // namespace lifeboat
