#pragma once
// Merging the partial configs of all sources into one Config (pure).
//
// Precedence, highest first:  cmdline > config-2 > nocloud > imds
// (the command line is what the operator typed at the console or in the provider's rescue
// dialog; the config drive is the most complete provider document; NoCloud is usually a
// seed made by hand; IMDS is the last resort).
//
//   ssh keys    union over all sources in precedence order, deduplicated by the key blob
//               (the first, i.e. highest, source is kept for a duplicate)
//   password    from the highest source that has one (hash or plaintext alike)
//   hostname    from the highest source that has one
//   host keys   from the highest source that has any (never mixed)
//   network     the highest source with any network config wins AS A WHOLE: interfaces of
//               different sources are never mixed, because a half of one provider's setup
//               plus a half of another's (two default routes, one MAC matched twice) is
//               worse than either. The losers' interface configs are dropped.
//   dns/search  union in precedence order of each source's global lists (per-interface
//               nameservers stay with their network config)
//   instance id highest source;  ssh_port, datasources, nocloud seed: command line only
//   random seed concatenation of all sources' seed bytes
//
// lifeboat.datasource= limits which sources count: a partial whose source is not listed
// is ignored (the command line's own lifeboat.datasource/ssh_port/ds= always are read).
#include <string>
#include <vector>

#include "model/model.h"

namespace lifeboat::meta {

// The rank of a source: 0 = highest (cmdline).
int precedence(Source s) noexcept;

// Partials in any order; several partials of one source are merged in the given order.
Config merge(std::vector<PartialConfig> partials);

// The provenance object for status.json (compact JSON text), e.g.
//   {"hostname":{"value":"vm1","source":"cmdline"},
//    "password":{"source":"config-2","kind":"plaintext-hashed"},
//    "ssh_keys":[{"type":"ssh-ed25519","fingerprint":"SHA256:...","comment":"me","source":"imds"}],
//    "host_keys":[{"type":"ed25519","source":"nocloud"}],
//    "network":{"source":"config-2","interfaces":1},
//    "dns":[{"address":"10.0.0.2","source":"config-2"}],"search":[...],
//    "ssh_port":{"value":22,"source":"default"},"instance_id":{...},"datasources":[...]}
// Never contains a password, a hash, a private key or any Secret.
std::string render_provenance_json(const Config& config);

}  // namespace lifeboat::meta
