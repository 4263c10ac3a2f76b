#include "sources/provision.h"

#include <fcntl.h>

#include <algorithm>

#include "config/cmdline.h"
#include "common/text.h"
#include "metadata/cmdline_source.h"
#include "metadata/configdrive.h"
#include "metadata/imds.h"
#include "metadata/merge.h"
#include "metadata/nocloud.h"
#include "ssh/keys.h"
#include "ssh/setup.h"

namespace lifeboat::src {

namespace {

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// Scans the block devices once; config-2 and NoCloud share the result. After
// read_metadata_drives() the child's findings are used instead.
const std::vector<BlockFs>& filesystems(sys::Sys& sys, Provision& p) {
  if (!p.filesystems) {
    if (p.drives) {
      p.filesystems = p.drives->filesystems;
      p.scan_problems = p.drives->problems;
    } else {
      p.filesystems = scan_block_filesystems(sys, p.probe, p.scan_problems);
    }
  }
  return *p.filesystems;
}

// What the child read from the filesystem labelled `label`, or a read in this process.
FilesRead read_drive(sys::Sys& sys, Provision& p, const BlockFs& fs, const std::string& label) {
  if (p.drives) {
    auto it = p.drives->reads.find(label);
    if (it != p.drives->reads.end()) {
      FilesRead r = std::move(it->second);
      p.drives->reads.erase(it);
      return r;
    }
    FilesRead r;
    r.error = "not read by the metadata child";
    return r;
  }
  return read_files_from(sys, fs, p.mount_dir + "/" + label, metadata_wants(label));
}

std::string no_label_reason(const Provision& p, const char* label) {
  std::string r = strformat("no filesystem labelled %s", label);
  if (!have_blkid()) r += " (libblkid not built in)";
  else if (p.filesystems) r += strformat(" among %zu", p.filesystems->size());
  return r;
}

// Turns a missing/oversized/unreadable file into an Error; returns its text if read.
std::optional<std::string> take(FilesRead& got, const std::string& path, const char* source, bool required,
                                Errors& errors) {
  auto it = got.files.find(path);
  if (it == got.files.end()) return std::nullopt;
  if (it->second.text) return std::move(it->second.text);
  if (it->second.problem != "missing" || required)
    errors.push_back(Error{source, path, it->second.problem == "missing" ? "missing (required)" : it->second.problem});
  return std::nullopt;
}

meta::Config merge_copy(const Provision& p) {
  std::vector<meta::PartialConfig> copy = p.partials;
  return meta::merge(std::move(copy));
}

// Waits (at most kListenWaitMs) until the service at `svc` listens on `port` (IPv4 or IPv6);
// returns how long that took, or -1 (not started, died, or not listening in time). Reaps
// as it waits: a Dropbear that exits at once (a bad key, a port in use) ends the wait, and
// its restart is booked as the loop would.
constexpr std::int64_t kListenWaitMs = 1500;
std::int64_t wait_listening(sys::Sys& sys, Supervisor& sup, std::size_t svc, int port) {
  const std::int64_t start = sys.monotonic_ms();
  while (sys.monotonic_ms() - start < kListenWaitMs) {
    (void)sup.reap();
    if (svc >= sup.services().size() || sup.services()[svc].pid == 0) return -1;
    for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
      auto text = sys.read_file(table, 1 << 20);
      if (text.ok() && ssh::tcp_port_listening(text.value, port)) return sys.monotonic_ms() - start;
    }
    sys.sleep_ms(5);
  }
  return -1;
}

// Dropbear's stderr is a pipe PID 1 reads into a bounded log: a client flood or a crash
// loop cannot fill /run. Made once; the write end stays open for Dropbear's whole life.
void open_dropbear_log(sys::Sys& sys, Supervisor& sup, Provision& p, ssh::SshSetup& s) {
  if (p.dropbear_log_fd >= 0) return;
  const auto slash = p.dropbear_log.rfind('/');
  if (slash != std::string::npos && slash > 0) (void)sys.mkdir_p(p.dropbear_log.substr(0, slash), 0755);
  auto pipe = sys.pipe();
  if (!pipe.ok()) {
    s.failures.push_back(p.dropbear_log + ": pipe: " + sys::error_text(pipe.err));
    return;
  }
  p.dropbear_log_read = pipe.value.first;
  p.dropbear_log_fd = pipe.value.second;
  p.dropbear_log_sink = std::make_unique<BoundedLog>(sys, p.dropbear_log);
  sup.watch(p.dropbear_log_read, [&sys, &p] {
    char buf[16384];
    for (int i = 0; i < 16; ++i) {  // at most 256 KiB per wake-up
      auto n = sys.read(p.dropbear_log_read, buf, sizeof buf);
      if (!n.ok() || n.value == 0) return;  // EAGAIN: drained (the write end never closes)
      p.dropbear_log_sink->write(std::string_view(buf, n.value));
    }
  });
}

// The step's line, and its result: failed only when Dropbear has no host key at all.
// listening_ms: how long Dropbear took to listen; -1 not seen listening; -2 not waited for
// (Dropbear kept running).
void ssh_step_note(StepContext& step, const ssh::SshSetup& s, std::int64_t listening_ms, const std::string& what) {
  std::string note = what + strformat("port %d, %s, %s, password %s", s.port,
                                      plural(s.host_keys.size(), "host key", "host keys").c_str(),
                                      plural(s.authorized_keys, "authorized key", "authorized keys").c_str(),
                                      s.password ? "yes" : "no");
  if (listening_ms >= 0) note += strformat(", listening after %lld ms", static_cast<long long>(listening_ms));
  else if (listening_ms == -1) note += ", not seen listening yet";
  if (!s.failures.empty()) {
    note += "; " + s.failures.front();
    if (s.host_keys.empty()) return step.fail(note);
  }
  step.note(note);
}

// Host key origins survive a second setup_ssh (its keys exist by then: "existing").
void keep_origins(ssh::SshSetup& now, const ssh::SshSetup& before) {
  for (auto& k : now.host_keys) {
    if (k.origin != "existing") continue;
    for (const auto& b : before.host_keys)
      if (b.path == k.path && b.public_line == k.public_line) k.origin = b.origin;
  }
}

}  // namespace

bool source_enabled(const std::optional<meta::SourceResult>& cmdline, meta::Source s) {
  std::vector<meta::Source> list = meta::default_datasources();
  if (cmdline && cmdline->config.datasources) list = *cmdline->config.datasources;
  return std::find(list.begin(), list.end(), s) != list.end();
}

std::string summarize(const meta::PartialConfig& c) {
  std::vector<std::string> parts;
  if (c.hostname) parts.push_back("hostname " + *c.hostname);
  if (c.password)
    parts.push_back(c.password->kind == meta::PasswordKind::hash ? "password hash" : "password");
  if (!c.ssh_keys.empty()) parts.push_back(plural(c.ssh_keys.size(), "key", "keys"));
  if (!c.host_keys.empty()) parts.push_back(plural(c.host_keys.size(), "host key", "host keys"));
  if (c.network) {
    if (c.network->interfaces.empty() && !c.network->auto_dhcp4) parts.push_back("network: off");
    else parts.push_back("network: " + plural(c.network->interfaces.size(), "interface", "interfaces"));
  }
  if (!c.dns.empty()) parts.push_back(plural(c.dns.size(), "nameserver", "nameservers"));
  if (c.instance_id) parts.push_back("instance id");
  if (c.ssh_port) parts.push_back("ssh port " + std::to_string(*c.ssh_port));
  if (c.datasources) parts.push_back("datasources limited");
  if (c.nocloud_seed) parts.push_back("ds=" + c.nocloud_seed->mode);
  if (parts.empty()) return "nothing";
  std::string out;
  for (const auto& s : parts) out += (out.empty() ? "" : ", ") + s;
  return out;
}

void source_cmdline(sys::Sys& sys, StepRunner& steps, StepContext& step, Provision& p) {
  auto cmdline = read_cmdline(sys, p.proc_cmdline);
  if (!cmdline.ok()) return step.fail(p.proc_cmdline + ": " + sys::error_text(cmdline.err));
  p.cmdline = meta::config_from_cmdline(cmdline.value);
  steps.report_errors(p.cmdline->errors);
  p.partials.push_back(p.cmdline->config);
  p.cmdline->config.password.reset();  // only the datasource list and ds= are needed from here
  p.cmdline->config.host_keys.clear();
  std::string note = summarize(p.cmdline->config);
  if (!source_enabled(p.cmdline, meta::Source::cmdline)) note += " (only the datasource, port and ds= count)";
  step.note(note);
}

void read_metadata_drives(sys::Sys& sys, Supervisor& sup, StepContext& step, Provision& p, const std::string& exe) {
  std::string listing_problem;
  if (block_candidates(sys, listing_problem).empty() && listing_problem.empty()) {
    p.drives = DrivesRead{};
    return step.note("0 filesystems (no block device)");
  }
  RunSpec rs;
  rs.argv = {exe, "__metadata"};
  if (source_enabled(p.cmdline, meta::Source::config_drive)) rs.argv.push_back("config-2");
  if (source_enabled(p.cmdline, meta::Source::nocloud)) rs.argv.push_back("cidata");
  rs.timeout_ms = kMetadataChildTimeoutMs;
  rs.capture = Capture::string;
  rs.capture_limit = 8 << 20;
  RunResult rr = sup.run(rs);
  DrivesRead d;
  std::string error;
  const bool parsed = rr.ok() && drives_from_json(rr.output, d, error);
  meta::wipe(rr.output);  // admin_pass may be in there
  if (!parsed) {
    // No drive could be read: the sources report "no filesystem labelled ...".
    p.drives = DrivesRead{};
    p.drives->problems = "metadata child: " + (rr.ok() ? error : rr.describe());
    return step.fail(p.drives->problems);
  }
  p.drives = std::move(d);
  std::string note = plural(p.drives->filesystems.size(), "filesystem", "filesystems");
  for (const auto& [label, fs] : p.drives->found) note += ", " + label + " on " + fs.device;
  if (!p.drives->problems.empty()) note += "; " + p.drives->problems;
  step.note(note);
}

void source_config_drive(sys::Sys& sys, StepRunner& steps, StepContext& step, Provision& p) {
  if (!source_enabled(p.cmdline, meta::Source::config_drive)) return step.skip("not in lifeboat.datasource");
  auto fs = find_by_label(filesystems(sys, p), {"config-2"});
  if (!fs) return step.skip(no_label_reason(p, "config-2"));
  FilesRead got = read_drive(sys, p, *fs, "config-2");
  if (!got.mounted) return step.fail(got.error);
  Errors errors;
  auto md = take(got, meta::kMetaDataJson, "config-2", true, errors);
  auto nd = take(got, meta::kNetworkDataJson, "config-2", false, errors);
  meta::SourceResult r = meta::config_drive_config(md ? std::optional<std::string_view>(*md) : std::nullopt,
                                                   nd ? std::optional<std::string_view>(*nd) : std::nullopt);
  if (md) meta::wipe(*md);  // admin_pass was in there
  errors.insert(errors.end(), r.errors.begin(), r.errors.end());
  steps.report_errors(errors);
  p.partials.push_back(std::move(r.config));
  std::string note = fs->device + " (" + fs->type + "): " + summarize(p.partials.back());
  if (!got.unmount_error.empty()) note += "; " + got.unmount_error;
  step.note(note);
}

void source_nocloud(sys::Sys& sys, StepRunner& steps, StepContext& step, Provision& p) {
  if (!source_enabled(p.cmdline, meta::Source::nocloud)) return step.skip("not in lifeboat.datasource");
  const std::vector<FileWant> want = metadata_wants("cidata");
  std::optional<meta::NocloudSeed> seed;
  if (p.cmdline) seed = p.cmdline->config.nocloud_seed;
  FilesRead got;
  std::string where;
  if (seed && seed->is_remote()) {
    steps.report_error(Error{"nocloud", "ds", "remote seeds (" + seed->mode + ") are not supported; only a local s=/path/ or a cidata filesystem"});
    return step.skip("remote seed not supported");
  }
  if (seed && !seed->url.empty()) {
    where = seed->url;
    got = read_files_in_dir(sys, seed->url, want);
  } else {
    auto fs = find_by_label(filesystems(sys, p), {"cidata"});
    if (!fs) return step.skip(no_label_reason(p, "cidata"));
    where = fs->device + " (" + fs->type + ")";
    got = read_drive(sys, p, *fs, "cidata");
    if (!got.mounted) return step.fail(got.error);
  }
  Errors errors;
  auto md = take(got, "meta-data", "nocloud", true, errors);
  auto ud = take(got, "user-data", "nocloud", true, errors);
  auto nc = take(got, "network-config", "nocloud", false, errors);
  if (!md && !ud && !nc) {
    steps.report_errors(errors);
    return step.fail(where + ": no meta-data, user-data or network-config");
  }
  meta::SourceResult r = meta::nocloud_config(md ? *md : std::string(), ud ? *ud : std::string(),
                                              nc ? std::optional<std::string_view>(*nc) : std::nullopt);
  if (ud) meta::wipe(*ud);  // chpasswd/password were in there
  errors.insert(errors.end(), r.errors.begin(), r.errors.end());
  steps.report_errors(errors);
  p.partials.push_back(std::move(r.config));
  std::string note = where + ": " + summarize(p.partials.back());
  if (!got.unmount_error.empty()) note += "; " + got.unmount_error;
  step.note(note);
}

void network(sys::Sys& sys, Supervisor& sup, Log& log, StepRunner& steps, StepContext& step, Provision& p,
             const std::function<void()>& while_dhcp) {
  meta::Config config = merge_copy(p);
  bool ran = false;
  net::ApplyOptions options = p.net_options;  // the hook refers to this frame: not kept in p
  if (while_dhcp) {
    options.while_dhcp = [&] {
      ran = true;
      while_dhcp();
    };
  }
  p.net = net::bring_up_network(sys, sup, config, options);
  if (while_dhcp && !ran) while_dhcp();
  p.network_done = true;
  steps.report_errors(p.net.errors);
  steps.status().set_section("network", net::network_json(p.net, config));
  for (const auto& i : p.net.interfaces) log.line("net: " + net::interface_line(i));
  if (p.net.interfaces.empty()) return step.skip("no network interface");
  std::size_t with_address = 0;
  for (const auto& i : p.net.interfaces)
    if (!i.addresses.empty()) ++with_address;
  std::string note = strformat("%zu of %s configured", with_address,
                               plural(p.net.interfaces.size(), "interface", "interfaces").c_str());
  if (p.net.dhcp_ms > 0) note += strformat(", dhcp %lld ms", static_cast<long long>(p.net.dhcp_ms));
  if (!p.net.failures.empty()) {
    note += "; " + p.net.failures.front();
    if (p.net.failures.size() > 1) note += strformat(" (+%zu more)", p.net.failures.size() - 1);
    if (with_address == 0) return step.fail(note);
  }
  step.note(note);
}

void source_imds(sys::Sys& sys, StepRunner& steps, StepContext& step, Provision& p) {
  if (!source_enabled(p.cmdline, meta::Source::imds)) return step.skip("not in lifeboat.datasource");
  bool have_address = std::any_of(p.net.interfaces.begin(), p.net.interfaces.end(),
                                  [](const net::InterfaceReport& i) { return !i.addresses.empty(); });
  if (!have_address) return step.skip("no network address");
  std::unique_ptr<HttpTransport> t =
      p.imds_transport ? p.imds_transport() : std::make_unique<SocketTransport>(sys, meta::kImdsAddress, meta::kImdsPort);
  ImdsOutcome o = fetch_imds(sys, *t, 2);
  if (o.kind == ImdsOutcome::Kind::not_imds) return step.skip("not on EC2 (" + o.detail + ")");
  steps.report_errors(o.errors);
  if (o.kind == ImdsOutcome::Kind::failed) return step.fail(o.detail);
  meta::SourceResult r = meta::imds_config(o.data);
  steps.report_errors(r.errors);
  p.partials.push_back(std::move(r.config));
  step.note(strformat("%s:%d: ", meta::kImdsAddress, meta::kImdsPort) + summarize(p.partials.back()));
}

void finish_config(sys::Sys& sys, StepRunner& steps, StepContext& step, Provision& p) {
  p.config = meta::merge(std::move(p.partials));
  p.partials.clear();  // their Secrets are wiped as they go
  p.config_done = true;
  steps.status().set_section("config", meta::render_provenance_json(p.config));

  // Provider randomness, mixed in without crediting it.
  if (!p.config.random_seed.empty()) {
    auto fd = sys.open("/dev/urandom", O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd.ok()) {
      auto st = sys.write_all(fd.value, p.config.random_seed);
      auto cl = sys.close(fd.value);
      if (!st.ok() || !cl.ok())
        steps.report_error(Error{"init", "random_seed", "cannot write /dev/urandom", Severity::warning});
    }
    meta::wipe(p.config.random_seed);
  }

  // A hostname that only IMDS knew arrives after the network step set the others.
  if (p.config.hostname && p.config.hostname->value != p.net.hostname &&
      p.config.hostname->source == meta::Source::imds) {
    auto st = sys.sethostname(p.config.hostname->value);
    if (st.ok()) st = sys.write_file_atomic(p.net_options.hostname_file, p.config.hostname->value + "\n", 0644);
    if (!st.ok())
      steps.report_error(Error{"init", "hostname", std::string("cannot set it: ") + sys::error_text(st.err)});
  }

  std::vector<std::string> parts;
  if (p.config.hostname)
    parts.push_back("hostname " + p.config.hostname->value + " (" + meta::to_string(p.config.hostname->source) + ")");
  if (p.config.password) parts.push_back(std::string("password (") + meta::to_string(p.config.password->source) + ")");
  if (!p.config.ssh_keys.empty()) {
    std::vector<std::string> srcs;
    for (const auto& k : p.config.ssh_keys) {
      std::string s = meta::to_string(k.source);
      if (std::find(srcs.begin(), srcs.end(), s) == srcs.end()) srcs.push_back(s);
    }
    std::string joined;
    for (const auto& s : srcs) joined += (joined.empty() ? "" : ", ") + s;
    parts.push_back(plural(p.config.ssh_keys.size(), "key", "keys") + " (" + joined + ")");
  }
  if (p.config.network) parts.push_back(std::string("network (") + meta::to_string(p.config.network->source) + ")");
  std::string note;
  for (const auto& s : parts) note += (note.empty() ? "" : ", ") + s;
  step.note(note.empty() ? "no provider configuration" : note);
}

void start_host_keys(sys::Sys& sys, Supervisor& sup, StepContext& step, Provision& p) {
  p.host_key_jobs = ssh::start_host_keys(sys, sup);
  if (p.host_key_jobs.empty()) return step.skip("none to make (or dropbearkey cannot start: the ssh step retries)");
  std::string types;
  for (const auto& [type, job] : p.host_key_jobs) types += (types.empty() ? "" : ", ") + type;
  step.note(types + " started");
}

void start_ssh(sys::Sys& sys, Supervisor& sup, Log& log, StepRunner& steps, StepContext& step, Provision& p) {
  // Before the network: the config read so far. (Its plaintext password, if any, is a copy,
  // hashed and wiped here; the sources' own copies go with finish_config.)
  meta::Config config = p.config_done ? p.config : merge_copy(p);
  const ssh::SshInputs inputs = ssh::ssh_inputs(config);
  ssh::SshSetup s = ssh::setup_ssh_access(sys, config);
  open_dropbear_log(sys, sup, p, s);
  // Started now, not with the consoles after `ready`, and waited for until it listens: on one
  // vCPU the status, the consoles and the disk work would otherwise delay its first accept
  // (measured: ~0.1 s after `ready`); this way they run while a client does its part of the
  // key exchange. Before the host keys are ready when they are all being made (-R:
  // ssh/setup.h), else with them.
  std::int64_t listening_ms = -1;
  auto start_dropbear = [&] {
    p.dropbear_service = sup.add_service(ssh::dropbear_service(s, p.dropbear_log_fd));
    sup.start_now(p.dropbear_service);
    listening_ms = wait_listening(sys, sup, p.dropbear_service, s.port);
  };
  const bool early = ssh::listen_before_keys(config, p.host_key_jobs);
  if (early) {
    ssh::listen_with_keys_to_come(s);
    start_dropbear();
  }
  ssh::collect_host_keys(sys, sup, config, {}, s, &p.host_key_jobs);
  steps.report_errors(s.errors);
  for (const auto& k : s.host_keys) log.line("ssh: " + ssh::host_key_line(k));
  if (!early) start_dropbear();
  log.line("ssh: " + ssh::listening_line(s));
  steps.status().set_section("ssh", ssh::ssh_json(s));
  ssh_step_note(step, s, listening_ms, "");
  p.ssh_inputs = inputs;
  p.ssh = std::move(s);
}

void update_ssh(sys::Sys& sys, Supervisor& sup, Log& log, StepRunner& steps, StepContext& step, Provision& p) {
  if (!p.config_done) finish_config(sys, steps, step, p);
  const ssh::SshInputs final_inputs = ssh::ssh_inputs(p.config);
  ssh::SshInputs keys_aside = final_inputs;
  if (p.ssh_inputs) keys_aside.authorized_keys = p.ssh_inputs->authorized_keys;
  auto publish = [&](ssh::SshSetup s, std::int64_t listening_ms, const std::string& what) {
    log.line("ssh: " + ssh::listening_line(s));
    steps.status().set_section("ssh", ssh::ssh_json(s));
    ssh_step_note(step, s, listening_ms, what);
    p.ssh_inputs = final_inputs;
    p.ssh = std::move(s);
  };
  if (!p.ssh_inputs || !p.ssh) {
    start_ssh(sys, sup, log, steps, step, p);  // the early start did not happen
  } else if (final_inputs == *p.ssh_inputs) {
    step.note("unchanged");
  } else if (keys_aside == *p.ssh_inputs) {
    // Only keys were added (what IMDS gives): the file alone; Dropbear reads it at each login.
    ssh::SshSetup s = *p.ssh;
    s.failures.clear();
    s.errors.clear();
    ssh::write_authorized_keys(sys, p.config, {}, s);
    publish(std::move(s), -2, "files rewritten; ");
  } else {
    ssh::SshSetup s = ssh::setup_ssh(sys, sup, p.config, {}, &p.host_key_jobs);
    steps.report_errors(s.errors);
    keep_origins(s, *p.ssh);
    for (const auto& k : s.host_keys) {
      const bool known = std::any_of(p.ssh->host_keys.begin(), p.ssh->host_keys.end(), [&k](const ssh::HostKeyInfo& b) {
        return b.public_line == k.public_line;
      });
      if (!known) log.line("ssh: " + ssh::host_key_line(k));
    }
    std::int64_t listening_ms = -2;  // not restarted
    ServiceSpec spec = ssh::dropbear_service(s, p.dropbear_log_fd);
    const bool same_argv = p.dropbear_service < sup.services().size() &&
                           sup.services()[p.dropbear_service].spec.spawn.argv == spec.spawn.argv;
    std::string what = "files rewritten; ";
    if (!same_argv) {
      if (sup.replace_service(p.dropbear_service, std::move(spec))) {
        listening_ms = wait_listening(sys, sup, p.dropbear_service, s.port);
        what = "restarted; ";
      } else {
        s.failures.push_back("Dropbear could not be restarted with the final settings");
      }
    }
    publish(std::move(s), listening_ms, what);
  }
  if (p.config.password) p.config.password->plaintext.clear();  // hashed (a copy of it) by now
  if (p.ssh && !p.ssh->host_keys.empty()) {
    std::string ip = net::first_ipv4(p.net);
    std::string target = ip.empty() ? "<address>" : ip;
    if (p.ssh->port != meta::kDefaultSshPort) target = "'[" + target + "]:" + std::to_string(p.ssh->port) + "'";
    log.line("ssh: if your client warns that the host key changed: ssh-keygen -R " + target);
  }
}

}  // namespace lifeboat::src
