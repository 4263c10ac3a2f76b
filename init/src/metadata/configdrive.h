#pragma once
// OpenStack config drive (label config-2) documents (pure: the caller reads the files).
//
// meta_data.json: uuid -> instance_id, hostname (else name) -> hostname, admin_pass ->
//   plaintext root password (Secret), public_keys {name: line} and keys [{name, type, data}]
//   -> SSH keys (deduplicated), random_seed (base64) -> bytes. Other keys are ignored.
// network_data.json: links [{id, type, ethernet_mac_address, mtu}] matched by MAC only;
//   networks [{id, link, type, ip_address, netmask, routes, services}] grouped per link;
//   services [{type: dns, address}] -> global DNS. bond/vlan links: a warning, skipped.
//   `network` is set only when at least one usable interface config came out.
//
// Hostile input: documents over 1 MiB or nested deeper than 64 are refused before parsing,
// strings over 64 KiB are refused per field, wrong types are named errors, names taken from
// the input are sanitized before they appear in an Error field.
// Errors: {"config-2", "openstack/latest/meta_data.json: public_keys", "expected object"}.
#include <optional>
#include <string_view>

#include "model/model.h"

namespace lifeboat::meta {

inline constexpr const char* kMetaDataJson = "openstack/latest/meta_data.json";
inline constexpr const char* kNetworkDataJson = "openstack/latest/network_data.json";

SourceResult parse_meta_data(std::string_view text);
SourceResult parse_network_data(std::string_view text);

// Both documents of one drive into one result (either may be missing).
SourceResult config_drive_config(std::optional<std::string_view> meta_data,
                                 std::optional<std::string_view> network_data);

}  // namespace lifeboat::meta
