#pragma once
// Kernel command line parser (pure). Input: the text of /proc/cmdline.
//
//   word          := (plain char | "quoted run")+      quotes may appear anywhere in a word
//   key=value     split at the first '=' (quoted or not): key="a b", "key=a b" both work
//   bare          a word without '=' (has_value = false)
//   --            ends the kernel's parameters; the rest belongs to init's argv and is
//                 not parsed here
// An unbalanced quote is reported as an error; the rest of the line becomes the value.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "sys/sys.h"

namespace lifeboat {

struct CmdlineParam {
  std::string key;
  std::string value;
  bool has_value = false;

  bool operator==(const CmdlineParam&) const = default;
};

struct Cmdline {
  std::vector<CmdlineParam> params;  // in command line order
  Errors errors;

  // Last occurrence wins, like the kernel's own parameters.
  const CmdlineParam* find(std::string_view key) const noexcept;
  bool has(std::string_view key) const noexcept { return find(key) != nullptr; }
};

Cmdline parse_cmdline(std::string_view text);

// The one way to read the kernel command line: `path` (/proc/cmdline, at most 64 KiB)
// parsed; the errno when it cannot be read.
inline constexpr const char* kProcCmdline = "/proc/cmdline";
sys::Result<Cmdline> read_cmdline(sys::Sys& sys, const std::string& path = kProcCmdline);

}  // namespace lifeboat
