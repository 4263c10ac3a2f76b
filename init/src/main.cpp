// lifeboat's init: PID 1 of the rescue initramfs, and the `rescue` command.
//
// Multi-call: as PID 1 (whatever argv[0] says: PID 1 must never exit) it boots the rescue
// system and supervises it forever; under any other PID it is `rescue` (cli/rescue.h).
#include <sys/reboot.h>
#include <csignal>
#include <ctime>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/cmdline.h"
#include "supervise/consoles.h"
#include "boot/log.h"
#include "boot/modules.h"
#include "boot/mounts.h"
#include "boot/system_setup.h"
#include "boot/tools.h"
#include "cli/rescue.h"
#include "cli/summary.h"
#include "common/text.h"
#include "common/version.h"
#include "config/boot_options.h"
#include "boot/power_button.h"
#include "disks/stack.h"
#include "disks/worker.h"
#include "net/dhcp_event.h"
#include "net/ifconfig.h"
#include "report/services.h"
#include "report/status.h"
#include "report/step_runner.h"
#include "sources/drives_child.h"
#include "sources/provision.h"
#include "supervise/shutdown.h"
#include "supervise/supervisor.h"
#include "sys/real_sys.h"

using namespace lifeboat;

namespace {

// Throws std::runtime_error("<what>: <strerror>") for a failed syscall result.
void check(const sys::Status& st, const char* what) {
  if (!st.ok()) throw std::runtime_error(strformat("%s: %s", what, sys::error_text(st.err)));
}

// status.json and the login summary (motd), from one rendering of the status.
sys::Status write_status_and_motd(sys::Sys& sys, const BootStatus& status) {
  const nlohmann::json doc = status_document(status);
  auto st = write_status_text(sys, run_dir(), status_text(doc));
  if (!st.ok()) return st;
  return sys.write_file_atomic(run_dir() + "/motd", render_summary(doc), 0644);
}

// The power button: a press requests the same clean poweroff as `poweroff`.
void watch_power_buttons(sys::Sys& sys, Log& log, Supervisor& sup, StepContext& s) {
  std::vector<std::string> names, problems;
  for (int fd : open_power_buttons(sys, names, problems)) {
    sup.watch(fd, [&sys, &log, &sup, fd] {
      char buf[24 * 16];
      for (;;) {
        auto n = sys.read(fd, buf, sizeof buf);
        if (!n.ok() || n.value == 0) return;
        if (power_key_pressed(std::string_view(buf, n.value))) {
          log.line("power button pressed: powering off");
          sup.request_shutdown(ShutdownKind::poweroff);
        }
      }
    });
  }
  if (names.empty()) return s.skip(problems.empty() ? "no power button input device" : problems.front());
  std::string note;
  for (const auto& n : names) note += (note.empty() ? "" : ", ") + n;
  if (!problems.empty()) note += "; " + problems.front();
  s.note(note);
}

// `prov` outlives the boot: Dropbear's log pipe is read from it for PID 1's whole life.
void boot(sys::Sys& sys, Log& log, StepRunner& steps, Supervisor& sup, BootOptions& opts, src::Provision& prov) {
  steps.run_step("signals", [&](StepContext&) {
    check(sys.block_all_signals(), "signalfd");
    check(sys.reboot(RB_DISABLE_CAD), "reboot(RB_DISABLE_CAD)");  // ctrl-alt-del -> SIGINT
  });
  steps.run_step("mounts", [&](StepContext& s) {
    std::string failed;
    for (const auto& m : do_early_mounts(sys))
      if (!m.ok) failed += strformat("%s%s: %s", failed.empty() ? "" : ", ", m.target.c_str(), sys::error_text(m.err));
    auto created = ensure_device_nodes(sys);
    log.attach_console(ensure_console_fds(sys));
    if (!failed.empty()) s.fail(failed);
    else if (!created.empty()) s.note("created " + created.front() + (created.size() > 1 ? " and more" : ""));
  });
  steps.run_step("cmdline", [&](StepContext& s) {
    auto cmdline = read_cmdline(sys);
    check(sys::Status{0, cmdline.err}, kProcCmdline);
    auto parsed = parse_boot_options(cmdline.value);
    opts = parsed.options;
    steps.report_errors(parsed.errors);
    if (!parsed.errors.empty()) s.note(strformat("%zu problem(s), defaults kept", parsed.errors.size()));
  });
  steps.run_step("logging", [&](StepContext& s) {
    log.set_debug(opts.debug);
    if (opts.kernel_verbose || opts.debug) s.note("console loglevel left alone");
    else check(quiet_console_loglevel(sys), "/proc/sys/kernel/printk");
    (void)unlimit_kmsg(sys);  // refused only when the command line chose (printk.devkmsg=)
    bool kmsg = log.attach_kmsg();
    log.end_early();
    if (!kmsg) s.fail("/dev/kmsg: cannot open");
  });
  steps.run_step("hostname", [&](StepContext& s) { s.note(set_hostname(sys, opts.hostname)); });
  steps.run_step("rng", [&](StepContext& s) { s.note(seed_rng(sys)); });
  // The tools squashfs: before the modules on a stock kernel, whose modules ride in it;
  // with our own kernel (no modules) in the DHCP wait below, off the way to the address
  // (measured under TCG, 1 vCPU: DHCP starts ~20 ms sooner).
  auto tools = [&] {
    steps.run_step("tools", [&](StepContext& s) {
      auto t = mount_tools(sys, log);
      if (t.absent) return s.skip(t.note);
      if (!t.mounted) return s.fail(t.note + " (fsck, LVM, scp and the like are missing)");
      s.note(t.note);
    });
  };
  const bool modules_in_tools = has_module_tree(sys);
  if (modules_in_tools) tools();
  steps.run_step("modules", [&](StepContext& s) {
    std::string skipped;
    auto stats = coldplug_modules(sys, log, ColdplugOptions{}, skipped);
    if (!skipped.empty()) return s.skip(skipped);
    s.note(stats.summary());
  });
  steps.run_step("power button", [&](StepContext& s) { watch_power_buttons(sys, log, sup, s); });
  // Provider metadata, the network, SSH (sources/provision.h): each source is read and
  // parsed in its own step; IMDS needs the network; the final merge feeds SSH.
  steps.run_step("metadata cmdline", [&](StepContext& s) { src::source_cmdline(sys, steps, s, prov); });
  steps.run_step("metadata drives", [&](StepContext& s) { src::read_metadata_drives(sys, sup, s, prov); });
  steps.run_step("metadata config-2", [&](StepContext& s) { src::source_config_drive(sys, steps, s, prov); });
  steps.run_step("metadata nocloud", [&](StepContext& s) { src::source_nocloud(sys, steps, s, prov); });
  // While the DHCP client waits on the network (measured under TCG, 1 vCPU: DHCP starts
  // ~60 ms sooner than with these steps ahead of it and the address comes 7-36 ms sooner;
  // the first login moved less than the benchmark's noise): the host keys are made (after
  // the modules: a busy vCPU slows module loading on stock kernels more than it gains) and
  // Dropbear starts with the keys known so far (IMDS may add some: `ssh update`), listening
  // when the address comes, before the keys are made (ssh/setup.h); then, with our own
  // kernel, the tools. Run once, and after the network step if that step failed before it
  // got there: SSH and the tools are never skipped.
  bool meanwhile_ran = false;
  auto meanwhile = [&] {
    if (std::exchange(meanwhile_ran, true)) return;
    steps.run_step("host keys", [&](StepContext& s) { src::start_host_keys(sys, sup, s, prov); });
    steps.run_step("ssh", [&](StepContext& s) { src::start_ssh(sys, sup, log, steps, s, prov); });
    if (!modules_in_tools) tools();  // scp and sftp-server are in it
    steps.run_step("loopback", [&](StepContext& s) { s.note(net::loopback_up(sys)); });
  };
  steps.run_step("network", [&](StepContext& s) { src::network(sys, sup, log, steps, s, prov, meanwhile); });
  meanwhile();
  steps.run_step("metadata imds", [&](StepContext& s) { src::source_imds(sys, steps, s, prov); });
  steps.run_step("metadata", [&](StepContext& s) { src::finish_config(sys, steps, s, prov); });
  steps.run_step("ssh update", [&](StepContext& s) { src::update_ssh(sys, sup, log, steps, s, prov); });
  steps.run_step("consoles", [&](StepContext& s) {
    s.note(register_console_services(sys, sup, opts.console));  // started after `ready`
  });
  // Guest disks (disks/worker.h): after `ready`, in a child; PID 1 never opens them.
}


// Last resort if anything ever calls std::terminate in PID 1 (whose death panics the
// kernel): say so, then only reap and honour the shutdown signals (BusyBox meanings, as in
// supervise/supervisor.h): every process is stopped, filesystems synced and the machine
// powered off or rebooted. Raw syscalls: nothing here may allocate or throw.
[[noreturn]] void pid1_terminate() noexcept {
  static const char msg[] = "lifeboat: fatal: std::terminate in PID 1; only reaping and shutdown signals from now on\n";
  (void)!::write(2, msg, sizeof msg - 1);
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, nullptr);
  const struct timespec tick = {1, 0};
  for (;;) {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    const int sig = ::sigtimedwait(&all, nullptr, &tick);
    const int cmd = sig == SIGUSR2 ? RB_POWER_OFF : sig == SIGUSR1 ? RB_HALT_SYSTEM
                  : (sig == SIGTERM || sig == SIGINT) ? RB_AUTOBOOT : 0;
    if (cmd == 0) continue;
    ::kill(-1, SIGTERM);
    ::sleep(2);
    ::kill(-1, SIGKILL);
    ::sync();
    ::reboot(cmd);
  }
}

[[noreturn]] void pid1_main(sys::Sys& sys) noexcept {
  std::set_terminate(pid1_terminate);
  Log log(sys);
  log.attach_console(sys.fd_is_open(2) ? 2 : -1);
  BootStatus status;
  StepRunner steps(sys, log, status);
  Supervisor sup(sys, log);
  BootOptions opts;
  src::Provision prov;  // lives as long as PID 1 (watched fds refer to it)
  try {
    status.version = version();
    log.info("lifeboat %s starting", version());
    sup.set_shutdown_handler([&](ShutdownKind k) {
      execute_shutdown(sys, log, sup, k, [&] {
        for (const auto& p : disks::take_down_stacks(sys, disks::supervisor_runner(sup))) log.info("shutdown: %s", p.c_str());
      });
    });
    boot(sys, log, steps, sup, opts, prov);
  } catch (const std::exception& e) {
    steps.report_error(Error{"init", "boot", e.what(), Severity::error});
  } catch (...) {
    steps.report_error(Error{"init", "boot", "unexpected exception", Severity::error});
  }
  try {
    // Whatever failed, the console gets a shell (Dropbear alone is not enough).
    bool has_console = std::any_of(sup.services().begin(), sup.services().end(), [](const ServiceState& st) {
      return st.spec.name.starts_with("shell@") || st.spec.name.starts_with("getty@");
    });
    if (!has_console)
      sup.add_service(ServiceSpec{"shell@console", console_command({"/dev/console", "linux"}, ConsoleMode::shell).spawn, {}});
    steps.run_step("status", [&](StepContext&) {
      status.boot_ms = sys.monotonic_ms();
      status.set_section("services", services_json(sup.services()));
      // The summary every login shows: consoles through /etc/profile, SSH through
      // Dropbear's /etc/motd (a link to this file).
      check(write_status_and_motd(sys, status), "write status.json and motd");
    });
  } catch (...) {
    log.line("error: init: services: unexpected exception");
  }
  // status.json and the login summary, rewritten whenever a service or the disk work
  // changes (PID 1 is their only writer).
  auto publish = [&]() {
    try {
      status.set_section("services", services_json(sup.services()));
      if (!write_status_and_motd(sys, status).ok()) log.debug("status.json: rewrite failed");
    } catch (...) {
    }
  };
  // `ready`: SSH and the consoles are up (the console shells, and their prompts, start
  // right after this line). The disk work follows in the background.
  log.line("ready");
  sup.start_services();
  sup.set_on_change(publish);
  disks::DiskWork disk_work(sys, sup, log, status, publish);
  if (sup.pending_shutdown() == ShutdownKind::none) disk_work.start("/init", log.console_fd());
  sup.run_forever();
}

}  // namespace

int main(int argc, char** argv) {
  sys::RealSys sys;
  if (sys.getpid() == 1) pid1_main(sys);  // never returns
  try {
    // The kernel's module helper (boot/modules.h): `/usr/lib/lifeboat/modprobe -q -- NAME`.
    if (argc > 0 && std::string_view(argv[0]) == kModprobeHelper)
      return kernel_modprobe(sys, std::vector<std::string>(argv + 1, argv + argc));
    // udhcpc's event script (net/dhcp_event.h): `/usr/lib/lifeboat/dhcp-event EVENT`.
    if (argc > 0 && std::string_view(argv[0]) == net::kDhcpEventHandler) {
      std::map<std::string, std::string> env;
      for (char** e = environ; e && *e; ++e) {
        std::string_view kv(*e);
        if (auto eq = kv.find('='); eq != std::string_view::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
      }
      return net::run_dhcp_event(sys, std::vector<std::string>(argv + 1, argv + argc), env);
    }
    std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    // Internal: the disk work PID 1 starts after `ready` (disks/worker.h).
    if (args.size() == 1 && args[0] == "__disks") return disks::run_disks_worker(sys);
    if (args.size() == 2 && args[0] == "__probe") return disks::run_probe_child(sys, args[1]);
    if (args.size() == 2 && args[0] == "__blkid") return src::run_blkid_child(sys, args[1]);
    if (!args.empty() && args[0] == "__metadata")
      return src::run_metadata_child(sys, std::vector<std::string>(args.begin() + 1, args.end()));
    CliOutput out;
    int rc = rescue_main(args, sys, out);
    // Guest text (file names, labels, fstab fields) may be in it: never raw to a terminal.
    if (!sys.write_all(1, escape_control(out.out, true)).ok()) rc = kExitFailure;  // e.g. EPIPE
    (void)sys.write_all(2, escape_control(out.err, true));                         // nowhere else to report
    return rc;
  } catch (const std::exception& e) {
    (void)sys.write_all(2, std::string("rescue: internal error: ") + e.what() + "\n");
  } catch (...) {
    (void)sys.write_all(2, "rescue: internal error\n");
  }
  return kExitFailure;
}
