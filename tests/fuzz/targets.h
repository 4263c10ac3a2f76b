#pragma once
// The fuzz targets: every parser that reads text from outside (kernel command line,
// provider metadata, the network, a guest's files, the kernel's /proc files). Each takes
// any bytes and must neither crash nor hang nor trip ASan/UBSan. Used by the libFuzzer
// build (tools/fuzz, tests/fuzz/fuzz_main.cpp) and by the unit tests, which replay the
// committed corpora (tests/fuzz/corpus/<target>/*).
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/cmdline.h"
#include "supervise/consoles.h"
#include "config/boot_options.h"
#include "disks/guest.h"
#include "config/disk_options.h"
#include "guest/plan.h"
#include "metadata/cmdline_source.h"
#include "metadata/configdrive.h"
#include "metadata/http_response.h"
#include "metadata/imds.h"
#include "metadata/ip_param.h"
#include "metadata/nocloud.h"
#include "net/apply.h"
#include "report/status.h"
#include "ssh/keys.h"

namespace lifeboat::fuzz {

using Target = std::function<void(std::string_view)>;

inline const std::vector<std::pair<std::string, Target>>& targets() {
  static const std::vector<std::pair<std::string, Target>> all = {
      {"cmdline",
       [](std::string_view in) {
         auto c = parse_cmdline(in);
         (void)parse_boot_options(c);
         (void)meta::config_from_cmdline(c);
         (void)disks::parse_disks_options(c, FsckMode::check);
       }},
      {"ip_param",
       [](std::string_view in) {
         meta::IpParam p;
         Errors e;
         (void)meta::parse_ip_param(in, "ip", p, e);
       }},
      {"configdrive_meta_data", [](std::string_view in) { (void)meta::parse_meta_data(in); }},
      {"configdrive_network_data", [](std::string_view in) { (void)meta::parse_network_data(in); }},
      {"nocloud_meta_data", [](std::string_view in) { (void)meta::parse_nocloud_meta_data(in); }},
      {"nocloud_user_data", [](std::string_view in) { (void)meta::parse_nocloud_user_data(in); }},
      {"nocloud_network_config", [](std::string_view in) { (void)meta::parse_nocloud_network_config(in); }},
      {"http_response",
       [](std::string_view in) {
         (void)meta::parse_http_response(in, false);
         (void)meta::parse_http_response(in, true);
       }},
      {"imds_keys",
       [](std::string_view in) {
         Errors e;
         (void)meta::parse_public_keys_index(in, e);
       }},
      {"fstab", [](std::string_view in) { (void)disks::parse_fstab(in); }},
      {"os_release", [](std::string_view in) { (void)disks::parse_os_release(in); }},
      {"mountinfo", [](std::string_view in) { (void)disks::parse_mountinfo(in); }},
      {"dhcp_lease", [](std::string_view in) { (void)net::parse_lease(in); }},
      {"proc_consoles", [](std::string_view in) { (void)parse_proc_consoles(std::string(in)); }},
      {"passwd", [](std::string_view in) { (void)guest::parse_passwd(in); }},
      {"ssh_key", [](std::string_view in) { (void)ssh::parse_public_key(in); }},
      {"status_json",
       [](std::string_view in) {
         Error e;
         (void)parse_status_json(std::string(in), e);
       }},
  };
  return all;
}

}  // namespace lifeboat::fuzz
