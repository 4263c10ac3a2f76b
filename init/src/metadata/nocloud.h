#pragma once
// NoCloud seed documents (cloud-init's format; pure: the caller reads the files).
//
// meta-data (YAML): instance-id, local-hostname (else hostname), public-keys as a string
//   (one or more lines), a list, or a mapping {name: key | [keys] | {openssh-key: key}}.
// user-data: read only when it starts with "#cloud-config"; anything else (scripts, "#!",
//   MIME multipart, gzip, jinja) gives the warning "user-data: not #cloud-config, ignored"
//   and is never executed. Keys honoured:
//     ssh_authorized_keys                              -> root's keys
//     users: [default | {name: root|default, ssh_authorized_keys, hashed_passwd|passwd,
//             plain_text_passwd}]                      other users: warning, ignored
//     password                                         -> root (hash if it looks like one)
//     chpasswd: {users: [{name: root, password, type: hash|text}], list: "root:pw" | [..]}
//     hostname (else the first label of fqdn)
//     ssh_keys: {ed25519_private, ecdsa_private, rsa_private}  -> provider host keys
//   Root password precedence inside user-data: chpasswd.users > chpasswd.list > users[root]
//   > password.
// network-config: v1 (config: [physical{name, mac_address, mtu, subnets[dhcp|dhcp4|dhcp6|
//   static|static6|ipv6_slaac|ipv6_dhcpv6-*]}, nameserver{address, search}]) and v2
//   (ethernets: {id: {match: {macaddress, name}, set-name, dhcp4, dhcp6, accept-ra,
//   addresses, gateway4, gateway6, routes [{to, via}], nameservers {addresses, search}, mtu}}),
//   optionally wrapped in "network:". bonds, bridges, vlans: warnings, skipped.
//
// Errors: {"nocloud", "network-config: ethernets.eth0.addresses", "expected a list"}.
// Password values never appear in an Error.
#include <optional>
#include <string_view>

#include "model/model.h"

namespace lifeboat::meta {

SourceResult parse_nocloud_meta_data(std::string_view text);
SourceResult parse_nocloud_user_data(std::string_view text);
SourceResult parse_nocloud_network_config(std::string_view text);

// The three documents of one seed into one result (meta-data values first, user-data
// fills what is missing; network-config may be absent).
SourceResult nocloud_config(std::string_view meta_data, std::string_view user_data,
                            std::optional<std::string_view> network_config);

}  // namespace lifeboat::meta
