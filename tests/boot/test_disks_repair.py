"""Disks, repair mode (lifeboat.fsck=repair): every corrupted image comes out clean for the
host's own `e2fsck -fn` / `xfs_repair -n`, and every known file the corruption did not touch
is intact (ext4: read back on the host with debugfs; XFS: sha256sum inside the VM over a
read-only, norecovery mount, after the repair).

One boot."""
import hashlib
import json
import re
import tempfile
import unittest

from fixtures.disks import disk_copy, e2fsck_clean, ext_read, xfs_clean
from lifeboat_vm import VM

DISKS = ["ext4-badsb", "ext4-inodes", "ext4-bitmaps", "ext4-orphan", "ext4-journal", "xfs-agf", "xfs-dirtylog",
         "gpt-guest"]
NAMES = {f: "vd" + chr(ord("a") + i) for i, f in enumerate(DISKS)}

EXPECTED = {  # console line after "lifeboat: fsck: <name> "
    "ext4-badsb": "ext4 repaired (e2fsck exit 1)",
    "ext4-inodes": "ext4 repaired (e2fsck exit 1)",
    "ext4-bitmaps": "ext4 repaired (e2fsck exit 1)",
    "ext4-orphan": "ext4 repaired (e2fsck exit 0)",  # orphans cleared: exit 0, "FILE SYSTEM WAS MODIFIED"
    "ext4-journal": "ext4 repaired (e2fsck exit 0; journal replayed)",
    "xfs-agf": "xfs repaired (xfs_repair exit 0)",
    "xfs-dirtylog": "xfs repaired (xfs_repair exit 0; dirty log; log replayed by mount + umount)",
}


class DisksRepairTest(unittest.TestCase):
    def test_repair_mode_leaves_clean_filesystems_and_intact_files(self):
        with tempfile.TemporaryDirectory(prefix="lifeboat-disks-") as d:
            copies = {f: disk_copy(f, d) for f in DISKS}
            xfs_sums = {}
            with VM(disks=[copies[f][0] for f in DISKS], mem=512, name="disks-repair",
                    append="lifeboat.fsck=repair") as vm:
                t = vm.wait_ready(600)
                vm.wait_disks(600)  # disk work runs after `ready`
                print(f"lifeboat: ready after {t:.1f} s, {len(DISKS)} disks repaired (TCG)")
                console = vm.console
                out, _ = vm.sh("cat /run/lifeboat/status.json", timeout=60)
                status = json.loads(out[out.index("{"):])
                for f in ("xfs-agf", "xfs-dirtylog"):
                    dev = "/dev/" + NAMES[f]
                    out, rc = vm.sh(f"mkdir -p /mnt/x && mount -t xfs -o ro,norecovery {dev} /mnt/x && "
                                    f"(cd /mnt/x && sha256sum data/*); umount /mnt/x", timeout=60)
                    self.assertEqual(rc, 0, out)
                    xfs_sums[f] = {"/" + line.split()[1]: line.split()[0] for line in out.splitlines() if "  data/" in line}
                vm.sh("sync", timeout=60)

            for f, rest in EXPECTED.items():
                self.assertRegex(console, re.escape(f"lifeboat: fsck: {NAMES[f]} {rest}") + r"\r?\n")
            self.assertRegex(console, r"lifeboat: fsck: vdh1 ext4 clean \(e2fsck exit 0\)\r?\n")
            self.assertRegex(console, r"lifeboat: fsck: vdh2 xfs clean \(xfs_repair exit 0\)\r?\n")
            self.assertIn("lifeboat: fsck: ok: mode repair: 2 clean, 7 repaired, 1 skipped", console)
            vols = {v["name"]: v for v in status["disks"]["volumes"]}
            self.assertEqual(vols[NAMES["ext4-inodes"]]["fsck"]["argv"], ["/sbin/e2fsck", "-fy", "/dev/" + NAMES["ext4-inodes"]])
            dirty = vols[NAMES["xfs-dirtylog"]]["fsck"]
            self.assertEqual([c["purpose"] for c in dirty["commands"]],
                             ["check before repair", "log replay (mount)", "log replay (umount)", "repair"])
            self.assertNotIn("-L", json.dumps(dirty["commands"]))  # never without lifeboat.xfs_zero_log=1
            self.assertEqual(vols["vdh2"]["fsck"]["commands"][0]["argv"], ["/sbin/xfs_repair", "-n", "/dev/vdh2"])
            self.assertEqual(len(vols["vdh2"]["fsck"]["commands"]), 1)  # clean: nothing written

            # -- the host's own tools agree ------------------------------------------------------
            for f in DISKS[:5]:
                r = e2fsck_clean(copies[f][0])
                self.assertEqual(r.returncode, 0, f"{f}: host e2fsck -fn:\n{r.stdout}")
            for f in ("xfs-agf", "xfs-dirtylog"):
                r = xfs_clean(copies[f][0])
                self.assertEqual(r.returncode, 0, f"{f}: host xfs_repair -n:\n{r.stdout}{r.stderr}")
                self.assertNotIn("ALERT", r.stdout + r.stderr, f)

            # -- known files ---------------------------------------------------------------------
            for f in DISKS[:5]:
                path, man = copies[f]
                touched = man.get("touched", {})
                for rel, want in man["files"].items():
                    got = ext_read(path, rel)
                    if rel in touched:
                        after = touched[rel]
                        if after is None:
                            self.assertIsNone(got, f"{f}:{rel} should be gone")
                        elif after != "changed":
                            self.assertEqual(hashlib.sha256(got or b"").hexdigest(), after, f"{f}:{rel}")
                        continue
                    self.assertIsNotNone(got, f"{f}:{rel} missing after the repair")
                    self.assertEqual(hashlib.sha256(got).hexdigest(), want, f"{f}:{rel} changed by the repair")
            for f in ("xfs-agf", "xfs-dirtylog"):
                self.assertEqual(xfs_sums[f], copies[f][1]["files"], f)


if __name__ == "__main__":
    unittest.main()
