// SSH at boot: password hashing, shadow, authorized_keys, Dropbear's command line, reports.
#include <doctest/doctest.h>

#include "fake_sys.h"
#include "report/status.h"
#include "report/step_runner.h"
#include "sources/provision.h"
#include "ssh/setup.h"

using namespace lifeboat;
using namespace lifeboat::ssh;

namespace {

const char* kKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIq73hjYIxxnNxmJp21V+WSOvsznh88K+7a6XWmqhNJo me@laptop";

SshSetupOptions no_host_keys() {
  SshSetupOptions o;
  o.key_types.clear();
  return o;
}

// The next 20 one-shots (dropbearkey) each print `pub` the way dropbearkey does and exit 0.
void script_dropbearkey(test::FakeSys& sys, const std::string& pub) {
  for (int i = 0; i < 20; ++i) {
    sys.script.push_back([&sys, pub] {
      if (sys.live.empty()) return;
      pid_t p = *sys.live.rbegin();
      int fd = sys.spawn_of(p).stdout_fd;
      sys.files["pipe:" + std::to_string(fd - 1)] += "Public key portion is:\n" + pub + "\n";  // FakeSys pipes: {r, w = r + 1}
      sys.exit_child(p, 0);
    });
  }
}

// The host key dropbearkey "makes" in these tests (its public line).
const std::string kHostEd =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIq73hjYIxxnNxmJp21V+WSOvsznh88K+7a6XWmqhNJo root@lifeboat";

// PID 1's side of an SSH setup: /etc/shadow as the image ships it, the log, the supervisor.
struct SshBoot {
  test::FakeSys sys;
  Log log{sys};
  Supervisor sup{sys, log};
  SshBoot() { sys.add_file("/etc/shadow", "root:*:::::::\n"); }
};

// The ed25519 job made ahead ends well: its output and its key are in place.
void ed25519_made_ahead(test::FakeSys& sys, HostKeyJobs& jobs) {
  sys.files["/run/lifeboat/host-key-ed25519.out"] = "Public key portion is:\n" + kHostEd + "\n";
  sys.add_file("/etc/dropbear/dropbear_ed25519_host_key", "key");
  sys.exit_child(jobs.at("ed25519").pid, 0);
}

bool any_file_contains(const test::FakeSys& sys, const std::string& needle) {
  for (const auto& [path, content] : sys.files)
    if (content.find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("ssh setup: salt alphabet and length") {
  unsigned char b[16];
  for (int i = 0; i < 16; ++i) b[i] = static_cast<unsigned char>(i * 17 + 3);
  auto s = salt_from_bytes(b, sizeof b);
  CHECK(s.size() == 16);
  for (char c : s) CHECK(std::string("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz").find(c) != std::string::npos);
  unsigned char zero[16] = {};
  CHECK(salt_from_bytes(zero, 16) == "................");
}

#if !defined(__GLIBC__)
TEST_CASE("ssh setup: SHA-512 crypt matches the published test vector") {
  // From Drepper's "Unix crypt using SHA-256 and SHA-512" specification.
  auto h = sha512_crypt(meta::Secret("Hello world!"), "saltstring");
  REQUIRE(h);
  CHECK(*h == "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1");
  CHECK_FALSE(sha512_crypt(meta::Secret("x"), "bad$salt"));
  CHECK_FALSE(sha512_crypt(meta::Secret("x"), ""));
}

TEST_CASE("ssh: hash_password salts from sys.random_bytes, and says why it cannot") {
  test::FakeSys sys;
  std::string why;
  auto h = hash_password(sys, meta::Secret("secret"), why);
#if !defined(__GLIBC__)
  REQUIRE(h.has_value());
  // The fake's bytes 0x11, 0x22, ... pick the salt characters (byte & 63).
  CHECK(h->rfind("$6$" + salt_from_bytes(reinterpret_cast<const unsigned char*>("\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff\x10"), 16) + "$", 0) == 0);
#endif
  sys.random_errno = ENOSYS;  // no getrandom and no /dev/urandom in the fake
  why.clear();
  CHECK_FALSE(hash_password(sys, meta::Secret("secret"), why));
  CHECK(why.rfind("no random bytes for a salt", 0) == 0);
}

TEST_CASE("ssh setup: a plaintext password is hashed, wiped, and never written in clear") {
  test::FakeSys sys;
  sys.add_file("/etc/shadow", "root:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n");
  Log log(sys);
  Supervisor sup(sys, log);
  meta::Config c;
  meta::Password pw;
  pw.kind = meta::PasswordKind::plaintext;
  pw.plaintext = meta::Secret("correct horse battery");
  pw.source = meta::Source::config_drive;
  c.password = pw;
  c.ssh_keys.push_back(meta::AuthorizedKey{kKey, meta::Source::cmdline});
  auto s = setup_ssh(sys, sup, c, no_host_keys());
  CHECK(s.password);
  CHECK(s.password_source == "config-2");
  CHECK(s.password_kind == "plaintext-hashed");
  CHECK(c.password->plaintext.empty());
  const std::string& shadow = sys.files.at("/etc/shadow");
  CHECK(shadow.rfind("root:$6$", 0) == 0);
  CHECK(shadow.find("\nnobody:*:19000:0:99999:7:::\n") != std::string::npos);
  CHECK_FALSE(any_file_contains(sys, "correct horse"));
  CHECK(sys.files.at("/root/.ssh/authorized_keys").find(kKey) != std::string::npos);
  CHECK(sys.dirs.count("/root/.ssh"));
  CHECK(s.authorized_keys == 1);
  auto argv = dropbear_argv(s.dropbear);
  CHECK(std::find(argv.begin(), argv.end(), "-s") == argv.end());
  CHECK(listening_line(s) == "listening on port 22 (keys: 1, password: yes)");
  auto j = ssh_json(s);
  CHECK(j.find("$6$") == std::string::npos);
  CHECK(j.find("\"kind\":\"plaintext-hashed\"") != std::string::npos);
}
#endif

TEST_CASE("ssh setup: a hash is kept as given; no password means '*' and -s -g") {
  const std::string hash = "$6$abcdefgh$" + std::string(86, 'x');
  {
    test::FakeSys sys;
    sys.add_file("/etc/shadow", "root:*:19000:0:99999:7:::\n");
    Log log(sys);
    Supervisor sup(sys, log);
    meta::Config c;
    meta::Password pw;
    pw.kind = meta::PasswordKind::hash;
    pw.hash = hash;
    c.password = pw;
    auto s = setup_ssh(sys, sup, c, no_host_keys());
    CHECK(s.password);
    CHECK(sys.files.at("/etc/shadow") == "root:" + hash + ":19000:0:99999:7:::\n");
  }
  {
    test::FakeSys sys;
    sys.add_file("/etc/shadow", "root:*:19000:0:99999:7:::\n");
    Log log(sys);
    Supervisor sup(sys, log);
    meta::Config c;
    c.ssh_port = meta::Sourced<int>{2222, meta::Source::cmdline};
    auto s = setup_ssh(sys, sup, c, no_host_keys());
    CHECK_FALSE(s.password);
    CHECK(sys.files.at("/etc/shadow") == "root:*:19000:0:99999:7:::\n");
    CHECK(sys.files.at("/root/.ssh/authorized_keys").find("ssh-") == std::string::npos);
    auto svc = dropbear_service(s, 7);
    // No -E: our Dropbear is built without syslog, logs to stderr and refuses the flag.
    CHECK(svc.spawn.argv == std::vector<std::string>{"/usr/sbin/dropbear", "-F", "-p", "2222", "-R", "-s", "-g"});
    CHECK(svc.spawn.stderr_fd == 7);
    CHECK(svc.spawn.new_session);
    CHECK(listening_line(s) == "listening on port 2222 (keys: 0, password: no)");
  }
}

TEST_CASE_FIXTURE(SshBoot, "ssh setup: host keys are generated once, fingerprints from the public half") {
  sys.add_file("/etc/dropbear/dropbear_ecdsa_host_key", "existing");
  // dropbearkey -t ed25519 prints the public key; dropbearkey -y for the existing ecdsa key.
  for (int i = 0; i < 20; ++i) {
    sys.script.push_back([&] {
      if (sys.live.empty()) return;
      pid_t p = *sys.live.rbegin();
      const auto& argv = sys.spawn_of(p).argv;
      int fd = sys.spawn_of(p).stdout_fd;
      std::string out = argv[1] == "-t" ? "Public key portion is:\n" + kHostEd + "\nFingerprint: sha1!! x\n"
                                        : "Public key portion is:\n" + kHostEd + "\n";
      sys.files["pipe:" + std::to_string(fd - 1)] += out;  // FakeSys pipes: {r, w = r + 1}
      sys.exit_child(p, 0);
    });
  }
  meta::Config c;
  auto s = setup_ssh(sys, sup, c);
  REQUIRE(s.host_keys.size() == 2);
  CHECK(s.host_keys[0].type == "ed25519");
  CHECK(s.host_keys[0].origin == "generated");
  CHECK(s.host_keys[1].origin == "existing");
  CHECK(s.host_keys[0].fingerprint.rfind("SHA256:", 0) == 0);
  CHECK(host_key_line(s.host_keys[0]) == "host key ED25519 " + s.host_keys[0].fingerprint);
  REQUIRE(sys.spawns.size() == 2);
  CHECK(sys.spawns[0].argv == std::vector<std::string>{"/usr/bin/dropbearkey", "-t", "ed25519", "-f",
                                                        "/etc/dropbear/dropbear_ed25519_host_key"});
  CHECK(sys.spawns[1].argv == std::vector<std::string>{"/usr/bin/dropbearkey", "-y", "-f",
                                                        "/etc/dropbear/dropbear_ecdsa_host_key"});
  auto argv = dropbear_argv(s.dropbear);
  CHECK(std::count(argv.begin(), argv.end(), "-r") == 2);
}

TEST_CASE_FIXTURE(SshBoot, "ssh setup: host keys made ahead are collected, a failed one is made again") {
  auto jobs = start_host_keys(sys, sup);
  REQUIRE(jobs.size() == 2);
  REQUIRE(sys.spawns.size() == 2);
  CHECK(sys.spawns[0].argv[2] == "ed25519");  // in key_types order
  CHECK(sys.spawns[1].argv[2] == "ecdsa");
  CHECK(sys.spawns[0].nice == kHostKeyNice);  // behind the DHCP client on one vCPU
  CHECK(sys.spawns[1].nice == kHostKeyNice);
  // Both run in the background; ed25519 succeeds (its output lands in the capture file),
  // ecdsa fails and is made again, in the foreground, by setup_ssh.
  ed25519_made_ahead(sys, jobs);
  sys.exit_child(jobs.at("ecdsa").pid, 1);
  script_dropbearkey(sys, kHostEd);
  meta::Config c;
  auto s = setup_ssh(sys, sup, c, {}, &jobs);
  CHECK(jobs.empty());
  REQUIRE(s.host_keys.size() == 2);
  CHECK(s.host_keys[0].type == "ed25519");
  CHECK(s.host_keys[0].origin == "generated");
  CHECK(s.host_keys[1].type == "ecdsa");
  CHECK(s.host_keys[1].origin == "generated");
  REQUIRE(sys.spawns.size() == 3);  // ecdsa once more
  CHECK(sys.spawns[2].argv[2] == "ecdsa");
  REQUIRE(s.failures.size() == 1);
  CHECK(s.failures[0].find("ecdsa host key made ahead") == 0);
  CHECK_FALSE(sys.exists("/run/lifeboat/host-key-ed25519.out"));
}

TEST_CASE_FIXTURE(SshBoot, "ssh setup: Dropbear listens before the keys made ahead; one lost to Dropbear's own is kept") {
  meta::Config c;
  c.ssh_keys.push_back(meta::AuthorizedKey{kKey, meta::Source::cmdline});
  HostKeyJobs none;
  CHECK_FALSE(listen_before_keys(c, none));  // nothing being made: the keys are there
  auto jobs = start_host_keys(sys, sup);
  REQUIRE(jobs.size() == 2);
  CHECK(listen_before_keys(c, jobs));
  meta::Config provider = c;
  provider.host_keys.push_back(meta::HostKey{"ed25519", meta::Secret("-----BEGIN..."), meta::Source::config_drive});
  CHECK_FALSE(listen_before_keys(provider, jobs));  // it replaces a generated key: not before

  // Access first: authorized_keys is in place before Dropbear can take a login.
  SshSetup s = setup_ssh_access(sys, c);
  CHECK(s.authorized_keys == 1);
  CHECK(sys.exists("/root/.ssh/authorized_keys"));
  listen_with_keys_to_come(s);
  auto argv = dropbear_argv(s.dropbear);
  CHECK(argv == std::vector<std::string>{"/usr/sbin/dropbear", "-F", "-p", "22",
                                         "-r", "/etc/dropbear/dropbear_ed25519_host_key",
                                         "-r", "/etc/dropbear/dropbear_ecdsa_host_key", "-R", "-s", "-g"});

  // ed25519: made ahead. ecdsa: a client came first and Dropbear linked its own key into
  // place; dropbearkey failed to link over it. That key stays (a client may have it): its
  // public half is read, nothing is made again.
  ed25519_made_ahead(sys, jobs);
  sys.add_file("/etc/dropbear/dropbear_ecdsa_host_key", "dropbear's");
  sys.exit_child(jobs.at("ecdsa").pid, 1);
  script_dropbearkey(sys, kHostEd);
  collect_host_keys(sys, sup, c, {}, s, &jobs);
  CHECK(jobs.empty());
  REQUIRE(s.host_keys.size() == 2);
  CHECK(s.host_keys[1].type == "ecdsa");
  CHECK(s.host_keys[1].origin == "generated");
  CHECK(sys.files.at("/etc/dropbear/dropbear_ecdsa_host_key") == "dropbear's");
  REQUIRE(sys.spawns.size() == 3);  // the two jobs, then `dropbearkey -y` for ecdsa
  CHECK(sys.spawns[2].argv == std::vector<std::string>{"/usr/bin/dropbearkey", "-y", "-f",
                                                        "/etc/dropbear/dropbear_ecdsa_host_key"});
  CHECK(s.failures.empty());
  // Dropbear's options now name the keys collected, without -R (a restart by `ssh update`).
  argv = dropbear_argv(s.dropbear);
  CHECK(std::count(argv.begin(), argv.end(), "-r") == 2);
  CHECK(std::count(argv.begin(), argv.end(), "-R") == 0);
}

TEST_CASE_FIXTURE(SshBoot, "ssh setup: a key made again loses to Dropbear's own: that key stays") {
  const std::string ec = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg= root@lifeboat";
  SshSetupOptions o;
  o.key_types = {"ecdsa"};
  // dropbearkey -t ecdsa fails (its link() found Dropbear's key in place); -y reads that key.
  sys.script.push_back([&] {
    pid_t p = *sys.live.rbegin();
    sys.add_file("/etc/dropbear/dropbear_ecdsa_host_key", "dropbear's");
    sys.exit_child(p, 1);
  });
  script_dropbearkey(sys, ec);
  meta::Config c;
  auto s = setup_ssh(sys, sup, c, o);
  REQUIRE(s.host_keys.size() == 1);
  CHECK(s.host_keys[0].origin == "generated");
  CHECK(s.host_keys[0].public_line.rfind("ecdsa-sha2-nistp256 ", 0) == 0);
  CHECK(s.failures.empty());
  CHECK(sys.files.at("/etc/dropbear/dropbear_ecdsa_host_key") == "dropbear's");
  REQUIRE(sys.spawns.size() == 2);
  CHECK(sys.spawns[1].argv[1] == "-y");
}

TEST_CASE("ssh setup: labels") {
  CHECK(key_type_label("ssh-ed25519") == "ED25519");
  CHECK(key_type_label("ecdsa-sha2-nistp384") == "ECDSA");
  CHECK(key_type_label("ssh-rsa") == "RSA");
}

TEST_CASE("status: sections are rendered, kept on parse, and never shadow fixed fields") {
  BootStatus st;
  st.version = "x";
  st.set_section("ssh", "{\"port\":22}");
  st.set_section("network", "not json");
  st.set_section("steps", "{\"evil\":1}");
  st.set_section("ssh", "{\"port\":2222}");
  auto text = render_status_json(st);
  CHECK(text.find("\"port\": 2222") != std::string::npos);
  CHECK(text.find("network") == std::string::npos);
  CHECK(text.find("evil") == std::string::npos);
  Error err;
  auto back = parse_status_json(text, err);
  REQUIRE(back);
  REQUIRE(back->sections.size() == 1);
  CHECK(back->sections[0].first == "ssh");
  CHECK(back->sections[0].second == "{\"port\":2222}");
}

TEST_CASE("ssh: a port listening in /proc/net/tcp and tcp6") {
  const std::string tcp =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      "   0: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n"
      "   1: 0F02000A:0016 0202000A:C350 01 00000000:00000000 00:00000000 00000000     0        0 2 1\n";
  CHECK_FALSE(ssh::tcp_port_listening(tcp, 22));  // an established connection to it is not a listener
  CHECK(ssh::tcp_port_listening(tcp, 631));
  CHECK(ssh::tcp_port_listening(tcp + "   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3 1\n", 22));
  const std::string tcp6 =
      "  sl  local_address                         remote_address                        st\n"
      "   0: 00000000000000000000000000000000:08AE 00000000000000000000000000000000:0000 0A 0\n";
  CHECK(ssh::tcp_port_listening(tcp6, 2222));
  CHECK_FALSE(ssh::tcp_port_listening(tcp6, 174));  // 0x00AE: only the port's last digits match
  CHECK_FALSE(ssh::tcp_port_listening("", 22));
  CHECK_FALSE(ssh::tcp_port_listening("garbage\n: : :\n", 22));
}

TEST_CASE("ssh: inputs tell whether the final config changes what Dropbear started with") {
  meta::Config early;
  early.ssh_keys.push_back(meta::AuthorizedKey{kKey, meta::Source::cmdline});
  meta::Password pw;
  pw.kind = meta::PasswordKind::plaintext;
  pw.plaintext = meta::Secret("hunter2-secret");
  pw.source = meta::Source::config_drive;
  early.password = pw;
  meta::Config final_ = early;
  CHECK(ssh_inputs(early) == ssh_inputs(final_));
  // No secret in them.
  const auto in = ssh_inputs(early);
  CHECK(in.password == "config-2 plaintext");
  CHECK(in.authorized_keys.find("AAAAC3") != std::string::npos);

  final_.hostname = meta::Sourced<std::string>{"ip-10-0-0-5", meta::Source::imds};  // not Dropbear's business
  CHECK(ssh_inputs(early) == ssh_inputs(final_));
  final_.ssh_keys.push_back(meta::AuthorizedKey{
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINst5lMkZCvcx2510GASvUbnttpA2izRdE5m6fSge93Q imds", meta::Source::imds});
  CHECK_FALSE(ssh_inputs(early) == ssh_inputs(final_));
  meta::Config port = early;
  port.ssh_port = meta::Sourced<int>{2222, meta::Source::cmdline};
  CHECK_FALSE(ssh_inputs(early) == ssh_inputs(port));
  meta::Config other_pw = early;
  other_pw.password->source = meta::Source::imds;
  CHECK_FALSE(ssh_inputs(early) == ssh_inputs(other_pw));
  meta::Config host = early;
  host.host_keys.push_back(meta::HostKey{"ed25519", meta::Secret("-----BEGIN"), meta::Source::nocloud});
  CHECK(ssh_inputs(host).host_keys == std::vector<std::string>{"ed25519 nocloud"});
  CHECK_FALSE(ssh_inputs(early) == ssh_inputs(host));
}

TEST_CASE("provision: a Dropbear that dies at once ends the wait for it to listen") {
  test::FakeSys sys;
  sys.add_file("/etc/shadow", "root:*:::::::\n");
  Log log(sys);
  log.attach_console(1);
  BootStatus status;
  StepRunner steps(sys, log, status);
  Supervisor sup(sys, log);
  // dropbearkey prints a public key and exits; Dropbear exits 1 as soon as it starts.
  sys.on_spawn = [&](pid_t p, const sys::SpawnSpec& spec) {
    if (spec.argv[0] == "/usr/sbin/dropbear") sys.exit_child(p, 1);
  };
  script_dropbearkey(sys, kHostEd);
  src::Provision p;
  const auto t0 = sys.now_ms;
  steps.run_step("ssh", [&](StepContext& s) { src::start_ssh(sys, sup, log, steps, s, p); });
  CHECK(sys.now_ms - t0 < 100);  // not the whole 1.5 s
  REQUIRE_FALSE(status.steps.empty());
  CHECK(status.steps.back().detail.find("not seen listening yet") != std::string::npos);
  CHECK(sys.console_text().find("service dropbear: exit status 1; restarting in 500 ms") != std::string::npos);
  CHECK(sup.services().at(p.dropbear_service).pid == 0);  // restarted by the loop, with backoff
}
