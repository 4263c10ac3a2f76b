#pragma once
// The kernel command line as a metadata source (pure). Keys read here:
//
//   ip=...                       see metadata/ip_param.h; several allowed
//   ifname=<iface>:<mac>         names the link with that MAC: ip= configs naming <iface>
//                                then match by MAC (udev-style renames do not break them)
//   nameserver=<addr>            global DNS; several allowed
//   lifeboat.password_hash=$id$...   crypt(3) hash for root; wins over lifeboat.password
//   lifeboat.password=TEXT       plaintext (accepted, warned: /proc/cmdline is world-readable)
//   lifeboat.ssh_key=...         authorized_keys line(s), URL-encoded (%20, %0A) or base64;
//                                several allowed
//   lifeboat.hostname=NAME       (validated and reported by config/boot_options; an invalid
//                                value is skipped here without a second error)
//   lifeboat.datasource=a,b,...  which sources to use, in probing order:
//                                cmdline, configdrive (config-2), nocloud, imds (ec2)
//   lifeboat.ssh_port=N          1-65535
//   ds=nocloud[;s=/path/]        NoCloud seed (file:// stripped); ds=nocloud-net;s=http://...
//                                is parsed and later reported unsupported
//
// Errors never echo a password, hash or key: they name the parameter. ip=, ifname=,
// nameserver=, ds= and lifeboat.datasource= values are not secret and may be quoted.
#include <string_view>

#include "config/cmdline.h"
#include "model/model.h"

namespace lifeboat::meta {

// Reads the keys config/boot_options.h's is_metadata_cmdline_key() names.
SourceResult config_from_cmdline(const Cmdline& cmdline);

// "%20" -> ' '. nullopt on a malformed escape or a decoded NUL. '+' stays '+'.
std::optional<std::string> url_decode(std::string_view text);

}  // namespace lifeboat::meta
