#include "sources/drives_child.h"

#include <nlohmann/json.hpp>

#include "common/text.h"
#include "disks/parallel.h"
#include "metadata/configdrive.h"
#include "report/status.h"

namespace lifeboat::src {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxDocument = 1 << 20;  // the parsers refuse more anyway

json fs_json(const BlockFs& fs) {
  return json{{"device", fs.device}, {"type", fs.type}, {"label", fs.label}, {"whole_device", fs.whole_device}};
}

BlockFs fs_from(const json& j) {
  BlockFs fs;
  if (j.contains("device") && j["device"].is_string()) fs.device = j["device"];
  if (j.contains("type") && j["type"].is_string()) fs.type = j["type"];
  if (j.contains("label") && j["label"].is_string()) fs.label = j["label"];
  if (j.contains("whole_device") && j["whole_device"].is_boolean()) fs.whole_device = j["whole_device"];
  return fs;
}

}  // namespace

std::vector<FileWant> metadata_wants(const std::string& label) {
  if (iequal(label, "config-2")) return {{meta::kMetaDataJson, kMaxDocument}, {meta::kNetworkDataJson, kMaxDocument}};
  return {{"meta-data", kMaxDocument}, {"user-data", kMaxDocument}, {"network-config", kMaxDocument}};
}

std::string drives_to_json(const DrivesRead& d) {
  json fss = json::array();
  for (const auto& fs : d.filesystems) fss.push_back(fs_json(fs));
  json reads = json::object();
  for (const auto& [label, r] : d.reads) {
    json files = json::object();
    for (const auto& [path, got] : r.files)
      files[path] = json{{"text", got.text ? json(*got.text) : json(nullptr)}, {"problem", got.problem}};
    json one{{"mounted", r.mounted}, {"error", r.error}, {"unmount_error", r.unmount_error}, {"files", files}};
    if (auto it = d.found.find(label); it != d.found.end()) one["fs"] = fs_json(it->second);
    reads[label] = std::move(one);
  }
  // Guest-controlled bytes may not be UTF-8: replaced, never thrown about.
  return json{{"filesystems", fss}, {"problems", d.problems}, {"reads", reads}}.dump(-1, ' ', false,
                                                                                       json::error_handler_t::replace);
}

bool drives_from_json(const std::string& text, DrivesRead& out, std::string& error) {
  try {
    // The document is the last line that starts with '{' (anything a library printed on
    // stderr before it is ignored).
    std::string_view doc_text;
    for (auto line : split_lines(text))
      if (line.starts_with("{")) doc_text = line;
    if (doc_text.empty()) throw std::runtime_error("no JSON document in the output");
    json doc = json::parse(doc_text);
    DrivesRead d;
    for (const auto& fs : doc.at("filesystems")) d.filesystems.push_back(fs_from(fs));
    d.problems = doc.value("problems", "");
    for (const auto& [label, one] : doc.at("reads").items()) {
      FilesRead r;
      r.mounted = one.value("mounted", false);
      r.error = one.value("error", "");
      r.unmount_error = one.value("unmount_error", "");
      for (const auto& [path, got] : one.at("files").items()) {
        FileGot g;
        if (got.contains("text") && got["text"].is_string()) g.text = got["text"].get<std::string>();
        g.problem = got.value("problem", "");
        r.files[path] = std::move(g);
      }
      if (one.contains("fs")) d.found[label] = fs_from(one["fs"]);
      d.reads[label] = std::move(r);
    }
    out = std::move(d);
    return true;
  } catch (const std::exception& e) {
    error = e.what();
    return false;
  }
}

int run_blkid_child(sys::Sys& sys, const std::string& device) noexcept {
  try {
    auto fs = blkid_prober()(device);
    json j = json::object();
    if (fs) j = json{{"type", fs->type}, {"label", fs->label}};
    return sys.write_all(1, j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n").ok() ? 0 : 1;
  } catch (...) {
    return 1;
  }
}

int run_metadata_child(sys::Sys& sys, const std::vector<std::string>& labels) noexcept {
  try {
    (void)sys.block_all_signals();  // SIGCHLD through the signalfd for the parallel runner
    DrivesRead d;
    // 1. The devices worth probing (non-empty, with a node), without touching them.
    std::vector<std::string> devices;
    std::string listing;
    (void)scan_block_filesystems(sys, [&](const std::string& dev) -> std::optional<BlockFs> {
      devices.push_back(dev);
      return std::nullopt;
    }, listing);
    // 2. libblkid on each, in parallel children with a time limit.
    const std::string dir = run_dir() + "/blkid";
    (void)sys.mkdir_p(dir, 0700);
    std::vector<disks::CmdResult> results(devices.size());
    auto out_path = [&](std::size_t i) { return dir + "/" + std::string(path_basename(devices[i])); };
    disks::ParallelHooks hooks;
    hooks.next = [&](std::size_t lane, const disks::CmdResult* last) -> std::optional<disks::Launch> {
      if (last) {
        results[lane] = *last;
        return std::nullopt;
      }
      (void)sys.unlink(out_path(lane));
      disks::Launch l;
      l.argv = {"/init", "__blkid", devices[lane]};
      l.env = sys::base_environment();
      l.log_path = out_path(lane);
      l.timeout_ms = kBlkidTimeoutMs;
      return l;
    };
    (void)disks::run_parallel(sys, devices.size(), hooks);
    std::map<std::string, BlockFs> probed;
    std::string problems = listing;
    for (std::size_t i = 0; i < devices.size(); ++i) {
      if (results[i].kind == disks::CmdResult::Kind::timed_out) {
        problems += (problems.empty() ? "" : "; ") +
                    strformat("%s: libblkid did not answer within %lld s", devices[i].c_str(),
                              static_cast<long long>(kBlkidTimeoutMs / 1000));
        continue;
      }
      auto text = sys.read_file(out_path(i), 64 * 1024);
      if (!text.ok()) continue;
      for (auto line : split_lines(text.value)) {
        if (line.starts_with("### lifeboat:") || trim(line).empty()) continue;
        json j = json::parse(line, nullptr, false);
        if (j.is_object() && j.contains("type") && j["type"].is_string()) {
          BlockFs fs;
          fs.device = devices[i];
          fs.type = j["type"];
          if (j.contains("label") && j["label"].is_string()) fs.label = j["label"];
          probed[devices[i]] = fs;
        }
      }
      (void)sys.unlink(out_path(i));
    }
    // 3. The same listing, answered from the children's results.
    std::string ignored;
    d.filesystems = scan_block_filesystems(sys, [&](const std::string& dev) -> std::optional<BlockFs> {
      auto it = probed.find(dev);
      if (it == probed.end()) return std::nullopt;
      return it->second;
    }, ignored);
    d.problems = problems;
    // 4. The wanted labels: mounted read-only, read, unmounted.
    for (const auto& label : labels) {
      auto fs = find_by_label(d.filesystems, {label});
      if (!fs) continue;
      d.found[label] = *fs;
      d.reads[label] = read_files_from(sys, *fs, run_dir() + "/mnt/" + label, metadata_wants(label));
    }
    std::string out = drives_to_json(d) + "\n";
    const bool ok = sys.write_all(1, out).ok();
    std::fill(out.begin(), out.end(), '\0');  // admin_pass may be in there
    return ok ? 0 : 1;
  } catch (...) {
    return 1;
  }
}

}  // namespace lifeboat::src
