"""The provider's Stop button while an admin is inside `rescue chroot` (whose shell ignores
SIGTERM, as an interactive one does): the chroot's session is ended in time for rescue to
undo what it did in the guest. The guest has no /etc/resolv.conf, so rescue made an empty
placeholder there to bind the rescue system's resolvers over; the host checks the image
afterwards: clean, and no placeholder left behind."""
import os
import tempfile
import time
import unittest

from fixtures import rescue_guest as rg
from fixtures.disks import e2fsck_clean
from lifeboat_vm import VM


class ChrootStopTest(unittest.TestCase):
    def test_stop_button_during_a_chroot_session(self):
        with tempfile.TemporaryDirectory(prefix="lifeboat-chroot-stop-") as tmp:
            disk = os.path.join(tmp, "guest.img")
            parts = rg.build(disk)
            # A resolver for the rescue system (never asked here: nothing resolves a name).
            with VM(disks=[disk], name="chroot-stop", mem=384, qmp=True, append="nameserver=127.0.0.1") as vm:
                vm.wait_ready(180)
                vm.wait_disks(600)
                out, rc = vm.sh("rescue mount --guest --rw", timeout=60)
                self.assertEqual(rc, 0, out)
                # In the background, as a session on another terminal would be; its shell ignores
                # SIGTERM (as an interactive one does) and SIGHUP (nobody hangs up the console).
                vm.sh("{ rescue chroot sh -c \"trap '' TERM HUP; echo inside; exec busybox sleep 600\" </dev/null >/tmp/chroot.out 2>&1 & }")
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    out, _ = vm.sh("cat /tmp/chroot.out; grep -c ' /mnt/guest/etc/resolv.conf ' /proc/mounts; true")
                    if "inside" in out and out.strip().endswith("1"):
                        break
                    time.sleep(0.5)
                self.assertIn("inside", out)
                self.assertTrue(out.strip().endswith("1"), out)  # the resolvers bound over the placeholder
                answer = vm.qmp("system_powerdown")
                self.assertIn("return", answer, answer)
                vm.wait_exit(60)
                console = vm.console
            self.assertIn("lifeboat: power button pressed: powering off", console)
            root = rg.extract(disk, parts["root"], os.path.join(tmp, "root.ext4"))
            r = e2fsck_clean(root)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertNotIn("resolv.conf", rg.debugfs(root, "ls /etc"))


if __name__ == "__main__":
    unittest.main()
