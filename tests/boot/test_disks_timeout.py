"""Disks: a check that runs past lifeboat.fsck_timeout is killed and the boot still reaches
`lifeboat: ready`; per-device overrides; progress lines.

The stand-in for a hanging check is honest and deterministic enough: the real e2fsck on a real
(clean) ext4 image, 20000 files in 200 directories, whose disk QEMU throttles to 10 I/O
requests per second (`-drive ...,throttling.iops-total=10`). e2fsck's few hundred separate
reads then take far longer than the 12 s allowed (the probes before it need a few dozen);
nothing is faked in the image.

One boot."""
import json
import re
import tempfile
import time
import unittest

from fixtures.disks import disk_copy, sha256_file
from lifeboat_vm import VM


class DisksTimeoutTest(unittest.TestCase):
    def test_hanging_check_is_killed_at_its_timeout(self):
        with tempfile.TemporaryDirectory(prefix="lifeboat-disks-") as d:
            quick, quick_m = disk_copy("ext4-bitmaps", d)  # vda: turned off by its LABEL
            other, other_m = disk_copy("ext4-inodes", d)   # vdb: checked as usual
            slow, slow_m = disk_copy("ext4-slow", d)       # vdc: throttled
            throttled = ["-drive", f"file={slow},format=raw,if=virtio,cache=unsafe,id=slow,"
                                   "throttling.iops-total=10"]
            with VM(disks=[quick, other], extra=throttled, mem=384, name="disks-timeout",
                    append="lifeboat.fsck_timeout=12 lifeboat.fsck.bitmaps=off") as vm:
                t = vm.wait_ready(300)
                vm.wait_disks(600)  # disk work runs after `ready`
                print(f"lifeboat: ready after {t:.1f} s (one check killed at 12 s)")
                console = vm.console
                out, _ = vm.sh("cat /run/lifeboat/status.json", timeout=60)
                status = json.loads(out[out.index("{"):])
                ro, _ = vm.sh("cat /sys/block/vda/ro /sys/block/vdb/ro /sys/block/vdc/ro")
                log, _ = vm.sh("cat /run/lifeboat/fsck/vdc.log")
                # The killed e2fsck may still be in the kernel, finishing throttled reads; PID 1
                # reaps it whenever it dies.
                deadline = time.monotonic() + 120
                while True:
                    left, _ = vm.sh("ps | grep -c '[e]2fsck'")
                    if left.strip() == "0" or time.monotonic() > deadline:
                        break
                    time.sleep(2)
                zombies, _ = vm.sh("grep -l zombie /proc/[0-9]*/status 2>/dev/null | wc -l")

            self.assertRegex(console, r"lifeboat: fsck: vdc: still checking \(10 s\)\r?\n")
            self.assertRegex(console, re.escape("lifeboat: fsck: vdc ext4 timed-out (e2fsck killed after 12 s, "
                                                "lifeboat.fsck_timeout=12)") + r"\r?\n")
            self.assertRegex(console, re.escape("lifeboat: fsck: vda ext4 skipped (lifeboat.fsck.bitmaps=off)"))
            self.assertRegex(console, re.escape("lifeboat: fsck: vdb ext4 errors-found (e2fsck exit 4)"))
            self.assertIn("lifeboat: fsck: ok: mode check: 1 errors-found, 1 timed-out, 1 skipped", console)
            self.assertEqual(left.strip(), "0", "the killed e2fsck never went away")
            self.assertEqual(zombies.strip(), "0", "a child of PID 1 was left unreaped")
            self.assertRegex(log, r"### lifeboat: (timed out: killed|killed by signal)")
            vols = {v["name"]: v for v in status["disks"]["volumes"]}
            slowv = vols["vdc"]["fsck"]
            self.assertEqual((slowv["state"], slowv["exit_code"]), ("timed-out", None))
            self.assertEqual(slowv["argv"], ["/sbin/e2fsck", "-fn", "/dev/vdc"])
            self.assertGreaterEqual(slowv["duration_ms"], 12000)
            self.assertLess(slowv["duration_ms"], 12000 + 2000 + 5000 + 1000)  # TERM, KILL grace, give-up
            self.assertEqual(vols["vda"]["fsck"]["mode_from"], "lifeboat.fsck.bitmaps")
            self.assertEqual(status["disks"]["policy"]["timeout_s"], 12)
            # vda and vdb are writable again. vdc too, unless the killed e2fsck was still stuck
            # in the kernel (throttled reads queued) when PID 1 gave up waiting for it: then
            # PID 1 never opens vdc again, leaves it read-only and says so.
            stuck = [p for p in status["disks"]["problems"] if "blockdev --setrw /dev/vdc" in p]
            self.assertEqual(ro.split(), ["0", "0", "1" if stuck else "0"])
            print("the killed e2fsck " + ("outlived SIGKILL + 5 s: vdc left read-only" if stuck else "died at once"))
            # Check mode: no image changed, even the one whose check was killed.
            for path, m in ((quick, quick_m), (other, other_m), (slow, slow_m)):
                self.assertEqual(sha256_file(path), m["sha256"], path)


if __name__ == "__main__":
    unittest.main()
