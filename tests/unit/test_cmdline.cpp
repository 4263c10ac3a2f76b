#include <doctest/doctest.h>

#include "config/cmdline.h"

using namespace lifeboat;

namespace {
CmdlineParam kv(std::string k, std::string v) { return CmdlineParam{std::move(k), std::move(v), true}; }
CmdlineParam bare(std::string k) { return CmdlineParam{std::move(k), "", false}; }
}  // namespace

TEST_CASE("cmdline: empty and whitespace-only input") {
  CHECK(parse_cmdline("").params.empty());
  CHECK(parse_cmdline("   \t \n").params.empty());
  CHECK(parse_cmdline("").errors.empty());
}

TEST_CASE("cmdline: key=value and bare words, in order") {
  auto c = parse_cmdline("console=ttyS0 quiet lifeboat.debug root=/dev/vda1\n");
  REQUIRE(c.params.size() == 4);
  CHECK(c.params[0] == kv("console", "ttyS0"));
  CHECK(c.params[1] == bare("quiet"));
  CHECK(c.params[2] == bare("lifeboat.debug"));
  CHECK(c.params[3] == kv("root", "/dev/vda1"));
  CHECK(c.errors.empty());
}

TEST_CASE("cmdline: lots of spaces, tabs and the trailing newline") {
  auto c = parse_cmdline("   a=1\t\t  b   \n  c=3  \n");
  REQUIRE(c.params.size() == 3);
  CHECK(c.params[0] == kv("a", "1"));
  CHECK(c.params[1] == bare("b"));
  CHECK(c.params[2] == kv("c", "3"));
}

TEST_CASE("cmdline: '=' inside values splits only at the first one") {
  auto c = parse_cmdline("root=UUID=1234-abcd opt=a=b=c empty=");
  REQUIRE(c.params.size() == 3);
  CHECK(c.params[0] == kv("root", "UUID=1234-abcd"));
  CHECK(c.params[1] == kv("opt", "a=b=c"));
  CHECK(c.params[2] == kv("empty", ""));
}

TEST_CASE("cmdline: quotes") {
  SUBCASE("value quoted") {
    auto c = parse_cmdline("lifeboat.hostname=\"a b\" x");
    REQUIRE(c.params.size() == 2);
    CHECK(c.params[0] == kv("lifeboat.hostname", "a b"));
    CHECK(c.params[1] == bare("x"));
  }
  SUBCASE("whole word quoted") {
    auto c = parse_cmdline("\"key=a b\" next");
    REQUIRE(c.params.size() == 2);
    CHECK(c.params[0] == kv("key", "a b"));
    CHECK(c.params[1] == bare("next"));
  }
  SUBCASE("quotes in the middle of a word") {
    auto c = parse_cmdline("ab\"c d\"ef=g\" h\"");
    REQUIRE(c.params.size() == 1);
    CHECK(c.params[0] == kv("abc def", "g h"));
  }
  SUBCASE("quoted '=' still splits") {
    auto c = parse_cmdline("k\"=\"v");
    REQUIRE(c.params.size() == 1);
    CHECK(c.params[0] == kv("k", "v"));
  }
  SUBCASE("empty quotes") {
    auto c = parse_cmdline("k=\"\" \"\" x");
    REQUIRE(c.params.size() == 2);
    CHECK(c.params[0] == kv("k", ""));
    CHECK(c.params[1] == bare("x"));
  }
  CHECK(parse_cmdline("a=\"b c\"").errors.empty());
}

TEST_CASE("cmdline: an unbalanced quote is an error and takes the rest of the line") {
  auto c = parse_cmdline("a=1 lifeboat.hostname=\"abc def ghi=2\n");
  REQUIRE(c.params.size() == 2);
  CHECK(c.params[0] == kv("a", "1"));
  CHECK(c.params[1] == kv("lifeboat.hostname", "abc def ghi=2"));
  REQUIRE(c.errors.size() == 1);
  CHECK(c.errors[0].source == "cmdline");
  CHECK(c.errors[0].field == "lifeboat.hostname");
  CHECK(c.errors[0].message.find("unbalanced quote") != std::string::npos);

  auto d = parse_cmdline("\"");
  CHECK(d.params.empty());
  REQUIRE(d.errors.size() == 1);
  CHECK(d.errors[0].field == "(cmdline)");
}

TEST_CASE("cmdline: '--' ends the kernel's parameters") {
  auto c = parse_cmdline("a=1 -- lifeboat.debug single");
  REQUIRE(c.params.size() == 1);
  CHECK(c.params[0] == kv("a", "1"));
}

TEST_CASE("cmdline: find() returns the last occurrence") {
  auto c = parse_cmdline("x=1 y x=2");
  REQUIRE(c.find("x"));
  CHECK(c.find("x")->value == "2");
  CHECK(c.has("y"));
  CHECK_FALSE(c.has("z"));
}

TEST_CASE("cmdline: very long input stays linear and complete") {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "k" + std::to_string(i) + "=v" + std::to_string(i) + " ";
  text += "last=\"" + std::string(100000, 'x') + "\"";
  auto c = parse_cmdline(text);
  REQUIRE(c.params.size() == 20001);
  CHECK(c.params[19999] == kv("k19999", "v19999"));
  CHECK(c.params.back().value.size() == 100000);
  CHECK(c.errors.empty());
}

TEST_CASE("cmdline: NUL bytes and control characters do not break parsing") {
  std::string text("a=1");
  text += '\0';
  text += "b=2";
  auto c = parse_cmdline(text);
  REQUIRE(c.params.size() == 2);
  CHECK(c.params[1] == kv("b", "2"));
}
