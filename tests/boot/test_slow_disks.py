"""Never locked out by a slow disk (issue 10): SSH and the console come before any disk work.

- A disk that answers every request in 2 s (QEMU null-co, latency-ns): an SSH login with the
  injected key works while that disk's probe is still running; the probe is killed at
  lifeboat.probe_timeout and the disk reported; the other disk is checked all the same.
- A disk read at 1 MB/s (throttling.bps-total) being checked: SSH works while the check still
  runs (status.json says "running"), then `rescue status --wait` returns its final state.
In both, every image's sha256 is unchanged (check mode writes nothing).
"""
import json
import os
import re
import tempfile
import time
import unittest

from fixtures.disks import disk_copy, sha256_file
from fixtures.metadata import ssh_keypair, status_json, url_encode
from lifeboat_vm import VM



class SlowDisksTest(unittest.TestCase):
    def test_ssh_while_a_2s_per_request_disk_is_probed(self):
        with tempfile.TemporaryDirectory(prefix="lifeboat-slow-") as d:
            key, pub = ssh_keypair(d)
            good, _ = disk_copy("ext4-inodes", d)  # vda: checked as usual
            before = sha256_file(good)
            slow = ["-drive", "driver=null-co,size=1G,latency-ns=2000000000,read-zeroes=on,if=virtio,id=slow"]
            with VM(disks=[good], extra=slow, mem=384, name="slow-disk",
                    append=f"lifeboat.ssh_key={url_encode(pub)} lifeboat.probe_timeout=40") as vm:
                ready = vm.wait_ready(240)
                vm.wait_ssh(key=key, timeout=120)
                login = time.monotonic() - vm.started_at
                during = status_json(vm, key)
                done = vm.wait_disks(400)
                after = status_json(vm, key)
                console = vm.console
            print(f"slow disk: ready {ready:.1f} s, SSH login {login:.1f} s, disk work done {done:.1f} s")
            self.assertFalse(during["disks_done"], "the disk work was already over at the SSH login")
            self.assertIn(during["disk_work"]["state"], ("starting", "detecting"))
            self.assertLess(login, done)
            self.assertTrue(after["disks_done"])
            disks = {x["name"]: x for x in after["disks"]["disks"]}
            self.assertEqual(disks["vdb"]["problem"], "probe timed out after 40 s")
            vols = {v["name"]: v for v in after["disks"]["volumes"]}
            self.assertEqual(vols["vda"]["fsck"]["state"], "errors-found")
            self.assertRegex(console, r"lifeboat: disks: vdb: still probing \(10 s\)")
            self.assertIn("vdb: probe timed out after 40 s; the disk is left alone", json.dumps(after["disks"]["problems"]))
            self.assertRegex(console, r"lifeboat: disks: done: 1 errors-found")
            self.assertLess(console.index("lifeboat: ready"), console.index("lifeboat: disks: done"))
            self.assertEqual(sha256_file(good), before)

    def test_ssh_while_a_throttled_disk_is_checked(self):
        with tempfile.TemporaryDirectory(prefix="lifeboat-throttled-") as d:
            key, pub = ssh_keypair(d)
            slow, _ = disk_copy("ext4-slow", d)
            before = sha256_file(slow)
            throttled = ["-drive", f"file={slow},format=raw,if=virtio,cache=unsafe,id=slow,"
                                   "throttling.bps-total=1000000"]
            with VM(extra=throttled, mem=384, name="throttled-disk",
                    append=f"lifeboat.ssh_key={url_encode(pub)}") as vm:
                ready = vm.wait_ready(240)
                vm.wait_ssh(key=key, timeout=120)
                login = time.monotonic() - vm.started_at
                # Logged in: the check of vda is still going on.
                deadline = time.monotonic() + 120
                while True:
                    during = status_json(vm, key)
                    vols = during.get("disks", {}).get("volumes", [])
                    state = vols[0]["fsck"]["state"] if vols and "fsck" in vols[0] else None
                    if state in ("running", "clean", "errors-found") or time.monotonic() > deadline:
                        break
                    time.sleep(1)
                running_seen = time.monotonic() - vm.started_at
                final = status_json(vm, key, args="--wait 600 --json")
                waited = time.monotonic() - vm.started_at
                console = vm.console
            print(f"throttled disk: ready {ready:.1f} s, SSH login {login:.1f} s, check seen running at "
                  f"{running_seen:.1f} s, rescue status --wait returned at {waited:.1f} s")
            self.assertEqual(state, "running", "the check was not running when the admin looked")
            self.assertFalse(during["disks_done"])
            self.assertTrue(final["disks_done"])
            vol = final["disks"]["volumes"][0]
            self.assertEqual(vol["fsck"]["state"], "clean")
            self.assertGreater(vol["fsck"]["ended_ms"] / 1000.0, login - 3)  # ended after the login
            self.assertRegex(console, r"lifeboat: fsck: vda ext4 clean \(e2fsck exit 0\)")
            self.assertEqual(sha256_file(slow), before)


if __name__ == "__main__":
    unittest.main()
