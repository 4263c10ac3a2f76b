#pragma once
// Small early-boot effects: hostname, RNG seeding, loopback. Each returns a short detail
// for the step line, or throws std::runtime_error with the reason (the step runner
// records it as a failure and the boot goes on).
#include <string>

#include "sys/sys.h"

namespace lifeboat {

// sethostname(name).
std::string set_hostname(sys::Sys& sys, const std::string& name);

// Mixes entropy into the pool without crediting it and without ever blocking: a few
// bytes from /dev/hwrng (O_NONBLOCK) if present, plus the clocks. Returns a detail;
// throws only when /dev/urandom can't be written at all.
std::string seed_rng(sys::Sys& sys);


}  // namespace lifeboat
