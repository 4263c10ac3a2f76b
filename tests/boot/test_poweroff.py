"""`poweroff` in the shell unmounts guest filesystems and ends QEMU cleanly."""
import os
import tempfile
import time
import unittest

from fixtures.disks import debugfs_cat, e2fsck_clean, ext4_image
from lifeboat_vm import VM


class PoweroffTest(unittest.TestCase):
    def test_poweroff_leaves_mounted_disk_clean(self):
        with tempfile.TemporaryDirectory() as tmp:
            disk = ext4_image(os.path.join(tmp, "guest.img"), files={"etc/hostname": "guest\n"})
            with VM(disks=[disk], name="poweroff") as vm:
                vm.wait_ready(120)
                vm.wait_disks(600)  # disk work runs after `ready`
                out, rc = vm.sh("mkdir -p /mnt/g && mount -t ext4 /dev/vda /mnt/g && "
                                "echo written-before-poweroff > /mnt/g/proof && grep -c /mnt/g /proc/mounts")
                self.assertEqual((out, rc), ("1", 0))
                t0 = time.monotonic()
                vm.send("poweroff\n")
                vm.wait_exit(10)
                print(f"poweroff: QEMU exited {time.monotonic() - t0:.1f} s after the command")
                self.assertIn("lifeboat: ", vm.console[-3000:])
            r = e2fsck_clean(disk)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(debugfs_cat(disk, "/proof").strip(), "written-before-poweroff")


if __name__ == "__main__":
    unittest.main()
