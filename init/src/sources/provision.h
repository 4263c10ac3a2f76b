#pragma once
// The provisioning part of the boot, one function per step (main.cpp calls them in order):
//
//   metadata cmdline    /proc/cmdline            -> partial config
//   metadata config-2   LABEL=config-2 (libblkid), mounted read-only, two JSON files
//   metadata nocloud    LABEL=cidata|CIDATA or ds=nocloud;s=/path/: meta-data, user-data,
//                       network-config
//   network             merge so far -> net::bring_up_network (links, ip, DHCP, resolv.conf);
//   ssh                   while the DHCP client waits: merge so far -> host keys, root
//                         password, authorized_keys, Dropbear as a service (it listens
//                         when the address comes)
//   metadata imds       EC2 IMDSv2, only once the network is up
//   metadata            the final merge; provenance into status.json; random seed; hostname
//   ssh update          the final merge against what Dropbear started with: the files are
//                       rewritten if IMDS added keys or a password, Dropbear restarted only
//                       if its command line changes (port, password login, host keys)
//
// Every source reports its parser errors through StepRunner::report_errors (console line
// "lifeboat: error: <source>: <field>: <message>" + status.json) and never stops the boot.
// lifeboat.datasource= turns sources off (their step says "skipped").
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/cmdline.h"
#include "boot/log.h"
#include "model/model.h"
#include "net/apply.h"
#include "report/step_runner.h"
#include "common/bounded_log.h"
#include "sources/blockdev.h"
#include "sources/drives_child.h"
#include "sources/imds_client.h"
#include "ssh/setup.h"
#include "supervise/supervisor.h"
#include "sys/sys.h"

namespace lifeboat::src {

struct Provision {
  // Seams for tests.
  Prober probe = blkid_prober();
  std::function<std::unique_ptr<HttpTransport>()> imds_transport;  // default: SocketTransport
  net::ApplyOptions net_options;
  std::string proc_cmdline = kProcCmdline;
  std::string mount_dir = "/run/lifeboat/mnt";
  std::string dropbear_log = "/run/lifeboat/dropbear.log";

  // What the steps found.
  std::optional<meta::SourceResult> cmdline;
  std::vector<meta::PartialConfig> partials;  // every source that produced something
  std::optional<std::vector<BlockFs>> filesystems;
  std::string scan_problems;
  bool network_done = false;
  net::NetResult net;
  meta::Config config;  // after finish_config()
  bool config_done = false;
  // What `init __metadata` found and read (sources/drives_child.h), when it ran.
  std::optional<DrivesRead> drives;
  int dropbear_log_fd = -1;  // the write end of Dropbear's log pipe, kept open for its whole life
  int dropbear_log_read = -1;
  std::unique_ptr<BoundedLog> dropbear_log_sink;  // dropbear.log: first 1 MiB + the newest 1-2 MiB
  ssh::HostKeyJobs host_key_jobs;  // started by start_host_keys, collected by start_ssh
  // What the early Dropbear was started with (start_ssh), for update_ssh.
  std::optional<ssh::SshInputs> ssh_inputs;
  std::optional<ssh::SshSetup> ssh;
  std::size_t dropbear_service = static_cast<std::size_t>(-1);
};

void source_cmdline(sys::Sys& sys, StepRunner& steps, StepContext& step, Provision& p);
// Runs `init __metadata` (the labels of the enabled sources) with a time limit; fills
// p.drives. Without it (unit tests) the sources probe and mount in this process.
// With no block device worth a look, no child: nothing to read.
void read_metadata_drives(sys::Sys& sys, Supervisor& sup, StepContext& step, Provision& p,
                          const std::string& exe = "/init");
void source_config_drive(sys::Sys& sys, StepRunner& steps, StepContext& step, Provision& p);
void source_nocloud(sys::Sys& sys, StepRunner& steps, StepContext& step, Provision& p);
// `while_dhcp` runs while the DHCP clients wait for their leases, or after the setup when
// no link uses DHCP.
void network(sys::Sys& sys, Supervisor& sup, Log& log, StepRunner& steps, StepContext& step, Provision& p,
             const std::function<void()>& while_dhcp = {});
void source_imds(sys::Sys& sys, StepRunner& steps, StepContext& step, Provision& p);
void finish_config(sys::Sys& sys, StepRunner& steps, StepContext& step, Provision& p);
// Starts making the missing host keys in the background (ssh/setup.h: start_host_keys).
void start_host_keys(sys::Sys& sys, Supervisor& sup, StepContext& step, Provision& p);
// Dropbear with the config merged so far (the final one when finish_config already ran).
void start_ssh(sys::Sys& sys, Supervisor& sup, Log& log, StepRunner& steps, StepContext& step, Provision& p);
// After finish_config: brings Dropbear's files and command line to the final config
// (start_ssh's work if Dropbear did not start yet); prints how to forget an old host key.
void update_ssh(sys::Sys& sys, Supervisor& sup, Log& log, StepRunner& steps, StepContext& step, Provision& p);

// ---- pure helpers ---------------------------------------------------------------------

// "hostname, password hash, 2 keys, network: 1 interface, 1 nameserver" / "nothing".
// Never shows a value that could be secret.
std::string summarize(const meta::PartialConfig& c);

// Whether lifeboat.datasource= (in the command line partial, if any) allows `s`.
bool source_enabled(const std::optional<meta::SourceResult>& cmdline, meta::Source s);

}  // namespace lifeboat::src
