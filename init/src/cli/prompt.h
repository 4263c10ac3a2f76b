#pragma once
// Reading a secret from the admin: a terminal prompt without echo, or one line from a fd
// (a script piping it in). Callers wipe what they got (meta::wipe) once used.
#include <string>

#include "sys/sys.h"

namespace lifeboat {

// One line from `fd` (at most 4096 bytes, the newline not kept), read a byte at a time into
// pre-reserved storage so that no stray copy is left in freed memory. False at EOF before
// any byte, or on a read error.
bool read_line_fd(sys::Sys& sys, int fd, std::string& line);

// Prompts on the controlling terminal (else stdin) with echo off; a trailing '\r' is dropped.
bool ask_tty(sys::Sys& sys, const char* prompt, std::string& out, std::string& error);

// The secret from the terminal when stdin is one (asked twice with `confirm`, and the two
// must match), else one line from stdin. Empty is refused. "" or the problem.
std::string read_secret(sys::Sys& sys, const std::string& prompt, const char* confirm_prompt, std::string& out);

}  // namespace lifeboat
