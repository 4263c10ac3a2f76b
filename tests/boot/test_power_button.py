"""The provider's Stop button (QMP system_powerdown, an ACPI power button press) powers the
rescue system off cleanly: a guest filesystem mounted read-write with a file just written is
synced and unmounted, and QEMU exits on its own (issue 10)."""
import os
import tempfile
import time
import unittest

from fixtures.disks import debugfs_cat, e2fsck_clean, ext4_image
from lifeboat_vm import VM


class PowerButtonTest(unittest.TestCase):
    def test_system_powerdown_unmounts_and_powers_off(self):
        with tempfile.TemporaryDirectory() as tmp:
            disk = ext4_image(os.path.join(tmp, "guest.img"), files={"etc/hostname": "guest\n"})
            with VM(disks=[disk], name="power-button", qmp=True) as vm:
                vm.wait_ready(120)
                vm.wait_disks(600)
                self.assertRegex(vm.console, r"lifeboat: power button: ok: event\d+")
                out, rc = vm.sh("mkdir -p /mnt/g && mount -t ext4 /dev/vda /mnt/g && "
                                "echo written-before-the-stop-button > /mnt/g/proof && grep -c /mnt/g /proc/mounts")
                self.assertEqual((out, rc), ("1", 0))
                t0 = time.monotonic()
                answer = vm.qmp("system_powerdown")
                self.assertIn("return", answer, answer)
                code = vm.wait_exit(30)
                took = time.monotonic() - t0
                console = vm.console
            print(f"system_powerdown: QEMU exited {took:.1f} s after the button (exit {code})")
            self.assertIn("lifeboat: power button pressed: powering off", console)
            r = e2fsck_clean(disk)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(debugfs_cat(disk, "/proof").strip(), "written-before-the-stop-button")


if __name__ == "__main__":
    unittest.main()
