// Merge precedence, provenance JSON, Secret behaviour, crypt hash recognition.
#include <doctest/doctest.h>

#include "config/cmdline.h"
#include "common/error.h"
#include "metadata/cmdline_source.h"
#include "metadata/configdrive.h"
#include "ssh/crypt_hash.h"
#include "metadata/merge.h"
#include "model/secret.h"

using namespace lifeboat;
using namespace lifeboat::meta;

namespace {

const char* kEd = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIq73hjYIxxnNxmJp21V+WSOvsznh88K+7a6XWmqhNJo test@lifeboat";
const char* kRsa =
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDFdYlF+5ZI2JTjJYTM46xNMsk0ODAqOb/th/aifbZmFvzlsF4mK8dNPtR5GZDtB1uigsLKoD0Io"
    "c8wc3bSHU0/0OkzHz7KFutMwnCwlBP7RoTtMwc9QmfDha9RD8pKYPpMYDN73d2R8r6LT4LJgXi5ZBiasX3kIfz9q1Ot5RncPw== rsa@lifeboat";
const char* kHash = "$y$j9T$abcdefghijklmnop$ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq";

PartialConfig partial(Source s) {
  PartialConfig p;
  p.source = s;
  return p;
}

Password plain(const char* text, Source s) {
  Password pw;
  pw.kind = PasswordKind::plaintext;
  pw.plaintext = Secret(text);
  pw.source = s;
  return pw;
}

NetworkConfig one_iface(const char* mac) {
  NetworkConfig n;
  InterfaceConfig ic;
  ic.match.mac = mac;
  ic.dhcp4 = true;
  n.interfaces.push_back(ic);
  return n;
}

}  // namespace

TEST_CASE("meta merge: precedence cmdline > config-2 > nocloud > imds") {
  auto imds = partial(Source::imds);
  imds.hostname = "from-imds";
  imds.password = plain("imds-Secret", Source::imds);
  imds.ssh_keys = {{kEd, Source::imds}, {kRsa, Source::imds}};
  imds.network = one_iface("52:54:00:00:00:04");
  imds.dns = {"8.8.8.8", "1.1.1.1"};
  imds.instance_id = "i-1";

  auto nocloud = partial(Source::nocloud);
  nocloud.hostname = "from-nocloud";
  nocloud.network = one_iface("52:54:00:00:00:03");
  nocloud.dns = {"1.1.1.1", "9.9.9.9"};
  nocloud.search = {"example.com"};
  HostKey hk;
  hk.type = "ed25519";
  hk.private_key = Secret("-----BEGIN OPENSSH PRIVATE KEY-----\nSecretKeyMaterial\n");
  nocloud.host_keys.push_back(hk);

  auto drive = partial(Source::config_drive);
  drive.password = plain("drive-Secret", Source::config_drive);
  drive.ssh_keys = {{std::string(kEd) + " dup-comment", Source::config_drive}};
  drive.network = one_iface("52:54:00:00:00:02");
  drive.random_seed = "AB";

  auto cmd = partial(Source::cmdline);
  cmd.hostname = "from-cmdline";
  cmd.ssh_port = 2222;

  // Given in scrambled order on purpose.
  Config c = merge({imds, cmd, nocloud, drive});
  REQUIRE(c.hostname);
  CHECK(c.hostname->value == "from-cmdline");
  CHECK(c.hostname->source == Source::cmdline);
  REQUIRE(c.password);
  CHECK(c.password->source == Source::config_drive);
  CHECK(c.password->plaintext.reveal() == "drive-Secret");
  // Union of keys, deduplicated by blob: the ed25519 key keeps config-2 (higher than imds).
  REQUIRE(c.ssh_keys.size() == 2);
  CHECK(c.ssh_keys[0].source == Source::config_drive);
  CHECK(c.ssh_keys[1].source == Source::imds);
  // The network of config-2 wins as a whole.
  REQUIRE(c.network);
  CHECK(c.network->source == Source::config_drive);
  REQUIRE(c.network->value.interfaces.size() == 1);
  CHECK(c.network->value.interfaces[0].match.mac == "52:54:00:00:00:02");
  // DNS union in precedence order.
  REQUIRE(c.dns.size() == 3);
  CHECK(c.dns[0].value == "1.1.1.1");
  CHECK(c.dns[0].source == Source::nocloud);
  CHECK(c.dns[1].value == "9.9.9.9");
  CHECK(c.dns[2].value == "8.8.8.8");
  CHECK(c.dns[2].source == Source::imds);
  CHECK(c.host_keys.size() == 1);
  CHECK(c.host_keys[0].source == Source::nocloud);
  CHECK(c.port() == 2222);
  CHECK(c.instance_id->value == "i-1");
  CHECK(c.random_seed == "AB");
  CHECK(c.datasources == default_datasources());
}

TEST_CASE("meta merge: nothing given -> empty config, default port") {
  Config c = merge({});
  CHECK_FALSE(c.hostname);
  CHECK_FALSE(c.password);
  CHECK_FALSE(c.network);
  CHECK(c.port() == 22);
}

TEST_CASE("meta merge: a lower source fills what higher ones lack") {
  auto imds = partial(Source::imds);
  imds.password = plain("imds-Secret", Source::imds);
  imds.network = one_iface("52:54:00:00:00:04");
  auto cmd = partial(Source::cmdline);
  cmd.dns = {"1.1.1.1"};  // nameserver= alone is not a network config
  Config c = merge({cmd, imds});
  CHECK(c.password->source == Source::imds);
  CHECK(c.network->source == Source::imds);
}

TEST_CASE("meta merge: lifeboat.datasource limits the sources that count") {
  auto cmd = config_from_cmdline(parse_cmdline("lifeboat.datasource=cmdline,imds lifeboat.hostname=h1")).config;
  auto drive = partial(Source::config_drive);
  drive.password = plain("drive-Secret", Source::config_drive);
  auto imds = partial(Source::imds);
  imds.ssh_keys = {{kEd, Source::imds}};
  Config c = merge({cmd, drive, imds});
  CHECK_FALSE(c.password);  // config-2 not listed
  CHECK(c.ssh_keys.size() == 1);
  CHECK(c.datasources == std::vector<Source>{Source::cmdline, Source::imds});
}

TEST_CASE("meta merge: provenance JSON never contains a secret") {
  auto cmd = config_from_cmdline(parse_cmdline(std::string("lifeboat.password=Hunter2-Secret lifeboat.ssh_key=\"") +
                                               kEd + "\" nameserver=1.1.1.1 ip=eth0:dhcp"));
  auto drive = parse_meta_data(R"({"admin_pass": "Drive-Secret-Pass", "hostname": "vm1", "uuid": "u-1"})");
  auto nocloud = partial(Source::nocloud);
  HostKey hk;
  hk.type = "ed25519";
  hk.private_key = Secret("-----BEGIN OPENSSH PRIVATE KEY-----\nPrivateKeyMaterial\n");
  nocloud.host_keys.push_back(hk);
  Config c = merge({cmd.config, drive.config, nocloud});
  std::string json = render_provenance_json(c);
  CHECK(json.find("Hunter2") == std::string::npos);
  CHECK(json.find("Drive-Secret") == std::string::npos);
  CHECK(json.find("PrivateKeyMaterial") == std::string::npos);
  CHECK(json.find(R"("password":{"kind":"plaintext-hashed","source":"cmdline"})") != std::string::npos);
  CHECK(json.find(R"("hostname":{"source":"config-2","value":"vm1"})") != std::string::npos);
  CHECK(json.find(R"("fingerprint":"SHA256:y4ESXpOVegjEvihwPVD7vKhNz3rjWeezAzz1kg+Tj0w")") != std::string::npos);
  CHECK(json.find(R"("network":{"auto_dhcp4":true,"interfaces":1,"source":"cmdline"})") != std::string::npos);
  CHECK(json.find(R"("dns":[{"address":"1.1.1.1","source":"cmdline"}])") != std::string::npos);
  CHECK(json.find(R"("host_keys":[{"source":"nocloud","type":"ed25519"}])") != std::string::npos);
  CHECK(json.find(R"("ssh_port":{"source":"default","value":22})") != std::string::npos);
  for (const auto& e : cmd.errors) CHECK(describe(e).find("Hunter2") == std::string::npos);

  Config h = merge({config_from_cmdline(parse_cmdline(std::string("lifeboat.password_hash=") + kHash)).config});
  std::string hj = render_provenance_json(h);
  CHECK(hj.find(R"("password":{"kind":"hash","source":"cmdline"})") != std::string::npos);
  CHECK(hj.find("abcdefghijklmnop") == std::string::npos);  // not even the hash
}

TEST_CASE("meta merge: provenance JSON survives invalid UTF-8 in comments") {
  Config c;
  c.ssh_keys.push_back({std::string(kEd) + " \xff\xfe", Source::imds});
  std::string json = render_provenance_json(c);
  CHECK(json.find("SHA256:") != std::string::npos);
}

TEST_CASE("meta secret: redacted, cleared, copied, moved") {
  Secret s("Hunter2-Secret");
  CHECK(s.reveal() == "Hunter2-Secret");
  CHECK(std::string(s.redacted()) == "<redacted>");
  CHECK(std::string(Secret().redacted()) == "<empty>");
  Secret copy = s;
  CHECK(copy == s);
  Secret moved = std::move(copy);
  CHECK(moved.reveal() == "Hunter2-Secret");
  CHECK(copy.empty());  // NOLINT(bugprone-use-after-move): moved-from is cleared by design
  moved.clear();
  CHECK(moved.empty());
  Secret assigned;
  assigned = s;
  CHECK(assigned.reveal() == "Hunter2-Secret");
  assigned = Secret("x");
  CHECK(assigned.reveal() == "x");

  std::string long_text(1000, 'z');
  wipe(long_text);
  CHECK(long_text.empty());
}

TEST_CASE("meta crypt hash shapes") {
  CHECK(looks_like_crypt_hash(kHash));
  CHECK(looks_like_crypt_hash("$6$rounds=5000$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9Yter"));
  CHECK(looks_like_crypt_hash("$5$saltsalt$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZF7Lx6ra1"));
  CHECK(looks_like_crypt_hash("$1$saltsalt$qjXMvbEw8oaL.CzflDugX/"));
  CHECK(looks_like_crypt_hash("$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"));
  CHECK_FALSE(looks_like_crypt_hash("password123"));
  CHECK_FALSE(looks_like_crypt_hash("$6$onlytwo"));
  CHECK_FALSE(looks_like_crypt_hash("$6$salt$tooshort"));
  CHECK_FALSE(looks_like_crypt_hash("$6$salt$has:colon.in.the.hash.part"));
  CHECK_FALSE(looks_like_crypt_hash("$6$salt$has space in the hash part"));
  CHECK_FALSE(looks_like_crypt_hash("$X$salt$uppercaseidxxxxxxxxxxxxxx"));
  CHECK_FALSE(looks_like_crypt_hash("$6$$emptysaltxxxxxxxxxxxxxxxxxxx"));
  CHECK_FALSE(looks_like_crypt_hash("!$6$salt$lockedxxxxxxxxxxxxxxxxxxx"));
  CHECK_FALSE(looks_like_crypt_hash(""));
}
