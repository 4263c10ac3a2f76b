// Metadata sources at boot: block device scan, read-only mounts, the IMDS request flow,
// and the provisioning steps over FakeSys.
#include <doctest/doctest.h>

#include <sys/mount.h>

#include <deque>

#include "disks/model.h"
#include "fake_sys.h"
#include "report/step_runner.h"
#include "sources/blockdev.h"
#include "sources/imds_client.h"
#include "sources/provision.h"

using namespace lifeboat;
using namespace lifeboat::src;

namespace {

void add_block(test::FakeSys& sys, const std::string& name, const char* size) {
  sys.add_file("/sys/class/block/" + name + "/size", size);
  sys.add_file("/dev/" + name, "");
}

Prober table_prober(std::map<std::string, BlockFs> table) {
  return [table](const std::string& dev) -> std::optional<BlockFs> {
    auto it = table.find(dev);
    if (it == table.end()) return std::nullopt;
    return it->second;
  };
}

struct ScriptedTransport : HttpTransport {
  std::deque<Exchange> answers;
  std::vector<std::string> requests;
  Exchange exchange(std::string_view request) noexcept override {
    requests.emplace_back(request);
    if (answers.empty()) return Exchange{Exchange::Kind::timeout, {}, "timed out"};
    Exchange e = answers.front();
    answers.pop_front();
    return e;
  }
};

Exchange http(int status, std::string body) {
  Exchange e;
  e.kind = Exchange::Kind::response;
  e.response.status = status;
  e.response.body = std::move(body);
  return e;
}

Exchange failure(Exchange::Kind k, const char* detail) {
  Exchange e;
  e.kind = k;
  e.detail = detail;
  return e;
}

const char* kKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl imds-key";

}  // namespace

TEST_CASE("sources: block scan skips empty devices and keeps the prober's answers") {
  test::FakeSys sys;
  add_block(sys, "vda", "20480\n");
  add_block(sys, "sr0", "0\n");  // no disc
  add_block(sys, "vdb", "720\n");
  add_block(sys, "loop0", "0\n");
  std::vector<std::string> probed;
  Prober p = [&](const std::string& dev) -> std::optional<BlockFs> {
    probed.push_back(dev);
    if (dev == "/dev/vdb") return BlockFs{dev, "iso9660", "config-2"};
    return std::nullopt;
  };
  std::string problems;
  auto fss = scan_block_filesystems(sys, p, problems);
  CHECK(probed == std::vector<std::string>{"/dev/vda", "/dev/vdb"});
  REQUIRE(fss.size() == 1);
  CHECK(fss[0].label == "config-2");
  CHECK(problems.empty());
}

TEST_CASE("sources: find_by_label is case-insensitive and wants a metadata filesystem type") {
  std::vector<BlockFs> fss = {{"/dev/vda1", "xfs", "cidata"}, {"/dev/vdb", "vfat", "CIDATA"},
                              {"/dev/vdc", "vfat", "CONFIG-2"}};
  auto c = find_by_label(fss, {"cidata"});
  REQUIRE(c);
  CHECK(c->device == "/dev/vdb");
  auto d = find_by_label(fss, {"config-2"});
  REQUIRE(d);
  CHECK(d->device == "/dev/vdc");
  CHECK_FALSE(find_by_label(fss, {"other"}));
  // Never an ext filesystem (a read-only mount could still replay its journal), never a
  // partition (a guest can plant one).
  std::vector<BlockFs> hostile = {{"/dev/vda3", "vfat", "cidata", false}, {"/dev/vdb", "ext4", "config-2"}};
  CHECK_FALSE(find_by_label(hostile, {"cidata"}));
  CHECK_FALSE(find_by_label(hostile, {"config-2"}));
  CHECK(disks::is_metadata_drive("Config-2", "iso9660", true));
  CHECK_FALSE(disks::is_metadata_drive("cidata", "vfat", false));
  CHECK_FALSE(disks::is_metadata_drive("cidata", "ext4", true));
}

TEST_CASE("sources: files are read from a read-only mount that is always undone") {
  test::FakeSys sys;
  const std::string mp = "/run/lifeboat/mnt/config-2";
  sys.add_file(mp + "/openstack/latest/meta_data.json", "{}");
  sys.add_file(mp + "/big", std::string(100, 'x'));
  BlockFs fs{"/dev/sr0", "iso9660", "config-2"};
  auto got = read_files_from(sys, fs, mp, {{"openstack/latest/meta_data.json", 1024}, {"big", 99}, {"none", 10}});
  CHECK(got.mounted);
  REQUIRE(sys.mounts.size() == 1);
  CHECK(sys.mounts[0].source == "/dev/sr0");
  CHECK(sys.mounts[0].fstype == "iso9660");
  CHECK((sys.mounts[0].flags & MS_RDONLY) != 0);
  CHECK((sys.mounts[0].flags & MS_NOEXEC) != 0);
  CHECK(sys.umounts == std::vector<std::string>{mp});
  CHECK(got.files["openstack/latest/meta_data.json"].text == std::optional<std::string>("{}"));
  CHECK_FALSE(got.files["big"].text);
  CHECK(got.files["big"].problem.find("larger than 99 bytes") == 0);
  CHECK(got.files["none"].problem == "missing");

  // A busy unmount falls back to a lazy one, and says so.
  test::FakeSys sys2;
  sys2.umount_errors[mp] = EBUSY;
  auto got2 = read_files_from(sys2, fs, mp, {});
  CHECK(got2.unmount_error.find("umount " + mp + ": ") == 0);
  CHECK(got2.unmount_error.find(", lazy umount: ") != std::string::npos);  // the fake refuses both
  CHECK(sys2.umounts.size() == 2);

  // A failed mount is no mount: nothing to undo.
  test::FakeSys sys3;
  sys3.mount_errors[mp] = EINVAL;
  auto got3 = read_files_from(sys3, fs, mp, {{"x", 1}});
  CHECK_FALSE(got3.mounted);
  CHECK(got3.error.find("mount /dev/sr0 (iso9660)") == 0);
  CHECK(sys3.umounts.empty());
}

TEST_CASE("imds: refused, unreachable, 401 and timeouts mean not on EC2") {
  test::FakeSys clock;  // the 8 s budget's clock
  {
    ScriptedTransport t;
    t.answers = {failure(Exchange::Kind::refused, "connection refused")};
    auto o = fetch_imds(clock, t);
    CHECK(o.kind == ImdsOutcome::Kind::not_imds);
    CHECK(o.requests == 1);  // a refusal is not retried
    CHECK(o.detail == "token request: connection refused");
  }
  {
    ScriptedTransport t;
    t.answers = {failure(Exchange::Kind::unreachable, "Network unreachable")};
    CHECK(fetch_imds(clock, t).kind == ImdsOutcome::Kind::not_imds);
  }
  {
    ScriptedTransport t;
    t.answers = {http(401, "")};
    auto o = fetch_imds(clock, t);
    CHECK(o.kind == ImdsOutcome::Kind::not_imds);
    CHECK(o.detail == "token request: HTTP 401");
  }
  {
    ScriptedTransport t;  // nothing answers: two tries, then give up
    auto o = fetch_imds(clock, t, 2);
    CHECK(o.kind == ImdsOutcome::Kind::not_imds);
    CHECK(o.requests == 2);
  }
}

TEST_CASE("imds: token, then the documents; the token never leaks into details or errors") {
  test::FakeSys clock;  // the 8 s budget's clock
  ScriptedTransport t;
  t.answers = {failure(Exchange::Kind::timeout, "timed out"),  // first token try lost
               http(200, "TOKEN-abc123"),
               http(200, "ip-10-0-0-5.ec2.internal"),
               http(404, ""),
               http(200, "0=my-key\n"),
               http(200, kKey)};
  auto o = fetch_imds(clock, t);
  REQUIRE(o.kind == ImdsOutcome::Kind::found);
  CHECK(o.errors.empty());
  CHECK(o.requests == 6);
  CHECK(t.requests[0].rfind("PUT /latest/api/token HTTP/1.1\r\n", 0) == 0);
  CHECK(t.requests[2].find("X-aws-ec2-metadata-token: TOKEN-abc123\r\n") != std::string::npos);
  CHECK(t.requests[5].rfind("GET /latest/meta-data/public-keys/0/openssh-key ", 0) == 0);
  CHECK(o.data.local_hostname == std::optional<std::string>("ip-10-0-0-5.ec2.internal"));
  CHECK_FALSE(o.data.instance_id);
  REQUIRE(o.data.keys.size() == 1);
  CHECK(o.detail.find("TOKEN") == std::string::npos);
}

TEST_CASE("imds: a failing GET is a named error, not the end") {
  test::FakeSys clock;  // the 8 s budget's clock
  ScriptedTransport t;
  t.answers = {http(200, "tok"), http(500, ""), http(200, "i-1"), http(200, "")};
  auto o = fetch_imds(clock, t);
  REQUIRE(o.kind == ImdsOutcome::Kind::found);
  REQUIRE(o.errors.size() == 1);
  CHECK(o.errors[0].field == "/latest/meta-data/local-hostname");
  CHECK(o.errors[0].message == "HTTP 500");
  CHECK(o.data.instance_id == std::optional<std::string>("i-1"));
}

TEST_CASE("provision: summaries never show secrets; datasource filter") {
  meta::PartialConfig c;
  CHECK(summarize(c) == "nothing");
  c.hostname = "vm1";
  meta::Password pw;
  pw.kind = meta::PasswordKind::plaintext;
  pw.plaintext = meta::Secret("hunter2");
  c.password = pw;
  c.ssh_keys.push_back(meta::AuthorizedKey{kKey, meta::Source::config_drive});
  meta::NetworkConfig n;
  n.interfaces.resize(1);
  c.network = n;
  CHECK(summarize(c) == "hostname vm1, password, 1 key, network: 1 interface");
  CHECK(summarize(c).find("hunter2") == std::string::npos);

  std::optional<meta::SourceResult> none;
  CHECK(source_enabled(none, meta::Source::imds));
  meta::SourceResult cl;
  cl.config.datasources = std::vector<meta::Source>{meta::Source::cmdline, meta::Source::config_drive};
  std::optional<meta::SourceResult> some = cl;
  CHECK(source_enabled(some, meta::Source::config_drive));
  CHECK_FALSE(source_enabled(some, meta::Source::imds));
}

TEST_CASE("provision: config-2 step reads the drive, reports errors, keeps going") {
  test::FakeSys sys;
  Log log(sys);
  log.attach_console(2);
  BootStatus status;
  StepRunner steps(sys, log, status);
  Provision p;
  sys.add_file("/proc/cmdline", "console=ttyS0 lifeboat.datasource=cmdline,configdrive,nocloud\n");
  add_block(sys, "sr0", "720");
  p.probe = table_prober({{"/dev/sr0", BlockFs{"/dev/sr0", "iso9660", "config-2"}}});
  const std::string mp = "/run/lifeboat/mnt/config-2";
  sys.add_file(mp + "/openstack/latest/meta_data.json",
               std::string("{\"uuid\": \"u-1\", \"admin_pass\": \"s3cret-pw\", \"public_keys\": {\"k\": \"") + kKey +
                   "\", \"bad\": \"ssh-ed25519 nope\"}}");
  steps.run_step("metadata cmdline", [&](StepContext& s) { source_cmdline(sys, steps, s, p); });
  steps.run_step("metadata config-2", [&](StepContext& s) { source_config_drive(sys, steps, s, p); });
  steps.run_step("metadata nocloud", [&](StepContext& s) { source_nocloud(sys, steps, s, p); });
  steps.run_step("metadata imds", [&](StepContext& s) { source_imds(sys, steps, s, p); });
  REQUIRE(status.steps.size() == 4);
  CHECK(status.steps[1].result == StepResult::ok);
  CHECK(status.steps[1].detail == "/dev/sr0 (iso9660): password, 1 key, instance id");
  CHECK(status.steps[2].result == StepResult::skipped);
  CHECK(status.steps[2].detail.find("no filesystem labelled cidata") == 0);
  CHECK(status.steps[3].result == StepResult::skipped);
  CHECK(status.steps[3].detail == "not in lifeboat.datasource");
  REQUIRE(status.errors.size() == 1);
  CHECK(status.errors[0].source == "config-2");
  CHECK(status.errors[0].field.find("public_keys") != std::string::npos);
  CHECK(sys.umounts == std::vector<std::string>{mp});
  CHECK(sys.console_text().find("s3cret-pw") == std::string::npos);
  CHECK(sys.console_text().find("lifeboat: error: config-2: ") != std::string::npos);

  steps.run_step("metadata", [&](StepContext& s) { finish_config(sys, steps, s, p); });
  REQUIRE(p.config.password);
  CHECK(p.config.password->source == meta::Source::config_drive);
  CHECK(p.partials.empty());
  bool found = false;
  for (const auto& [name, text] : status.sections) {
    if (name != "config") continue;
    found = true;
    CHECK(text.find("s3cret-pw") == std::string::npos);
    CHECK(text.find("\"source\":\"config-2\"") != std::string::npos);
  }
  CHECK(found);
}

TEST_CASE("imds: the socket transport over the fake: refused, unreachable, a response") {
  test::FakeSys sys;
  SocketTransport t(sys, "169.254.169.254", 80);
  sys.connect_errno = ECONNREFUSED;
  CHECK(t.exchange("GET / HTTP/1.1\r\n\r\n").kind == Exchange::Kind::refused);
  sys.connect_errno = ENETUNREACH;
  auto e = t.exchange("GET / HTTP/1.1\r\n\r\n");
  CHECK(e.kind == Exchange::Kind::unreachable);
  CHECK(fetch_imds(sys, t).kind == ImdsOutcome::Kind::not_imds);
  sys.connect_errno = EINPROGRESS;  // connects in the background (socket_error 0)
  sys.files["socket"] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
  e = t.exchange("PUT /latest/api/token HTTP/1.1\r\n\r\n");
  REQUIRE(e.kind == Exchange::Kind::response);
  CHECK(e.response.status == 200);
  CHECK(e.response.body == "hi");
  CHECK(sys.sent.find("PUT /latest/api/token") != std::string::npos);
  const auto open_now = sys.fds_open();
  CHECK(std::count(open_now.begin(), open_now.end(), "socket") == 0);  // every socket closed
}
