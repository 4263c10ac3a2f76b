// libFuzzer entry for one target, chosen at build time (-DLIFEBOAT_FUZZ_TARGET="fstab").
// Built by tools/fuzz with clang -fsanitize=fuzzer,address,undefined.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "targets.h"

namespace {
const lifeboat::fuzz::Target& chosen() {
  static const lifeboat::fuzz::Target* t = [] {
    for (const auto& [name, fn] : lifeboat::fuzz::targets())
      if (name == LIFEBOAT_FUZZ_TARGET) return &fn;
    std::abort();
  }();
  return *t;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  chosen()(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
