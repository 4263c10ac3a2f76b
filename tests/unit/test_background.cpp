// Issue 10: bounded logs, the power button, the disk worker's status merge, crash-loop
// rate limits, watched fds, `rescue status --wait`.
#include <doctest/doctest.h>

#include <linux/input.h>

#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "boot/log.h"
#include "boot/power_button.h"
#include "cli/rescue.h"
#include "cli/summary.h"
#include "common/bounded_log.h"
#include "config/cmdline.h"
#include "config/disk_options.h"
#include "disks/worker.h"
#include "fake_sys.h"
#include "report/services.h"
#include "report/step_runner.h"
#include "sources/provision.h"
#include "report/status.h"
#include "supervise/supervisor.h"

using namespace lifeboat;

TEST_CASE("bounded log: the head as it comes, then only the newest tail, with a cut line") {
  test::FakeSys sys;
  BoundedLog log(sys, "/run/x.log", 10, 8);
  log.write("0123456789");  // the head, exactly
  CHECK(sys.files["/run/x.log"] == "0123456789");
  log.write("abcdefgh");    // tail file 1
  log.write("ijkl");        // rotates: .tail.old = abcdefgh, .tail = ijkl
  CHECK(sys.files["/run/x.log.tail.old"] == "abcdefgh");
  CHECK(sys.files["/run/x.log.tail"] == "ijkl");
  log.write("mnopqrstuvwxyz");  // rotates again: the oldest is gone
  // Never more than head + 2 * tail bytes on disk.
  CHECK(sys.files["/run/x.log"].size() + sys.files["/run/x.log.tail"].size() +
            sys.files["/run/x.log.tail.old"].size() <=
        10 + 2 * 8);
  log.finish();
  const std::string& text = sys.files["/run/x.log"];
  CHECK(text.rfind("0123456789\n### lifeboat: ", 0) == 0);
  CHECK(text.find("bytes of output cut here (36 in all; the first 10 and the last 8 kept)") != std::string::npos);
  CHECK(text.substr(text.size() - 8) == "stuvwxyz");
  CHECK(log.cut() == 36 - 10 - 8);
  CHECK(sys.files.count("/run/x.log.tail") == 0);
  CHECK(sys.files.count("/run/x.log.tail.old") == 0);
}

TEST_CASE("bounded log: small output is kept whole, no cut line") {
  test::FakeSys sys;
  {
    BoundedLog log(sys, "/run/y.log", 100, 100);
    log.write("Pass 1\n");
    log.write("Pass 2\n");
  }  // the destructor finishes
  CHECK(sys.files["/run/y.log"] == "Pass 1\nPass 2\n");
}

TEST_CASE("marker scan: found across chunk boundaries, in cut output too") {
  MarkerScan scan({"FILE SYSTEM WAS MODIFIED", "nothing"});
  scan.feed("***** FILE SYS");
  scan.feed("TEM WAS MOD");
  CHECK_FALSE(scan.found()[0]);
  scan.feed("IFIED *****\n");
  CHECK(scan.found()[0]);
  CHECK_FALSE(scan.found()[1]);
}

namespace {
std::string key_event(unsigned short type, unsigned short code, int value) {
  std::string ev(24, '\0');
  std::memcpy(ev.data() + 16, &type, 2);
  std::memcpy(ev.data() + 18, &code, 2);
  std::memcpy(ev.data() + 20, &value, 4);
  return ev;
}
}  // namespace

TEST_CASE("power button: KEY_POWER in a sysfs key bitmap; a press in input events") {
  CHECK(has_power_key("10000000000000 0\n"));        // the ACPI power button: bit 116 = word 1, bit 52
  CHECK(has_power_key("3 10000000000000 0"));        // more words in front
  CHECK_FALSE(has_power_key("0\n"));                 // one word only: no key above 63
  CHECK_FALSE(has_power_key("402000000 3803078f800d001 ffefffdfffefffff fffffffffffffffe"));  // bit 116 clear
  CHECK(has_power_key("402000000 3803078f800d001 feffffdfffefffff fffffffffffffffe"));        // an AT keyboard has it
  CHECK_FALSE(has_power_key("zz 0"));
  CHECK_FALSE(has_power_key(""));
  CHECK(power_key_pressed(key_event(EV_KEY, KEY_POWER, 1) + key_event(EV_SYN, 0, 0)));
  CHECK_FALSE(power_key_pressed(key_event(EV_KEY, KEY_POWER, 0)));  // the release
  CHECK_FALSE(power_key_pressed(key_event(EV_KEY, KEY_A, 1)));
  CHECK_FALSE(power_key_pressed(key_event(EV_KEY, KEY_POWER, 1).substr(0, 23)));  // partial
}

TEST_CASE("power button: found through sysfs, opened non-blocking") {
  test::FakeSys sys;
  sys.add_file("/sys/class/input/event0/device/capabilities/key", "10000000000000 0\n");
  sys.add_file("/sys/class/input/event0/device/name", "Power Button\n");
  sys.add_file("/sys/class/input/event1/device/capabilities/key", "0\n");
  sys.add_file("/dev/input/event0", "");
  sys.add_file("/dev/input/event1", "");
  sys.add_dir("/sys/class/input/input0");
  std::vector<std::string> names, problems;
  auto fds = open_power_buttons(sys, names, problems);
  CHECK(fds.size() == 1);
  REQUIRE(names.size() == 1);
  CHECK(names[0] == "event0 (\"Power Button\")");
  CHECK(problems.empty());
}

TEST_CASE("disk work: the worker's state merged into PID 1's status") {
  BootStatus pid1;
  pid1.steps.push_back(StepRecord{"ssh", StepResult::ok, "port 22", 10});
  pid1.errors.push_back(Error{"cmdline", "lifeboat.x", "unknown", Severity::warning});
  pid1.set_section("ssh", "{\"port\":22}");
  BootStatus w;
  w.steps.push_back(StepRecord{"disks", StepResult::ok, "1 disk", 50});
  w.errors.push_back(Error{"disks", "vdb", "LVM physical volume: vgchange -ay", Severity::warning});
  w.set_section("disks", "{\"volumes\":[]}");
  w.set_section("disk_work", "{\"state\":\"checking\"}");
  w.set_section("ssh", "{\"port\":1}");  // never taken from the worker
  disks::merge_disk_status(pid1, 1, w);
  disks::merge_disk_status(pid1, 1, w);  // again: replaced, not duplicated
  CHECK(pid1.steps.size() == 2);
  CHECK(pid1.errors.size() == 2);
  w.steps[0].detail = "1 disk, 2 volumes";
  w.steps.push_back(StepRecord{"fsck", StepResult::ok, "mode check: 2 clean", 900});
  w.disks_done = true;
  disks::merge_disk_status(pid1, 1, w);
  CHECK(pid1.steps.size() == 3);
  CHECK(pid1.steps[1].detail == "1 disk, 2 volumes");
  CHECK(pid1.disks_done);
  auto doc = nlohmann::json::parse(render_status_json(pid1));
  CHECK(doc["disks_done"] == true);
  CHECK(doc["ssh"]["port"] == 22);
  CHECK(doc["disk_work"]["state"] == "checking");
}

TEST_CASE("disk work: the login summary says how far the checks are") {
  BootStatus st;
  st.set_section("disk_work", "{\"state\":\"checking\",\"volumes_done\":1,\"volumes_total\":3}");
  st.set_section("disks", "{\"volumes\":[{\"name\":\"vda1\",\"type\":\"ext4\",\"fsck\":{\"state\":\"running\"}}]}");
  std::string s = render_summary(render_status_json(st));
  CHECK(s.find("disks: checks running (1 of 3 done)\n") != std::string::npos);
  CHECK(s.find("  vda1 ext4: fsck running\n") != std::string::npos);
}

namespace {
struct Pid1 {  // PID 1's side of the disk work, on a FakeSys
  test::FakeSys sys;
  Log log{sys};
  Supervisor sup{sys, log};
  BootStatus status;
  Pid1() {
    ::setenv("LIFEBOAT_RUN_DIR", "/run/lifeboat", 1);
    log.attach_console(1);
  }
  ~Pid1() { ::unsetenv("LIFEBOAT_RUN_DIR"); }
};
}  // namespace

TEST_CASE("disk work: PID 1 starts the worker, follows its notifications, says when it is done") {
  Pid1 p;
  auto& [sys, log, sup, status] = p;
  int published = 0;
  disks::DiskWork work(sys, sup, log, status, [&] { ++published; });
  work.start("/init", 2);
  REQUIRE(sys.spawns.size() == 1);
  const auto& spec = sys.spawns[0];
  CHECK(spec.argv == std::vector<std::string>{"/init", "__disks"});
  CHECK(spec.nice == disks::kDiskWorkNice);  // behind the admin's shells and SSH
  CHECK(spec.oom_score_adj == disks::kDiskWorkOomScoreAdj);  // the OOM killer's first choice
  CHECK(spec.stderr_fd == 2);
  CHECK(spec.new_process_group);
  CHECK(published == 1);
  const int pipe_read = spec.stdout_fd - 1;  // FakeSys pipes: read end, then write end
  sys.held_pipes.insert("pipe:" + std::to_string(pipe_read));  // the worker holds the write end

  // The worker publishes a state: PID 1 reloads it.
  BootStatus w;
  w.set_section("disk_work", "{\"state\":\"checking\",\"volumes_done\":0,\"volumes_total\":1,\"summary\":\"\"}");
  sys.add_file("/run/lifeboat/disks.json", render_status_json(w));
  sys.add_file("pipe:" + std::to_string(pipe_read), "s");
  sys.ready_fds.insert(pipe_read);
  sup.poll(0);
  CHECK(published >= 2);
  CHECK_FALSE(work.finished());

  // The last state, then EOF: "disks: done" after the final publish.
  w.disks_done = true;
  w.set_section("disk_work", "{\"state\":\"done\",\"volumes_done\":1,\"volumes_total\":1,\"summary\":\"1 clean\"}");
  sys.add_file("/run/lifeboat/disks.json", render_status_json(w));
  sys.ready_fds.insert(pipe_read);
  sys.held_pipes.clear();  // the worker exits
  sup.poll(0);
  CHECK(work.finished());
  CHECK(status.disks_done);
  CHECK(sys.console_text().find("lifeboat: disks: done: 1 clean\n") != std::string::npos);
}

TEST_CASE("disk work: a worker that dies early is reported, the disk work marked done") {
  Pid1 p;
  auto& [sys, log, sup, status] = p;
  disks::DiskWork work(sys, sup, log, status, [] {});
  work.start("/init", 2);
  const int pipe_read = sys.spawns[0].stdout_fd - 1;
  sys.ready_fds.insert(pipe_read);  // EOF, nothing published
  sup.poll(0);
  CHECK(work.finished());
  CHECK(status.disks_done);
  CHECK(sys.console_text().find("lifeboat: disks: done: failed: the disk worker ended before finishing") !=
        std::string::npos);
}

TEST_CASE("supervisor: a crash loop prints a few lines a minute; restarts are counted") {
  test::FakeSys sys;
  Log log(sys);
  log.attach_console(1);
  Supervisor sup(sys, log);
  int changes = 0;
  sup.set_on_change([&] { ++changes; });
  ServiceSpec s;
  s.name = "dropbear";
  s.spawn.argv = {"/usr/sbin/dropbear", "-F"};
  s.backoff = BackoffParams{100, 100, 30000};  // restart every 100 ms
  sup.add_service(s);
  sup.start_services();
  for (int i = 0; i < 200; ++i) {  // 20 s of dying at once
    REQUIRE(sup.services()[0].pid != 0);
    sys.exit_child(sup.services()[0].pid, 1);
    sup.poll(0);     // the exit
    sup.poll(1000);  // the restart, 100 ms later
  }
  const std::string console = sys.console_text();
  std::size_t lines = 0;
  for (std::size_t p = console.find("service dropbear: exit status 1"); p != std::string::npos;
       p = console.find("service dropbear: exit status 1", p + 1))
    ++lines;
  CHECK(lines == kRestartLinesPerWindow);
  CHECK(console.find("further restarts this minute are not shown") != std::string::npos);
  CHECK(sup.services()[0].starts == 201);
  CHECK(changes >= 200);
  auto j = nlohmann::json::parse(services_json(sup.services()));
  CHECK(j["dropbear"]["restarts"] == 200);
  CHECK(j["dropbear"]["last_exit"] == "exit status 1");
  // A minute later the suppressed ones are summed up in one line.
  sys.now_ms += kRestartWindowMs;
  sys.exit_child(sup.services()[0].pid, 1);
  sup.poll(0);
  CHECK(sys.console_text().find("more restart(s) not shown") != std::string::npos);
}

TEST_CASE("supervisor: watched fds are dispatched from the loop; a pending shutdown starts no service") {
  test::FakeSys sys;
  Log log(sys);
  Supervisor sup(sys, log);
  int hits = 0;
  sup.watch(7, [&] {
    ++hits;
    sup.unwatch(7);  // a handler may unwatch itself
  });
  sys.ready_fds.insert(7);
  sup.poll(0);
  CHECK(hits == 1);
  sys.ready_fds.insert(7);
  sup.poll(0);
  CHECK(hits == 1);

  ServiceSpec s;
  s.name = "shell@ttyS0";
  s.spawn.argv = {"/bin/sh"};
  sup.add_service(s);
  sup.request_shutdown(ShutdownKind::poweroff);
  sup.start_services();
  CHECK(sys.spawns.empty());
}

TEST_CASE("rescue status --wait: returns once the disk work is done, fails at its limit") {
  test::FakeSys sys;
  ::setenv("LIFEBOAT_RUN_DIR", "/fake/run", 1);
  BootStatus st;
  sys.add_file("/fake/run/status.json", render_status_json(st));
  CliOutput late;
  CHECK(rescue_main({"status", "--wait", "3"}, sys, late) == kExitFailure);
  CHECK(late.err == "rescue: status: disk work not done after 3 s\n");

  // Done after a few polls (FakeSys time moves as the command sleeps).
  int polls = 0;
  struct DoneLater : test::FakeSys {
    int* polls;
    std::string done_json;
    void sleep_ms(int ms) noexcept override {
      now_ms += ms;
      if (++*polls == 4) files["/fake/run/status.json"] = done_json;
    }
  } sys2;
  sys2.polls = &polls;
  sys2.add_file("/fake/run/status.json", render_status_json(st));
  st.disks_done = true;
  sys2.done_json = render_status_json(st);
  CliOutput ok;
  CHECK(rescue_main({"status", "--wait", "--json"}, sys2, ok) == kExitOk);
  CHECK(polls == 4);
  CHECK(ok.out.find("\"disks_done\": true") != std::string::npos);
  CliOutput bad;
  CHECK(rescue_main({"status", "--wait", "-1"}, sys2, bad) == kExitUsage);
  ::unsetenv("LIFEBOAT_RUN_DIR");
}

TEST_CASE("probe children: a scan survives JSON; timed-out and failed probes are reported, the rest kept") {
  disks::Scan one;
  disks::Disk d;
  d.name = "vda";
  d.path = "/dev/vda";
  d.major = 254;
  d.size_bytes = 1 << 30;
  d.table = "gpt";
  d.partitions = {"vda1"};
  one.disks.push_back(d);
  disks::Volume v;
  v.name = "vda1";
  v.path = "/dev/vda1";
  v.disk = "vda";
  v.partno = 1;
  v.type = "ext4";
  v.label = "root\x1b[31m";
  disks::ExtState e;
  e.read = true;
  e.needs_recovery = true;
  e.last_check = 1700000000;
  v.ext = e;
  one.volumes.push_back(v);
  one.problems.push_back("vda: something");
  const std::string json = disks::scan_to_json(one);
  disks::Scan back;
  std::string error;
  REQUIRE(disks::scan_from_json(json, back, error));
  REQUIRE(back.volumes.size() == 1);
  CHECK(back.volumes[0].label == v.label);
  REQUIRE(back.volumes[0].ext);
  CHECK(back.volumes[0].ext->needs_recovery);
  CHECK(back.volumes[0].ext->last_check == 1700000000);
  CHECK(back.disks[0].partitions == d.partitions);
  CHECK_FALSE(disks::scan_from_json("{\"disks\": 3}", back, error));
  CHECK_FALSE(error.empty());

  test::FakeSys sys;
  sys.add_file("/run/scan/vda.json", "### lifeboat: command 1: /init __probe vda\n" + json +
                                         "\n### lifeboat: exit status 0 after 40 ms\n");
  sys.add_file("/run/scan/vdc.json", "### lifeboat: command 3: /init __probe vdc\nSegmentation fault\n");
  std::vector<disks::CmdResult> results(3);
  results[1].kind = disks::CmdResult::Kind::timed_out;
  results[2].kind = disks::CmdResult::Kind::signaled;
  results[2].code = 11;
  std::map<std::string, std::string> stuck;
  disks::Scan all = disks::collect_probes(sys, {"vda", "vdb", "vdc"}, results, "/run/scan", 60, stuck);
  REQUIRE(all.disks.size() == 2);
  CHECK(all.disks[1].name == "vdb");
  CHECK(all.disks[1].probe_problem == "probe timed out after 60 s");
  CHECK(stuck.count("vdb") == 1);
  CHECK(all.volumes.size() == 1);
  CHECK(all.problems.size() == 3);
  CHECK(all.problems[1] == "vdb: probe timed out after 60 s; the disk is left alone (not protected, not checked)");
  CHECK(all.problems[2] == "vdc: probe failed (killed by signal 11); see /run/scan/vdc.json");
}

TEST_CASE("lifeboat.probe_timeout: seconds, checked like fsck_timeout") {
  auto parse = [](const char* text) { return disks::parse_disks_options(parse_cmdline(text), FsckMode::check); };
  CHECK(parse("").options.probe_timeout_s == 60);
  CHECK(parse("lifeboat.probe_timeout=5").options.probe_timeout_s == 5);
  auto bad = parse("lifeboat.probe_timeout=0");
  CHECK(bad.options.probe_timeout_s == 60);
  REQUIRE(bad.errors.size() == 1);
  CHECK(bad.errors[0].field == "lifeboat.probe_timeout");
}

TEST_CASE("metadata drives: read by a child; its JSON carries filesystems and files, PID 1 uses them") {
  src::DrivesRead d;
  d.filesystems.push_back(src::BlockFs{"/dev/sr0", "iso9660", "config-2"});
  d.problems = "/dev/vdb: libblkid did not answer within 5 s";
  d.found["config-2"] = d.filesystems[0];
  src::FilesRead r;
  r.mounted = true;
  r.files["openstack/latest/meta_data.json"].text = "{\"uuid\": \"x\", \"admin_pass\": \"s3cret\"}";
  r.files["openstack/latest/network_data.json"].problem = "missing";
  d.reads["config-2"] = r;
  const std::string json = src::drives_to_json(d);

  struct ChildSys : test::FakeSys {
    std::string output;
    Result<pid_t> spawn(const sys::SpawnSpec& spec) noexcept override {
      auto p = test::FakeSys::spawn(spec);
      write_fd(spec.stdout_fd, output);
      exit_child(p.value, 0);
      return p;
    }
  };
  // PID 1's step against a child that prints `output`.
  struct Run {
    ChildSys sys;
    src::Provision prov;
    StepContext step;
    explicit Run(const std::string& output) {
      sys.output = output;
      Log log(sys);
      Supervisor sup(sys, log);
      src::read_metadata_drives(sys, sup, step, prov);
    }
  };
  Run ok(json + "\n");
  auto& [sys, prov, step] = ok;
  CHECK(step.result() == StepResult::ok);
  CHECK(step.detail() == "1 filesystem, config-2 on /dev/sr0; /dev/vdb: libblkid did not answer within 5 s");
  REQUIRE(sys.spawns.size() == 1);
  CHECK(sys.spawns[0].argv == std::vector<std::string>{"/init", "__metadata", "config-2", "cidata"});
  REQUIRE(prov.drives);
  REQUIRE(prov.drives->reads.count("config-2"));
  CHECK(*prov.drives->reads["config-2"].files["openstack/latest/meta_data.json"].text ==
        *r.files["openstack/latest/meta_data.json"].text);

  // A child that prints garbage: the step fails, nothing is read in PID 1.
  Run bad("Segmentation fault\n");
  auto& step2 = bad.step;
  auto& prov2 = bad.prov;
  CHECK(step2.result() == StepResult::failed);
  REQUIRE(prov2.drives);
  CHECK(prov2.drives->filesystems.empty());
}

TEST_CASE("status: one document gives status.json and the login summary, as the text would") {
  BootStatus st;
  st.version = "0.1.0";
  st.boot_ms = 1600;
  st.steps.push_back(StepRecord{"ssh", StepResult::ok, "port 22", 1500, 80, 24000});
  st.set_section("ssh", R"({"port":22,"host_keys":[{"type":"ED25519","fingerprint":"SHA256:abc"}]})");
  st.set_section("disk_work", R"({"state":"checking","volumes_done":1,"volumes_total":3})");
  st.set_section("broken", "{not json");  // left out, as before
  const nlohmann::json doc = status_document(st);
  CHECK(status_text(doc) == render_status_json(st));
  CHECK(render_summary(doc) == render_summary(render_status_json(st)));
  CHECK(render_summary(doc).find("SHA256:abc") != std::string::npos);
  CHECK_FALSE(doc.contains("broken"));
  // PID 1 writes both from the one document.
  test::FakeSys sys;
  REQUIRE(write_status_text(sys, "/run/lifeboat", status_text(doc)).ok());
  CHECK(sys.files.at("/run/lifeboat/status.json") == render_status_json(st));
}
