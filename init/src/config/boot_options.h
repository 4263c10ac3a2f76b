#pragma once
// The options lifeboat takes from the kernel command line (pure).
//
//   lifeboat.console=shell|login   shell (default): a root shell on every console
//                                  login: a getty + /bin/login prompt instead
//   lifeboat.fsck=check|repair|off default check
//   lifeboat.hostname=NAME         default "lifeboat"
//   lifeboat.debug                 more log lines (also keeps the console loglevel)
//
// Kernel words lifeboat looks at without owning them: `loglevel=`, `debug`.
// Invalid values keep the default and add an Error; unknown lifeboat.* keys add a
// warning naming the key (never its value: a later key may carry a secret).
// Other words are ignored silently.
//
// To add an option: a field here, a branch in parse_boot_options(), a test.
#include <string>
#include <string_view>

#include "config/cmdline.h"
#include "common/error.h"

namespace lifeboat {

enum class ConsoleMode { shell, login };
enum class FsckMode { check, repair, off };

const char* to_string(ConsoleMode m) noexcept;
const char* to_string(FsckMode m) noexcept;

struct BootOptions {
  ConsoleMode console = ConsoleMode::shell;
  FsckMode fsck = FsckMode::check;
  std::string hostname = "lifeboat";
  bool hostname_from_cmdline = false;
  bool debug = false;           // lifeboat.debug
  bool kernel_verbose = false;  // loglevel= or debug given: leave the console loglevel alone
};

struct BootOptionsResult {
  BootOptions options;
  Errors errors;  // includes the parser's errors
};

BootOptionsResult parse_boot_options(const Cmdline& cmdline);

// The keys metadata/cmdline_source.h reads (lifeboat.password, .password_hash, .ssh_key,
// .datasource, .ssh_port), so that parse_boot_options() does not call them unknown.
bool is_metadata_cmdline_key(std::string_view key) noexcept;

}  // namespace lifeboat
