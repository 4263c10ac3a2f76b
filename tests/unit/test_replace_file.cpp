// The one atomic file write (sys::Sys::replace_file) and the guest's use of it
// (guest::replace_file): owner and mode kept, links refused, nothing left behind.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include "fake_sys.h"
#include "guest/ops.h"

using namespace lifeboat;

TEST_CASE("replace_file: a guest file keeps its owner and mode; a new one gets the given ones") {
  test::FakeSys sys;
  sys.add_file("/mnt/guest/home/ann/.ssh/authorized_keys", "old\n");
  sys.meta["/mnt/guest/home/ann/.ssh/authorized_keys"] = sys::FileStat{0600, 1000, 1000, 0};
  std::string error;
  REQUIRE(guest::replace_file(sys, "/mnt/guest/home/ann/.ssh/authorized_keys", "new\n", 0644, 0, 0, error));
  CHECK(sys.files["/mnt/guest/home/ann/.ssh/authorized_keys"] == "new\n");
  auto st = sys.lstat("/mnt/guest/home/ann/.ssh/authorized_keys");
  REQUIRE(st.ok());
  CHECK((st.value.mode & 07777) == 0600);
  CHECK(st.value.uid == 1000);
  CHECK(st.value.gid == 1000);

  REQUIRE(guest::replace_file(sys, "/mnt/guest/.autorelabel", "", 0644, 0, 0, error));
  CHECK((sys.lstat("/mnt/guest/.autorelabel").value.mode & 07777) == 0644);
  for (const auto& [path, _] : sys.files) CHECK(path.find("lifeboat-tmp") == std::string::npos);
}

TEST_CASE("replace_file: a link or device where the file should be is refused, untouched") {
  test::FakeSys sys;
  sys.add_file("/mnt/guest/etc/shadow", "root:x:1::::::\n");
  sys.types["/mnt/guest/etc/shadow"] = S_IFLNK;  // planted: -> /run/lifeboat/...
  std::string error;
  CHECK_FALSE(guest::replace_file(sys, "/mnt/guest/etc/shadow", "root:$6$...:1::::::\n", 0640, 0, 0, error));
  CHECK(error == "/mnt/guest/etc/shadow: not a regular file (refusing to replace it)");
  CHECK(sys.files["/mnt/guest/etc/shadow"] == "root:x:1::::::\n");
}

TEST_CASE("replace_file: a failed write names the step and removes the temporary file") {
  test::FakeSys sys;
  sys.add_file("/etc/motd", "old");
  sys.fail_writes_to = "/etc/motd.lifeboat-tmp";
  std::string what;
  auto st = sys.replace_file("/etc/motd", "new", sys::ReplaceOptions{}, &what);
  CHECK_FALSE(st.ok());
  CHECK(what == "/etc/motd.lifeboat-tmp: write: No space left on device");
  CHECK(sys.files["/etc/motd"] == "old");
  CHECK_FALSE(sys.files.count("/etc/motd.lifeboat-tmp"));
}
