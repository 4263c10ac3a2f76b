"""Failing disks and runaway checkers never lock the admin out (issue 10).

- A checker that never ends and floods its output (a stand-in e2fsck put into the image with
  a second initramfs archive): SSH at once, the checker killed at lifeboat.fsck_timeout,
  `timed-out`, its log cut to its head and tail, /run under 16 MiB.
- A disk that fails every read (QEMU blkdebug, EIO) and a disk removed while being checked
  (virtio-scsi, QMP device_del): both named in status.json, the healthy disk checked, PID 1
  fine (SSH still works afterwards).
Every image's sha256 is unchanged.
"""
import json
import os
import tempfile
import time
import unittest

from fixtures.disks import disk_copy, sha256_file
from fixtures.metadata import ssh_keypair, status_json, url_encode
from lifeboat_vm import VM, overlay_initrd

FLOOD = "#!/bin/sh\n# stand-in for a checker stuck in a loop that prints forever\nexec yes 'Pass 1: inode 12 block 34 is bad, clearing (looping)'\n"



class DiskFaultsTest(unittest.TestCase):
    def test_flooding_checker_is_killed_and_bounded(self):
        with tempfile.TemporaryDirectory(prefix="lifeboat-flood-") as d:
            key, pub = ssh_keypair(d)
            disk, _ = disk_copy("ext4-inodes", d)
            before = sha256_file(disk)
            initrd = overlay_initrd(os.path.join(d, "initrd.img"), {"/sbin/e2fsck": (FLOOD, 0o755)})
            with VM(disks=[disk], initrd=initrd, mem=384, name="flood",
                    append=f"lifeboat.ssh_key={url_encode(pub)} lifeboat.fsck_timeout=20") as vm:
                ready = vm.wait_ready(240)
                vm.wait_ssh(key=key, timeout=120)
                login = time.monotonic() - vm.started_at
                done = vm.wait_disks(300)
                status = status_json(vm, key)
                run_kib = int(vm.ssh("du -sk /run | cut -f1", key=key).stdout.strip())
                log_bytes = int(vm.ssh("wc -c < /run/lifeboat/fsck/vda.log", key=key).stdout.strip())
                cut = vm.ssh("grep -c 'bytes of output cut here' /run/lifeboat/fsck/vda.log; "
                             "ls /run/lifeboat/fsck/", key=key).stdout
                console = vm.console
            print(f"flood: ready {ready:.1f} s, SSH {login:.1f} s, done {done:.1f} s, /run {run_kib} KiB, "
                  f"fsck log {log_bytes} bytes")
            self.assertLess(login, done)
            vol = status["disks"]["volumes"][0]
            self.assertEqual(vol["fsck"]["state"], "timed-out")
            self.assertRegex(console, r"lifeboat: fsck: vda ext4 timed-out \(e2fsck killed after 20 s")
            self.assertLess(run_kib, 16 * 1024)
            self.assertLess(log_bytes, 2 * 1024 * 1024 + 64 * 1024)
            self.assertTrue(cut.startswith("1\n"), cut)
            self.assertNotIn(".tail", cut)
            self.assertEqual(sha256_file(disk), before)

    def test_io_errors_and_a_removed_disk(self):
        with tempfile.TemporaryDirectory(prefix="lifeboat-faults-") as d:
            key, pub = ssh_keypair(d)
            good, _ = disk_copy("ext4-inodes", d)
            bad, _ = disk_copy("ext4-bitmaps", d)
            gone, _ = disk_copy("ext4-slow", d)
            sums = {p: sha256_file(p) for p in (good, bad, gone)}
            conf = os.path.join(d, "blkdebug.conf")
            with open(conf, "w") as fh:
                fh.write('[inject-error]\nevent = "read_aio"\nerrno = "5"\n')
            extra = [
                # vdb: every read fails with EIO
                "-drive", f"file=blkdebug:{conf}:{bad},format=raw,if=none,id=eio",
                "-device", "virtio-blk-pci,drive=eio",
                # sda on virtio-scsi, slow to check (5 I/O requests a second), removed while it is checked
                "-device", "virtio-scsi-pci,id=scsi0",
                "-drive", f"file={gone},format=raw,if=none,id=gonedrv,cache=unsafe,throttling.iops-total=5",
                "-device", "scsi-hd,drive=gonedrv,bus=scsi0.0,id=gonedisk",
            ]
            with VM(disks=[good], extra=extra, mem=384, name="faults", qmp=True,
                    append=f"lifeboat.ssh_key={url_encode(pub)}") as vm:
                vm.wait_ready(240)
                vm.wait_ssh(key=key, timeout=120)
                vm.expect(r"lifeboat: fsck: sda: still checking", 300, since_start=True)
                answer = vm.qmp("device_del", id="gonedisk")
                self.assertIn("return", answer, answer)
                done = vm.wait_disks(400)
                status = status_json(vm, key)
                alive = vm.ssh("cat /proc/1/comm; echo ok", key=key).stdout
                console = vm.console
            print(f"faults: disk work done {done:.1f} s")
            vols = {v["name"]: v for v in status["disks"]["volumes"]}
            disks = {x["name"]: x for x in status["disks"]["disks"]}
            # The healthy disk was checked (its known corruption found); the EIO disk is named,
            # with nothing read from it. (Which of the two is vda depends on PCI order.)
            self.assertIn("vda", disks)
            self.assertIn("vdb", disks)
            states = sorted((vols[n]["fsck"]["state"], vols[n]["fsck"].get("exit_code"), vols[n]["fsck"].get("reason"))
                            for n in ("vda", "vdb"))
            self.assertEqual(states, [("errors-found", 4, None), ("skipped", None, "no filesystem found")], states)
            # The removed disk is named with what happened to its check.
            self.assertIn("sda", vols)
            self.assertIn(vols["sda"]["fsck"]["state"], ("errors-found", "timed-out", "skipped"), vols["sda"])
            self.assertIn("init", alive)
            self.assertIn("ok", alive)
            self.assertIn("lifeboat: disks: done:", console)
            for p, s in sums.items():
                self.assertEqual(sha256_file(p), s, p)


if __name__ == "__main__":
    unittest.main()
