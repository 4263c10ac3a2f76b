"""Disks, check mode (the default): eleven guest disks, every corruption class reported, the guest
root and its fstab found, eight disks checked in parallel, and not one byte written to any disk.

One boot. The images come from tests/fixtures/disks.py (cached, copied per test)."""
import json
import os
import re
import tempfile
import time
import unittest

from fixtures.disks import disk_copy, sha256_file, ROOT_UUID, GDATA_UUID
from lifeboat_vm import VM

# (fixture, kernel name in the VM): virtio disks get vda, vdb, ... in order.
DISKS = ["gpt-guest", "ext4-badsb", "ext4-inodes", "ext4-bitmaps", "ext4-orphan", "ext4-journal",
         "xfs-agf", "xfs-dirtylog", "empty", "zeros", "luks"]
NAMES = {f: "vd" + chr(ord("a") + i) for i, f in enumerate(DISKS)}


def read_status(vm) -> dict:
    out, rc = vm.sh("cat /run/lifeboat/status.json", timeout=60)
    assert rc == 0, out
    return json.loads(out[out.index("{"):])


def volume(status: dict, name: str) -> dict:
    for v in status["disks"]["volumes"]:
        if v["name"] == name:
            return v
    raise AssertionError(f"no volume {name}: {[v['name'] for v in status['disks']['volumes']]}")


class DisksCheckTest(unittest.TestCase):
    def test_check_mode_reports_everything_and_writes_nothing(self):
        with tempfile.TemporaryDirectory(prefix="lifeboat-disks-") as d:
            t0 = time.monotonic()
            copies = {f: disk_copy(f, d) for f in DISKS}
            print(f"fixtures ready in {time.monotonic() - t0:.1f} s")
            for f, (path, man) in copies.items():
                self.assertEqual(sha256_file(path), man["sha256"], f)
            with VM(disks=[copies[f][0] for f in DISKS], mem=512, name="disks-check",
                    append="lifeboat.fsck.gdata=check lifeboat.fsck.nosuchdisk=off") as vm:
                t = vm.wait_ready(600)
                vm.wait_disks(600)  # disk work runs after `ready`
                print(f"lifeboat: ready after {t:.1f} s with {len(DISKS)} disks checked (TCG)")
                console = vm.console
                status = read_status(vm)
                logs = {}
                for f in ("ext4-inodes", "ext4-bitmaps", "ext4-orphan", "ext4-journal", "xfs-agf", "xfs-dirtylog"):
                    logs[f], _ = vm.sh(f"cat /run/lifeboat/fsck/{NAMES[f]}.log", timeout=60)
                ro, _ = vm.sh("cat " + " ".join(f"/sys/block/{n}/ro" for n in NAMES.values()))
                mounts, _ = vm.sh("cat /proc/mounts")

            # -- not one byte written ---------------------------------------------------------
            for f, (path, man) in copies.items():
                self.assertEqual(sha256_file(path), man["sha256"], f"{f}: the image changed in check mode")

            # -- console: one line per filesystem, the exact states ----------------------------
            def line(name, rest):
                self.assertRegex(console, re.escape(f"lifeboat: fsck: {name} {rest}") + r"\r?\n")

            line("vda1", "ext4 clean (e2fsck exit 0)")
            line("vda2", "xfs clean (xfs_repair exit 0)")
            line("vda3", "swap skipped (swap: nothing to check)")
            line(NAMES["ext4-badsb"], "ext4 errors-found (e2fsck exit 4)")
            line(NAMES["ext4-inodes"], "ext4 errors-found (e2fsck exit 4)")
            line(NAMES["ext4-bitmaps"], "ext4 errors-found (e2fsck exit 4)")
            line(NAMES["ext4-orphan"], "ext4 errors-found (e2fsck exit 4)")
            line(NAMES["ext4-journal"], "ext4 clean (e2fsck exit 0; journal needs recovery, not replayed in check mode)")
            line(NAMES["xfs-agf"], "xfs errors-found (xfs_repair exit 1)")
            line(NAMES["xfs-dirtylog"], "xfs errors-found (xfs_repair exit 1; dirty log, not replayed in check mode)")
            line(NAMES["empty"], "- skipped (no filesystem found)")
            line(NAMES["zeros"], "- skipped (no filesystem found)")
            line(NAMES["luks"], "crypto_LUKS skipped (LUKS encrypted volume: not a filesystem "
                                f"(rescue unlock /dev/{NAMES['luks']} first))")
            self.assertIn(f"lifeboat: warning: disks: {NAMES['luks']}: LUKS encrypted volume: rescue unlock "
                          f"/dev/{NAMES['luks']}\r", console)
            self.assertRegex(console, r"lifeboat: disks: ok: 11 disks, 13 volumes \(1 crypto_LUKS, 2 empty, 6 ext4, 1 swap, 3 xfs\); "
                                      r"guest Debian GNU/Linux 12 \(bookworm\) on vda1")
            self.assertIn("lifeboat: fsck: ok: mode check: 3 clean, 6 errors-found, 4 skipped", console)
            self.assertIn("warning: cmdline: lifeboat.fsck.nosuchdisk: matches no device name, UUID or LABEL", console)
            self.assertNotIn("-fy", json.dumps(status["disks"]))

            # -- what each log shows: the corruption class ---------------------------------------
            self.assertIn("ref count is 3, should be 1", logs["ext4-inodes"])
            self.assertIn("has deleted/unused inode", logs["ext4-inodes"])
            self.assertIn("i_size is 1, should be", logs["ext4-inodes"])
            self.assertIn("Block bitmap differences", logs["ext4-bitmaps"])
            self.assertIn("Inode bitmap differences", logs["ext4-bitmaps"])
            self.assertIn("has zero dtime", logs["ext4-orphan"])
            self.assertIn("skipping journal recovery", logs["ext4-journal"])
            self.assertIn("bad magic # 0x0 for agf 1", logs["xfs-agf"])
            self.assertIn("ALERT: The filesystem has valuable metadata changes in a log", logs["xfs-dirtylog"])
            self.assertIn("/sbin/e2fsck -fn /dev/" + NAMES["ext4-inodes"], logs["ext4-inodes"])

            # -- status.json ---------------------------------------------------------------------
            disks = status["disks"]
            self.assertEqual([x["name"] for x in disks["disks"]], list(NAMES.values()))
            vda = disks["disks"][0]
            self.assertEqual(vda["table"], "gpt")
            self.assertEqual(vda["volumes"], ["vda1", "vda2", "vda3"])
            self.assertEqual(disks["disks"][DISKS.index("empty")]["table"], "dos")
            self.assertIsNone(disks["disks"][DISKS.index("zeros")]["table"])
            v1, v2, v3 = volume(status, "vda1"), volume(status, "vda2"), volume(status, "vda3")
            self.assertEqual((v1["type"], v1["uuid"], v1["label"], v1["partlabel"]), ("ext4", ROOT_UUID, "root", "root"))
            self.assertEqual((v2["type"], v2["uuid"], v2["label"], v2["partlabel"]), ("xfs", GDATA_UUID, "gdata", "data"))
            self.assertEqual((v3["type"], v3["label"]), ("swap", "gswap"))
            self.assertEqual(v3["hint"]["command"], "swapon /dev/vda3")
            self.assertEqual(v1["ext"]["state"], "clean")
            self.assertEqual(v1["fstab"], [{"guest": "vda1", "mountpoint": "/", "spec": f"UUID={ROOT_UUID}", "type": "ext4"}])
            self.assertEqual(v2["fstab"][0]["mountpoint"], "/srv/data")
            self.assertEqual(v2["fsck"]["mode_from"], "lifeboat.fsck.gdata")
            self.assertEqual(v3["fstab"][0]["spec"], "PARTLABEL=swap")
            guest = disks["guests"][0]
            self.assertEqual(guest["volume"], "vda1")
            self.assertEqual(guest["pretty_name"], "Debian GNU/Linux 12 (bookworm)")
            self.assertEqual(guest["id"], "debian")
            broken = [e for e in guest["fstab"] if e["mountpoint"] == "/mnt/broken"][0]
            self.assertIsNone(broken["volume"])
            self.assertEqual(broken["note"], "no filesystem with this UUID here")
            self.assertEqual([e["note"] for e in guest["fstab"] if e["spec"] == "tmpfs"], ["not a block device"])

            badsb = volume(status, NAMES["ext4-badsb"])
            self.assertEqual(badsb["type"], "ext4")  # found through the backup superblock
            self.assertEqual(badsb["ext"]["primary_superblock"], "damaged")
            self.assertEqual(badsb["ext"]["backup_block"], 8193)
            self.assertEqual(badsb["fsck"]["state"], "errors-found")
            self.assertEqual(badsb["fsck"]["argv"], ["/sbin/e2fsck", "-fn", "/dev/" + NAMES["ext4-badsb"]])
            self.assertEqual(badsb["fsck"]["exit_code"], 4)
            self.assertEqual(badsb["fsck"]["log"], f"/run/lifeboat/fsck/{NAMES['ext4-badsb']}.log")
            self.assertTrue(volume(status, NAMES["ext4-orphan"])["ext"]["orphans"])
            journal = volume(status, NAMES["ext4-journal"])
            self.assertTrue(journal["ext"]["needs_recovery"])
            self.assertEqual(journal["ext"]["last_check_epoch"], 1700000000)
            self.assertEqual(journal["ext"]["last_check"], "2023-11-14T22:13:20Z")
            self.assertEqual(journal["ext"]["mount_count"], 0)
            agf = volume(status, NAMES["xfs-agf"])
            self.assertEqual((agf["fsck"]["state"], agf["fsck"]["tool"], agf["fsck"]["exit_code"]),
                             ("errors-found", "/sbin/xfs_repair", 1))
            for f in DISKS:
                for v in status["disks"]["volumes"]:
                    if v["disk"] == NAMES[f]:
                        self.assertIn(v["fsck"]["state"], ("clean", "errors-found", "skipped"), v["name"])

            # -- eight disks (every one with a checker) at once ------------------------------------
            self.assertEqual(disks["parallel"]["lanes"], 11)
            luks = volume(status, NAMES["luks"])
            self.assertEqual((luks["type"], luks["usage"], luks["hint"]["tool_in_image"]), ("crypto_LUKS", "crypto", True))  # cryptsetup is in the image
            self.assertGreaterEqual(disks["parallel"]["max_running"], 8)
            firsts = [volume(status, n if n != "vda" else "vda1") for n in list(NAMES.values())[:8]]
            latest_start = max(v["fsck"]["started_ms"] for v in firsts)
            earliest_end = min(v["fsck"]["ended_ms"] for v in firsts)
            self.assertLess(latest_start, earliest_end, "the first checks of the 8 disks did not overlap")
            print(f"fsck of {len(DISKS)} disks: {disks['fsck_ms']} ms, up to {disks['parallel']['max_running']} at once")

            # -- every disk writable again, nothing left mounted -----------------------------------
            self.assertEqual(ro.split(), ["0"] * len(NAMES))
            self.assertNotIn("/run/lifeboat/probe", mounts)


if __name__ == "__main__":
    unittest.main()
