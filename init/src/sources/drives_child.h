#pragma once
// Metadata drives are found and read by a child, never by PID 1 (issue 10): PID 1 runs
// `init __metadata LABEL...` (Supervisor::run, a time limit, output captured in memory)
// before the config-2 and NoCloud steps.
//
// The child lists /sys/class/block, runs one `init __blkid DEV` per device side by side,
// each with a short time limit (a slow or dead guest disk costs its own lane, nothing
// else), mounts the filesystems labelled LABEL read-only, reads the wanted files
// (metadata_wants()), unmounts, and prints one JSON document (drives_to_json). The
// config drive's admin_pass travels only through that pipe; PID 1 wipes the text after
// parsing.
#include <map>
#include <string>
#include <vector>

#include "sources/blockdev.h"
#include "sys/sys.h"

namespace lifeboat::src {

struct DrivesRead {
  std::vector<BlockFs> filesystems;        // what libblkid found (name order)
  std::string problems;                    // devices that could not be examined
  std::map<std::string, BlockFs> found;    // label -> the filesystem read
  std::map<std::string, FilesRead> reads;  // label -> what was read from it
};

// The files each metadata label is read for.
std::vector<FileWant> metadata_wants(const std::string& label);

std::string drives_to_json(const DrivesRead& d);
bool drives_from_json(const std::string& text, DrivesRead& out, std::string& error);

// `init __blkid DEV`: prints {"type": ..., "label": ...} or {} (nothing recognised).
int run_blkid_child(sys::Sys& sys, const std::string& device) noexcept;
// `init __metadata LABEL...`: the child described above.
int run_metadata_child(sys::Sys& sys, const std::vector<std::string>& labels) noexcept;

// How long one device's libblkid probe may take in the child.
constexpr std::int64_t kBlkidTimeoutMs = 2000;  // a healthy device answers in milliseconds
// How long PID 1 gives the whole child.
constexpr std::int64_t kMetadataChildTimeoutMs = 30000;

}  // namespace lifeboat::src
