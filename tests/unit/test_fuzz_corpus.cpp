// Replays every committed fuzz corpus (tests/fuzz/corpus/<target>/*) through its target:
// what the fuzzers found once stays fixed.
#include <doctest/doctest.h>
#include <dirent.h>

#include <fstream>
#include <sstream>

#include "../fuzz/targets.h"

#ifndef LIFEBOAT_SOURCE_DIR
#error "LIFEBOAT_SOURCE_DIR must be defined"
#endif

TEST_CASE("fuzz corpora: every committed input runs through its parser") {
  const std::string base = std::string(LIFEBOAT_SOURCE_DIR) + "/tests/fuzz/corpus";
  std::size_t inputs = 0;
  for (const auto& target : lifeboat::fuzz::targets()) {
    const std::string name = target.first;  // not a structured binding: clang 14 cannot capture those
    const auto& fn = target.second;
    const std::string dir = base + "/" + name;
    DIR* d = ::opendir(dir.c_str());
    CHECK_MESSAGE(d != nullptr, "no corpus for target " << name);
    if (!d) continue;
    std::size_t here = 0;
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::ifstream f(dir + "/" + e->d_name, std::ios::binary);
      std::stringstream ss;
      ss << f.rdbuf();
      fn(ss.str());
      ++here;
    }
    ::closedir(d);
    CHECK_MESSAGE(here > 0, "empty corpus for target " << name);
    inputs += here;
  }
  MESSAGE(inputs << " corpus inputs replayed");
}
