"""`rescue disks` lists the guest disk; `rescue fsck` checks it read-only, repairs on request,
and refuses a mounted filesystem without touching it."""
import hashlib
import os
import subprocess
import tempfile
import unittest

from fixtures.disks import e2fsck_clean, ext4_image
from lifeboat_vm import VM


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class RescueFsckTest(unittest.TestCase):
    def test_disks_and_fsck(self):
        with tempfile.TemporaryDirectory() as tmp:
            disk = ext4_image(os.path.join(tmp, "g.img"), files={"etc/hostname": "g\n"}, label="fsckme")
            # A deterministic corruption: the inode bitmap says inode 12 (the file) is free.
            subprocess.run(["debugfs", "-w", "-R", "freei <12>", disk], check=True, capture_output=True)
            self.assertNotEqual(e2fsck_clean(disk).returncode, 0)
            before = sha256(disk)
            with VM(disks=[disk], append="lifeboat.fsck=off", name="rescue-fsck") as vm:
                vm.wait_ready(120)
                vm.wait_disks(600)  # disk work runs after `ready`
                out, rc = vm.sh("rescue disks")
                self.assertEqual(rc, 0)
                self.assertRegex(out, r"vda .*ext4.*LABEL=fsckme")
                out, rc = vm.sh("rescue fsck fsckme", timeout=120)
                self.assertEqual(rc, 1, out)
                self.assertIn("vda ext4 errors-found (e2fsck exit 4)", out)
                # Mounted: refused, nothing run.
                out, rc = vm.sh("rescue mount vda >/dev/null && rescue fsck vda --repair 2>&1; echo rc=$?; rescue umount >/dev/null")
                self.assertIn("refusing to check a mounted filesystem", out)
                self.assertIn("rc=1", out)
                out, rc = vm.sh("sync; echo 3 > /proc/sys/vm/drop_caches; true")
                vm.send("poweroff\n")
                vm.wait_exit(30)
            self.assertEqual(sha256(disk), before, "check mode and the refused repair wrote to the disk")
            with VM(disks=[disk], append="lifeboat.fsck=off", name="rescue-fsck-repair") as vm:
                vm.wait_ready(120)
                vm.wait_disks(600)  # disk work runs after `ready`
                out, rc = vm.sh("rescue fsck /dev/vda --repair", timeout=120)
                self.assertEqual(rc, 0, out)
                self.assertIn("vda ext4 repaired", out)
                vm.send("poweroff\n")
                vm.wait_exit(30)
            r = e2fsck_clean(disk)
            self.assertEqual(r.returncode, 0, r.stdout)



class RescueMountReadOnlyTest(unittest.TestCase):
    def test_readonly_mount_of_an_orphan_list_writes_nothing(self):
        # ext4 processes an orphan list even on a ro,noload mount; `rescue mount` (read-only)
        # must still leave the image byte-identical.
        from fixtures.disks import disk_copy
        with tempfile.TemporaryDirectory() as tmp:
            disk, _ = disk_copy("ext4-orphan", tmp)
            before = sha256(disk)
            with VM(disks=[disk], append="lifeboat.fsck=off", name="rescue-mount-ro") as vm:
                vm.wait_ready(120)
                vm.wait_disks(600)  # disk work runs after `ready`
                out, rc = vm.sh("rescue mount vda && ls /mnt/vda >/dev/null && rescue umount")
                self.assertEqual(rc, 0, out)
                self.assertIn("read-only", out)
                vm.send("poweroff\n")
                vm.wait_exit(30)
            self.assertEqual(sha256(disk), before, "a read-only rescue mount wrote to the disk")


if __name__ == "__main__":
    unittest.main()
